/**
 * The composition root: adapters, then services, wired by hand. The API, the worker and the CLI
 * all build the same container, so they share one set of rules.
 *
 * Each area has a builder in `container/` that takes what the earlier ones built and returns its
 * services; the `Container` type is what they return, so a new service is added in one place.
 * Order: platform (adapters, audit recording) → identity → documents → audit → privacy.
 */
import type { Config } from './platform/config.js';
import type { Logger } from './platform/logger.js';
import { buildAudit } from './container/audit.js';
import { buildDocuments } from './container/documents.js';
import { buildIdentity } from './container/identity.js';
import { buildPlatform, type ContainerOverrides } from './container/platform.js';
import { buildPrivacy } from './container/privacy.js';

export type { ContainerOverrides };
export type Container = Awaited<ReturnType<typeof createContainer>>;

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
        platform.queues.close(),
      ]);
    },
  };
}
