/**
 * The composition root: adapters, then services, wired by hand. The API, the worker and the CLI
 * all build the same container, so they share one set of rules.
 */
import { systemClock, type Clock } from './core/clock.js';
import {
  createBackgroundTasks,
  type BackgroundTasks,
  type ScheduleTask,
} from './platform/background-tasks.js';
import type { Config } from './platform/config.js';
import { createPasswordHasher } from './platform/crypto/password-hasher.js';
import { createPlatformSecretBox } from './platform/crypto/platform-secret-box.js';
import { loadSigner, type Signer } from './platform/crypto/signing-key.js';
import { createDb, type Db } from './platform/db/db.js';
import { createDatabaseClient } from './platform/db/prisma.js';
import { createKeyProvider } from './platform/kms/key-provider-from-config.js';
import type { KeyProvider } from './platform/kms/key-provider.js';
import type { Logger } from './platform/logger.js';
import { createConsoleMailer, createMemoryMailer, createSmtpMailer, type Mailer } from './platform/mailer.js';
import { createMailOutbox } from './platform/mail-outbox.js';
import { createMailLinks } from './modules/auth/mail-links.js';
import { packageVersion } from './platform/package-root.js';
import { createRedis, type Redis } from './platform/redis.js';
import type { BlobStore } from './platform/storage/blob-store.js';
import {
  createRegionalBlobStores,
  type RegionalBlobStores,
} from './platform/storage/regional-blob-stores.js';
import { createCompaniesService, type CompaniesService } from './modules/companies/companies.service.js';
import {
  createDocumentLifecycleService,
  type DocumentLifecycleService,
} from './modules/documents/documents.lifecycle.js';
import {
  createRetentionPolicyService,
  type RetentionPolicyService,
} from './modules/documents/documents.retention-policy.js';
import {
  createOrphanBlobSweeper,
  type OrphanBlobSweeper,
} from './modules/documents/documents.orphan-blobs.js';
import { createDocumentsService, type DocumentsService } from './modules/documents/documents.service.js';
import {
  createBlobPresenceCheck,
  type BlobPresenceCheck,
} from './modules/documents/documents.blob-presence.js';
import type { ExtractFunction } from './modules/extractions/extractions.engine.js';
import { EXTRACTION_QUEUE } from './modules/extractions/extractions.jobs.js';
import {
  createExtractionPipeline,
  type ExtractionPipeline,
} from './modules/extractions/extractions.pipeline.js';
import {
  createExtractionsService,
  type ExtractionsService,
} from './modules/extractions/extractions.service.js';
import {
  createExtractionExportService,
  type ExtractionExportService,
} from './modules/extractions/extractions.erp-export.js';
import {
  createExtractionReviewService,
  type ExtractionReviewService,
} from './modules/extractions/extractions.review.js';
import { MAINTENANCE_QUEUE } from './platform/jobs.js';
import { createQueues, type Queues } from './platform/queue.js';
import { createWebhookDelivery, type WebhookDelivery } from './modules/webhooks/webhooks.delivery.js';
import { WEBHOOK_QUEUE } from './modules/webhooks/webhooks.jobs.js';
import { createWebhookOutbox, type WebhookOutbox } from './modules/webhooks/webhooks.outbox.js';
import { createWebhooksService, type WebhooksService } from './modules/webhooks/webhooks.service.js';
import { createAuditService, type AuditService } from './modules/audit/audit.service.js';
import { createAuditChainer, type AuditChainer } from './modules/audit/audit.chainer.js';
import { createScheduledCheckpoints, type ScheduledCheckpoints } from './modules/audit/audit.checkpoints.js';
import { createAuditExporter, type AuditExporter } from './modules/audit/audit.export.js';
import { createAuditSink, type AuditSink } from './modules/audit/audit.sink.js';
import { createAuditTrailService, type AuditTrailService } from './modules/audit/audit.trail.js';
import { createAccountService, type AccountService } from './modules/auth/account.service.js';
import {
  createEmailVerificationService,
  type EmailVerificationService,
} from './modules/auth/email-verification.service.js';
import { createLockoutNotifier } from './modules/auth/lockout-notice.service.js';
import { createLoginThrottle } from './modules/auth/login-throttle.js';
import { createLoginService, type LoginService } from './modules/auth/login.service.js';
import { createMfaChallenges } from './modules/auth/mfa-challenges.js';
import { createMfaService, type MfaService } from './modules/auth/mfa.service.js';
import {
  createPasswordResetService,
  type PasswordResetService,
} from './modules/auth/password-reset.service.js';
import {
  createPlatformAdminsService,
  type PlatformAdminsService,
} from './modules/auth/platform-admins.service.js';
import { createPrincipalService, type PrincipalService } from './modules/auth/principal.service.js';
import { createSessionManager } from './modules/auth/sessions.service.js';
import { createInvitationsService, type InvitationsService } from './modules/members/invitations.service.js';
import { createMembersService, type MembersService } from './modules/members/members.service.js';
import { createTenantsService, type TenantsService } from './modules/tenants/tenants.service.js';
import { createAutomationService, type AutomationService } from './modules/tenants/tenants.automation.js';
import {
  createDataProcessingService,
  type DataProcessingService,
} from './modules/privacy/privacy.data-processing.js';
import { createOffboardingService, type OffboardingService } from './modules/privacy/privacy.offboarding.js';
import { createPersonService, type PersonService } from './modules/privacy/privacy.person.js';
import { createExportsService, type ExportsService } from './modules/privacy/privacy.exports.js';
import { EXPORT_QUEUE } from './modules/privacy/privacy.jobs.js';
import { createTokensService, type TokensService } from './modules/tokens/tokens.service.js';
import { createTokenUseRecorder } from './modules/tokens/tokens.use-recorder.js';
import { registryLookupsFromConfig } from './platform/registries/registries-from-config.js';

