/**
 * The composition root: adapters, then services, wired by hand. The API, the worker and the CLI
 * all build the same container, so they share one set of rules.
 *
 * Each area has a builder in `container/` that takes what the earlier ones built and returns its
 * services; the `Container` type is what they return, so a new service is added in one place.
 * Order: platform (adapters, audit recording) → identity → documents → audit → privacy.
 */
import type { Queue } from 'bullmq';
import { MAINTENANCE_QUEUE } from './modules/documents/documents.jobs.js';
import { EXTRACTION_QUEUE } from './modules/extractions/extractions.pipeline.js';
import { EXPORT_QUEUE } from './modules/privacy/privacy.exports.js';
import { WEBHOOK_QUEUE } from './modules/webhooks/webhooks.service.js';
import type { Config } from './platform/config.js';
import type { Logger } from './platform/logger.js';
import { buildAudit } from './container/audit.js';
import { buildDocuments } from './container/documents.js';
import { buildIdentity } from './container/identity.js';
import { buildPlatform, type ContainerOverrides } from './container/platform.js';
import { buildPrivacy } from './container/privacy.js';

export type { ContainerOverrides };
export type Container = Awaited<ReturnType<typeof createContainer>>;

/** Every queue, for the queue console and the queue metrics. */
const QUEUE_NAMES = [MAINTENANCE_QUEUE, EXTRACTION_QUEUE, WEBHOOK_QUEUE, EXPORT_QUEUE];

export async function createContainer(config: Config, logger: Logger, overrides: ContainerOverrides = {}) {
  const platform = await buildPlatform(config, logger, overrides);
  const identity = buildIdentity(platform);
  const documents = buildDocuments(platform, identity, overrides.extract);
  const audit = buildAudit(platform, identity, documents);
  const privacy = buildPrivacy(platform, identity, documents, audit);
  return {
    ...platform,
    ...identity,
    ...documents,
    ...audit,
    ...privacy,
    /** The queues (each opened on first use), for the queue console. */
    queues(): readonly Queue[] {
      return QUEUE_NAMES.map((name) => platform.lazyQueues.get(name));
    },
    /** Closes every connection the container opened. */
    async close(): Promise<void> {
      // Mails and notices requests started are finished while their connections are still open.
      await platform.backgroundTasks.settled();
      platform.smtp?.close();
      // Token uses still buffered are written before the database connections close.
      await identity.tokenUses
        .close()
        .catch((error: unknown) => logger.error({ err: error }, 'token uses not written'));
      await Promise.allSettled([
        identity.principals.close(),
        platform.db.close(),
        platform.redis.quit().catch(() => platform.redis.disconnect()),
        platform.lazyQueues.close(),
      ]);
    },
  };
}
