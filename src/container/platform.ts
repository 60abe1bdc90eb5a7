/**
 * The adapters every module builds on: clock, keys, mail, database, Redis, blob storage, queues,
 * and the audit service every state change records through.
 */
import { systemClock, type Clock } from '../core/clock.js';
import { createAuditService } from '../modules/audit/audit.service.js';
import { createMailLinks } from '../modules/auth/mail-links.js';
import {
  createBackgroundTasks,
  type BackgroundTasks,
  type ScheduleTask,
} from '../platform/background-tasks.js';
import type { Config } from '../platform/config.js';
import { createPasswordHasher } from '../platform/crypto/password-hasher.js';
import { createPlatformSecretBox } from '../platform/crypto/platform-secret-box.js';
import { loadSigner } from '../platform/crypto/signing-key.js';
import { createDb } from '../platform/db/db.js';
import { createDatabaseClient } from '../platform/db/prisma.js';
import { createKeyProvider } from '../platform/kms/key-provider-from-config.js';
import type { KeyProvider } from '../platform/kms/key-provider.js';
import type { Logger } from '../platform/logger.js';
import { createMailOutbox } from '../platform/mail-outbox.js';
import {
  createConsoleMailer,
  createMemoryMailer,
  createSmtpMailer,
  type Mailer,
} from '../platform/mailer.js';
import { packageVersion } from '../platform/package-root.js';
import { MAINTENANCE_QUEUE } from '../platform/jobs.js';
import { createQueues } from '../platform/queue.js';
import { createRedis } from '../platform/redis.js';
import { createRegionalBlobStores } from '../platform/storage/regional-blob-stores.js';
import type { ExtractFunction } from '../modules/extractions/extractions.engine.js';
import { EXTRACTION_QUEUE } from '../modules/extractions/extractions.jobs.js';
import { EXPORT_QUEUE } from '../modules/privacy/privacy.jobs.js';
import { WEBHOOK_QUEUE } from '../modules/webhooks/webhooks.jobs.js';

/** Replacements for tests: a controllable clock, a mailer to read from. */
export interface ContainerOverrides {
  readonly clock?: Clock;
  readonly mailer?: Mailer;
  /** How the worker runs the extraction engine (a thread pool in the worker process). */
  readonly extract?: ExtractFunction;
  /** How background tasks are put off (tests hold them back to see what ran before an answer). */
  readonly scheduleBackgroundTask?: ScheduleTask;
  /** The KMS client (tests: the Azure Key Vault provider against the contract server). */
  readonly keyProvider?: KeyProvider;
}

export type Platform = Awaited<ReturnType<typeof buildPlatform>>;

export async function buildPlatform(config: Config, logger: Logger, overrides: ContainerOverrides) {
  const clock = overrides.clock ?? systemClock;
  const signer = await loadSigner(config.audit.signingKey);
  const keyProvider = overrides.keyProvider ?? (await createKeyProvider(config.kms));
  const backgroundTasks = createBackgroundTasks(logger, overrides.scheduleBackgroundTask);
  const { mailer, smtp } = buildMailer(config.mail, logger, backgroundTasks, overrides.mailer);
  const db = createDb(
    createDatabaseClient(config.database.url, config.database.pool),
    config.database.transactions,
  );
  const redis = createRedis(config.redis.url);
  // Connect now so the first requests find Redis ready; if it is down, start anyway (ioredis keeps
  // retrying in the background) and let /readyz report it.
  await redis.connect().catch((error: unknown) => logger.warn({ err: error }, 'Redis is not reachable yet'));
  return {
    version: packageVersion(),
    config,
    logger,
    clock,
    db,
    redis,
    blobStores: createRegionalBlobStores(config.blobs.connectionByRegion, config.blobs.containerPrefix),
    keyProvider,
    mailer,
    /** The SMTP transport under the mail outbox, when mail goes out over SMTP (closed last). */
    smtp,
    /** Work requests start after answering (reset mails, notices); `settled()` waits for it. */
    backgroundTasks,
    signer,
    audit: createAuditService({ db, signer, now: clock }),
    hasher: await createPasswordHasher(config.passwordHashing),
    mailLinks: createMailLinks(config.http.publicBaseUrl),
    secretBox: createPlatformSecretBox(db, keyProvider, 'user-secrets'),
    /** Every BullMQ queue, each opened on first use (the CLI and most tests never enqueue anything). */
    queues: createQueues({ redisUrl: config.redis.url, keyPrefix: config.redis.keyPrefix }, [
      MAINTENANCE_QUEUE,
      EXTRACTION_QUEUE,
      WEBHOOK_QUEUE,
      EXPORT_QUEUE,
    ]),
  };
}

/** SMTP behind an outbox that retries after the answer; else memory (tests) or the console. */
function buildMailer(
  settings: Config['mail'],
  logger: Logger,
  backgroundTasks: BackgroundTasks,
  override: Mailer | undefined,
): { mailer: Mailer; smtp?: ReturnType<typeof createSmtpMailer> } {
  if (override) return { mailer: override };
  if (settings.transport === 'smtp' && settings.smtpUrl) {
    const smtp = createSmtpMailer(settings.smtpUrl, settings.from);
    const mailer = createMailOutbox(smtp, {
      backgroundTasks,
      logger,
      attempts: settings.sendAttempts,
      retryDelayMs: settings.retryDelayMs,
    });
    return { mailer, smtp };
  }
  return {
    mailer: settings.transport === 'memory' ? createMemoryMailer() : createConsoleMailer(settings.from),
  };
}