export interface Container {
  readonly version: string;
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly db: Db;
  readonly redis: Redis;
  /** The default region's blob store (readiness checks use `blobStores.all()`). */
  readonly blobStore: BlobStore;
  readonly blobStores: RegionalBlobStores;
  readonly keyProvider: KeyProvider;
  readonly mailer: Mailer;
  /** Work requests start after answering (reset mails, notices); `settled()` waits for it. */
  readonly backgroundTasks: BackgroundTasks;
  readonly signer: Signer;
  readonly audit: AuditService;
  /** Chains recorded audit events (the worker runs it in a loop; CLI and tests call it). */
  readonly auditChainer: AuditChainer;
  /** Signs a checkpoint for every tenant whose chain grew (a scheduled maintenance job). */
  readonly auditCheckpoints: ScheduledCheckpoints;
  /** The audit API's reads: event pages, access logs, verification, checkpoints. */
  readonly auditTrail: AuditTrailService;
  readonly auditExporter: AuditExporter;
  /** The off-box copy of the audit log; undefined when AUDIT_SINK_URL is not set. */
  readonly auditSink: AuditSink | undefined;
  readonly tenants: TenantsService;
  /** The firm's automation level (straight-through processing). */
  readonly automation: AutomationService;
  readonly accounts: AccountService;
  readonly login: LoginService;
  readonly passwordResets: PasswordResetService;
  readonly emailVerification: EmailVerificationService;
  readonly platformAdmins: PlatformAdminsService;
  readonly mfa: MfaService;
  readonly members: MembersService;
  readonly invitations: InvitationsService;
  readonly tokens: TokensService;
  readonly principals: PrincipalService;
  readonly companies: CompaniesService;
  readonly documents: DocumentsService;
  readonly lifecycle: DocumentLifecycleService;
  /** Deletes blobs no document row names (a scheduled maintenance job). */
  readonly orphanBlobs: OrphanBlobSweeper;
  /** For /readyz: the blob store still holds what the database lists (sampled, cached). */
  readonly blobPresence: BlobPresenceCheck;
  readonly retentionPolicy: RetentionPolicyService;
  readonly extractions: ExtractionsService;
  readonly review: ExtractionReviewService;
  readonly erpExport: ExtractionExportService;
  readonly pipeline: ExtractionPipeline;
  readonly webhooks: WebhooksService;
  /** Webhook events as deliveries, written with the change and enqueued after its commit. */
  readonly webhookOutbox: WebhookOutbox;
  /** Sends one delivery (the worker's `deliver` job). */
  readonly webhookDeliveries: WebhookDelivery;
  /** Closing a firm: grace period, purge (blobs, KEK, rows) and the signed erasure receipt. */
  readonly offboarding: OffboardingService;
  readonly dataProcessing: DataProcessingService;
  /** A member's personal data: export for the firm, erasure for the person. */
  readonly persons: PersonService;
  /** The firm's data export archive (built by a job, downloaded once through a link). */
  readonly exports: ExportsService;
  /** Every BullMQ queue (each opened on first use); `close()` closes them all. */
  readonly queues: Queues;
  /** Closes every connection the container opened. */
  close(): Promise<void>;
}

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

const MINUTE_MS = 60_000;

export async function createContainer(
  config: Config,
  logger: Logger,
  overrides: ContainerOverrides = {},
): Promise<Container> {
  const clock = overrides.clock ?? systemClock;
  const signer = await loadSigner({
    pem: config.AUDIT_SIGNING_KEY,
    file: config.AUDIT_SIGNING_KEY_FILE,
    createIfMissing: config.AUDIT_SIGNING_KEY_CREATE,
  });
  const keyProvider = overrides.keyProvider ?? (await createKeyProvider(config));
  const hasher = await createPasswordHasher({
    memoryKiB: config.ARGON2_MEMORY_KIB,
    timeCost: config.ARGON2_TIME_COST,
    parallelism: config.ARGON2_PARALLELISM,
  });
  const backgroundTasks = createBackgroundTasks(logger, overrides.scheduleBackgroundTask);
  const smtp =
    !overrides.mailer && config.MAIL_TRANSPORT === 'smtp' && config.SMTP_URL
      ? createSmtpMailer(config.SMTP_URL, config.MAIL_FROM)
      : undefined;
  const mailer =
    overrides.mailer ??
    (smtp
      ? createMailOutbox(smtp, {
          backgroundTasks,
          logger,
          attempts: config.MAIL_SEND_ATTEMPTS,
          retryDelayMs: config.MAIL_RETRY_DELAY_MS,
        })
      : config.MAIL_TRANSPORT === 'memory'
        ? createMemoryMailer()
        : createConsoleMailer(config.MAIL_FROM));
  const db = createDb(
    createDatabaseClient(config.DATABASE_URL, {
      max: config.DATABASE_POOL_MAX,
      waitMs: config.DATABASE_POOL_WAIT_MS,
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    }),
    {
      poolWaitMs: config.DATABASE_POOL_WAIT_MS,
      transactionTimeoutMs: config.DATABASE_TRANSACTION_TIMEOUT_MS,
    },
  );
  const mailLinks = createMailLinks(config.PUBLIC_BASE_URL);
  const redis = createRedis(config.REDIS_URL);
  // Connect now so the first requests find Redis ready; if it is down, start anyway (ioredis keeps
  // retrying in the background) and let /readyz report it.
  await redis.connect().catch((error: unknown) => logger.warn({ err: error }, 'Redis is not reachable yet'));
  const blobStores = createRegionalBlobStores(config.BLOB_CONNECTION_BY_REGION, config.BLOB_CONTAINER_PREFIX);
  const blobStore = blobStores.forRegion(config.DEFAULT_TENANT_REGION);

  const audit = createAuditService({ db, signer, now: clock });
  const auditChainer = createAuditChainer({ db, logger, batchSize: config.AUDIT_CHAIN_BATCH_SIZE });
  const tenants = createTenantsService({
    db,
    audit,
    keyProvider,
    regions: config.TENANT_REGIONS,
    defaultRegion: config.DEFAULT_TENANT_REGION,
    clock,
  });
  const automation = createAutomationService({ db, audit, clock });
  const auditCheckpoints = createScheduledCheckpoints({
    audit,
    listTenantIds: () => tenants.listAllTenantIds(),
    logger,
  });
  const sessions = createSessionManager({
    db,
    clock,
    settings: {
      idleTimeoutMs: config.SESSION_IDLE_TIMEOUT_MINUTES * MINUTE_MS,
      maxLifetimeMs: config.SESSION_MAX_LIFETIME_HOURS * 60 * MINUTE_MS,
    },
  });
  const throttle = createLoginThrottle(
    redis,
    {
      keyPrefix: config.REDIS_KEY_PREFIX,
      maxFailures: config.LOGIN_MAX_FAILURES,
      accountMaxFailures: config.LOGIN_ACCOUNT_MAX_FAILURES,
      baseLockSeconds: config.LOGIN_LOCK_BASE_SECONDS,
      maxLockSeconds: config.LOGIN_LOCK_MAX_SECONDS,
      ipMaxFailures: config.LOGIN_IP_MAX_FAILURES,
    },
    createLockoutNotifier({ db, mailer, backgroundTasks, links: mailLinks }),
  );
  const secretBox = createPlatformSecretBox(db, keyProvider, 'user-secrets');
  const mfa = createMfaService({
    db,
    audit,
    secretBox,
    clock,
    verifyPassword: (hash, password) => hasher.verify(hash, password),
    throttle,
    mailer,
    links: mailLinks,
  });
  const members = createMembersService({ db, audit, sessions });
  const invitations = createInvitationsService({
    db,
    audit,
    mailer,
    tenants,
    clock,
    ttlMs: config.INVITATION_TTL_HOURS * 60 * MINUTE_MS,
    links: mailLinks,
  });
  const emailVerification = createEmailVerificationService({
    db,
    audit,
    hasher,
    throttle,
    mailer,
    clock,
    ttlMs: config.EMAIL_VERIFICATION_TTL_HOURS * 60 * MINUTE_MS,
    links: mailLinks,
  });
  const accounts = createAccountService({
    db,
    audit,
    tenants,
    members,
    invitations,
    hasher,
    mfa,
    sessions,
    throttle,
    clock,
    signupEnabled: config.SIGNUP_ENABLED,
    emailVerification,
  });
  const login = createLoginService({
    db,
    audit,
    hasher,
    throttle,
    challenges: createMfaChallenges(redis, config.REDIS_KEY_PREFIX),
    mfa,
    sessions,
    clock,
  });
  const passwordResets = createPasswordResetService({
    db,
    audit,
    hasher,
    mailer,
    backgroundTasks,
    throttle,
    clock,
    ttlMs: config.PASSWORD_RESET_TTL_MINUTES * MINUTE_MS,
    links: mailLinks,
  });
  const companies = createCompaniesService({ db, audit });
  const tokenUses = createTokenUseRecorder({ db, audit, clock, logger, flushMs: config.TOKEN_USE_FLUSH_MS });
  const tokens = createTokensService({ db, audit, members, companies, tenants, uses: tokenUses, clock });
  const principals = createPrincipalService({
    db,
    sessions,
    members,
    tenants,
    mfa,
    tokens,
    clock,
    logger,
    cache: {
      ttlMs: config.PRINCIPAL_CACHE_TTL_MS,
      maxEntries: config.PRINCIPAL_CACHE_MAX_ENTRIES,
      listenUrl: config.DATABASE_URL,
    },
  });
  const platformAdmins = createPlatformAdminsService({ db });
  const documents = createDocumentsService({
    db,
    audit,
    tenants,
    companies,
    keyProvider,
    blobStores,
    clock,
    maxBytes: config.DOCUMENT_MAX_BYTES,
    segmentSize: config.DOCUMENT_SEGMENT_BYTES,
  });
  const lifecycle = createDocumentLifecycleService({
    db,
    audit,
    tenants,
    blobStores,
    clock,
    trashRetentionDays: config.TRASH_RETENTION_DAYS,
  });
  const blobPresence = createBlobPresenceCheck({ db, tenants, blobStores, clock });
  const orphanBlobs = createOrphanBlobSweeper({
    db,
    audit,
    tenants,
    blobStores,
    clock,
    logger,
    graceMs: config.ORPHAN_BLOB_GRACE_MS,
  });
  const retentionPolicy = createRetentionPolicyService({ db, audit, clock });
  const extractions = createExtractionsService({ db, audit, documents });
  const auditSink = config.AUDIT_SINK_URL
    ? createAuditSink({
        db,
        clock,
        logger,
        listTenantIds: () => tenants.listAllTenantIds(),
        settings: {
          name: 'platform',
          url: config.AUDIT_SINK_URL,
          secret: config.AUDIT_SINK_SECRET ?? '',
          batchSize: config.AUDIT_SINK_BATCH_SIZE,
          timeoutMs: config.AUDIT_SINK_TIMEOUT_MS,
          allowPrivateTargets: config.WEBHOOKS_ALLOW_PRIVATE_TARGETS,
          backoffMs: config.WEBHOOK_BACKOFF_MS,
          maxBackoffMs: 15 * MINUTE_MS,
        },
      })
    : undefined;
  const auditTrail = createAuditTrailService({
    db,
    audit,
    verifier: signer,
    assertDocumentVisible: async (ctx, id) => {
      await documents.getDocument(ctx, id);
    },
    ...(auditSink ? { offBoxStatus: (ctx) => auditSink.status(ctx) } : {}),
  });
  const auditExporter = createAuditExporter({ db, audit, verifier: signer, now: clock });
  // Created on first use: the CLI and most tests never enqueue anything.
  const queues = createQueues({ redisUrl: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX }, [
    MAINTENANCE_QUEUE,
    EXTRACTION_QUEUE,
    WEBHOOK_QUEUE,
    EXPORT_QUEUE,
  ]);
  const webhooks = createWebhooksService({
    db,
    audit,
    secretBox,
    clock,
    settings: { allowPrivateTargets: config.WEBHOOKS_ALLOW_PRIVATE_TARGETS },
  });
  const webhookOutbox = createWebhookOutbox({
    db,
    tenants,
    clock,
    queue: () => queues.get(WEBHOOK_QUEUE),
    settings: { attempts: config.WEBHOOK_ATTEMPTS, backoffMs: config.WEBHOOK_BACKOFF_MS },
  });
  const webhookDeliveries = createWebhookDelivery({
    db,
    audit,
    secretBox,
    clock,
    settings: {
      allowPrivateTargets: config.WEBHOOKS_ALLOW_PRIVATE_TARGETS,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      disableAfterFailures: config.WEBHOOK_DISABLE_AFTER_FAILURES,
    },
  });
  const review = createExtractionReviewService({ db, audit, documents, webhooks: webhookOutbox, clock });
  const erpExport = createExtractionExportService({ db, audit, documents, clock });
  const pipeline = createExtractionPipeline({
    db,
    audit,
    documents,
    tenants,
    automation,
    redis,
    clock,
    queue: () => queues.get(EXTRACTION_QUEUE),
    webhooks: webhookOutbox,
    extract: overrides.extract,
    registries: registryLookupsFromConfig(config),
    settings: {
      timeoutMs: config.EXTRACTION_TIMEOUT_MS,
      schemaDir: config.EINVOICE_SCHEMA_DIR,
      attempts: config.EXTRACTION_ATTEMPTS,
      backoffMs: config.EXTRACTION_BACKOFF_MS,
      keyPrefix: config.REDIS_KEY_PREFIX,
      storedGraceMs: 30_000,
      runningGraceMs: config.EXTRACTION_TIMEOUT_MS * (config.EXTRACTION_ATTEMPTS + 1),
    },
  });

  const offboarding = createOffboardingService({
    db,
    audit,
    auditChainer,
    tenants,
    keyProvider,
    blobStores,
    signer,
    clock,
    logger,
    graceDays: config.OFFBOARDING_GRACE_DAYS,
  });
  const dataProcessing = createDataProcessingService({
    db,
    tenants,
    retentionPolicy,
    settings: {
      subProcessors: config.SUB_PROCESSORS,
      trashRetentionDays: config.TRASH_RETENTION_DAYS,
      backupRetentionDays: config.BACKUP_RETENTION_DAYS,
      offboardingGraceDays: config.OFFBOARDING_GRACE_DAYS,
      kmsProvider: config.KMS_PROVIDER,
    },
  });
  const persons = createPersonService({ db, audit, clock });
  const exports = createExportsService({
    db,
    audit,
    auditChainer,
    documents,
    retentionPolicy,
    tenants,
    keyProvider,
    blobStores,
    signer,
    clock,
    logger,
    queue: () => queues.get(EXPORT_QUEUE),
    settings: {
      linkTtlMs: config.EXPORT_LINK_TTL_MINUTES * MINUTE_MS,
      segmentSize: config.DOCUMENT_SEGMENT_BYTES,
    },
  });

  return {
    version: packageVersion(),
    config,
    logger,
    clock,
    db,
    redis,
    blobStore,
    blobStores,
    keyProvider,
    mailer,
    backgroundTasks,
    signer,
    audit,
    auditChainer,
    auditCheckpoints,
    auditTrail,
    auditExporter,
    auditSink,
    tenants,
    automation,
    accounts,
    login,
    passwordResets,
    emailVerification,
    platformAdmins,
    mfa,
    members,
    invitations,
    tokens,
    principals,
    companies,
    documents,
    lifecycle,
    orphanBlobs,
    blobPresence,
    retentionPolicy,
    extractions,
    review,
    erpExport,
    pipeline,
    webhooks,
    webhookOutbox,
    webhookDeliveries,
    offboarding,
    dataProcessing,
    persons,
    exports,
    queues,
    async close() {
      // Mails and notices requests started are finished while their connections are still open.
      await backgroundTasks.settled();
      smtp?.close();
      // Token uses still buffered are written before the database connections close.
      await tokenUses
        .close()
        .catch((error: unknown) => logger.error({ err: error }, 'token uses not written'));
      await Promise.allSettled([
        principals.close(),
        db.close(),
        redis.quit().catch(() => redis.disconnect()),
        queues.close(),
      ]);
    },
  };
}
