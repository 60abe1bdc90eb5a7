/**
 * The only reader of `process.env`. Every setting is parsed with zod once at start-up; a bad or
 * missing value stops the process with a list of every problem (never a stack trace, never the
 * offending value, which may be a secret). Defaults work on a developer machine with PostgreSQL
 * and Redis on localhost. Every variable is documented in `.env.example`.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const postgresUrl = z.string().refine((v) => /^postgres(ql)?:\/\/[^\s]+$/.test(v) && URL.canParse(v), {
  message: 'must be a PostgreSQL connection URL, e.g. postgresql://user@host:5432/db',
});

const redisUrl = z.string().refine((v) => /^rediss?:\/\/[^\s]+$/.test(v) && URL.canParse(v), {
  message: 'must be a Redis URL, e.g. redis://127.0.0.1:6379',
});

const smtpUrl = z.string().refine((v) => /^smtps?:\/\/[^\s]+$/.test(v) && URL.canParse(v), {
  message: 'must be an SMTP URL, e.g. smtp://user:password@mail.example.com:587 or smtps://…:465',
});

const regionName = z.string().regex(/^[a-z0-9-]{2,32}$/, 'must be lower-case letters, digits and dashes');

/** The well-known Azurite development account (public, documented by Microsoft; not a secret). */
export const AZURITE_DEV_CONNECTION_STRING =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
  'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
  'BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;';

/** Whether a listen address accepts connections only from this machine. */
function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

const EnvSchema = z
  .object({
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    TRUST_PROXY: booleanFromEnv.default(false),
    BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024),
    RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(600),
    RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(1000).default(60_000),
    DOCS_ENABLED: booleanFromEnv.default(true),
    SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),

    DATABASE_URL: postgresUrl.default('postgresql://doklad_app@127.0.0.1:5432/doklad'),
    MIGRATION_DATABASE_URL: postgresUrl.default('postgresql://postgres@127.0.0.1:5432/doklad'),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
    // Past this wait for a free pooled connection a request answers 503 with Retry-After.
    DATABASE_POOL_WAIT_MS: z.coerce.number().int().min(10).max(60_000).default(2_000),
    DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
    DATABASE_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
    // Resolved sessions and integration tokens are kept this long in each API process (0: off);
    // changes reach every process at once through PostgreSQL notifications (principal-cache.ts).
    PRINCIPAL_CACHE_TTL_MS: z.coerce.number().int().min(0).max(300_000).default(30_000),
    PRINCIPAL_CACHE_MAX_ENTRIES: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
    // Integration-token uses are written in batches this often (and at shutdown).
    TOKEN_USE_FLUSH_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),

    REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,40}$/)
      .default('doklad'),

    AZURE_STORAGE_CONNECTION_STRING: z.string().min(1).default(AZURITE_DEV_CONNECTION_STRING),
    BLOB_CONTAINER_PREFIX: z
      .string()
      .regex(/^[a-z0-9]{1,20}$/, 'must be 1-20 lower-case letters or digits')
      .default('doklad'),

    DOCUMENT_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(50 * 1024 * 1024),
    DOCUMENT_SEGMENT_BYTES: z.coerce
      .number()
      .int()
      .min(4096)
      .max(8 * 1024 * 1024)
      .default(64 * 1024),
    TRASH_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
    // Blobs that no document row names (an upload killed between storing its blob and committing
    // its row) are deleted this often, once older than the grace period (uploads in flight).
    ORPHAN_BLOB_SWEEP_INTERVAL_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(3_600_000),
    // How often each worker checks that the maintenance schedules still exist in Redis (they are
    // lost when Redis restarts empty) and registers missing ones; it reports itself healthy for
    // /readyz/workers after each check, for three times this long.
    MAINTENANCE_SCHEDULE_CHECK_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(60_000),
    ORPHAN_BLOB_GRACE_MS: z.coerce.number().int().min(1_000).max(604_800_000).default(3_600_000),
    EXTRACTION_IN_THREADS: booleanFromEnv.default(true),
    EXTRACTION_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
    EXTRACTION_TIMEOUT_MS: z.coerce.number().int().min(1000).default(120_000),
    EXTRACTION_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
    EXTRACTION_BACKOFF_MS: z.coerce.number().int().min(10).default(5_000),
    // Directory with the official UBL 2.1 and CII D16B XSDs (ubl-2.1/, cii-d16b/). Set: incoming
    // UBL and CII invoices are also schema-validated (about 0.5-0.8 s each, in the extraction
    // worker). Unset: no schema check; the EN 16931 rules still run.
    EINVOICE_SCHEMA_DIR: z.string().min(1).optional(),
    // How long a worker holds a job before others may take it over (it renews the lock while it
    // works); a worker that died releases its jobs after this.
    // Webhooks: private/loopback targets only for development (SSRF protection otherwise).
    WEBHOOKS_ALLOW_PRIVATE_TARGETS: booleanFromEnv.default(false),
    WEBHOOK_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
    WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(10).default(10_000),
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    WEBHOOK_DISABLE_AFTER_FAILURES: z.coerce.number().int().min(1).default(5),
    EXTRACTION_LOCK_MS: z.coerce.number().int().min(1000).default(60_000),
    // Public registers asked about a document's seller after extraction: off by default (the
    // engine never needs them; only the identifier is sent). ARES: Czech IČO; VIES: EU VAT IDs.
    REGISTRY_ARES_ENABLED: booleanFromEnv.default(false),
    REGISTRY_VIES_ENABLED: booleanFromEnv.default(false),
    ARES_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://ares.gov.cz'),
    VIES_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://ec.europa.eu'),
    REGISTRY_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3_000),

    TENANT_REGIONS: z
      .string()
      .default('eu-west')
      .transform((v) => v.split(',').map((r) => r.trim()))
      .pipe(z.array(regionName).min(1)),
    DEFAULT_TENANT_REGION: regionName.default('eu-west'),

    SIGNUP_ENABLED: booleanFromEnv.default(true),
    PUBLIC_BASE_URL: z.url().default('http://127.0.0.1:3000'),
    MAIL_FROM: z.string().min(3).default('Doklad <no-reply@doklad.invalid>'),
    // Mail transport (see resolveMailTransport below for the default).
    MAIL_TRANSPORT: z.enum(['console', 'memory', 'smtp']).optional(),
    SMTP_URL: smtpUrl.optional(),
    // SMTP mail is sent after the answer; a failing server is tried this often, with pauses that
    // start at MAIL_RETRY_DELAY_MS and grow fourfold, before the mail is logged as not delivered.
    MAIL_SEND_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
    MAIL_RETRY_DELAY_MS: z.coerce.number().int().min(0).max(300_000).default(2_000),
    // argon2id cost: OWASP's minimum is 19 MiB / 2 iterations; the default stays under ~150 ms here.
    ARGON2_MEMORY_KIB: z.coerce.number().int().min(19_456).max(1_048_576).default(65_536),
    ARGON2_TIME_COST: z.coerce.number().int().min(2).max(10).default(2),
    ARGON2_PARALLELISM: z.coerce.number().int().min(1).max(8).default(1),
    SESSION_IDLE_TIMEOUT_MINUTES: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(30),
    SESSION_MAX_LIFETIME_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .default(12),
    STEP_UP_WINDOW_MINUTES: z.coerce.number().int().min(1).max(60).default(5),
    PASSWORD_RESET_TTL_MINUTES: z.coerce
      .number()
      .int()
      .min(5)
      .max(24 * 60)
      .default(30),
    // How long an email verification link (sign-up, email change) stays valid.
    EMAIL_VERIFICATION_TTL_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 7)
      .default(24),
    INVITATION_TTL_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .default(72),
    LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
    LOGIN_ACCOUNT_MAX_FAILURES: z.coerce.number().int().min(1).max(10_000).default(50),
    LOGIN_LOCK_BASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
    LOGIN_LOCK_MAX_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
    LOGIN_IP_MAX_FAILURES: z.coerce.number().int().min(1).max(100_000).default(100),

    KMS_PROVIDER: z.enum(['local', 'azure-key-vault']).default('local'),
    LOCAL_KMS_MASTER_KEY: z.string().min(1).optional(),
    LOCAL_KMS_MASTER_KEY_FILE: z.string().min(1).default('.data/keys/local-kms-master.key'),
    LOCAL_KMS_MASTER_KEY_CREATE: booleanFromEnv.default(true),
    LOCAL_KMS_KEY_DIR: z.string().min(1).default('.data/keys/kek'),
    AZURE_KEY_VAULT_URL: z.url({ protocol: /^https$/ }).optional(),

    // Privacy. A firm that asks to be closed keeps this many days to export or cancel before the
    // purge; the purge job looks for firms whose grace period ended this often.
    OFFBOARDING_GRACE_DAYS: z.coerce.number().int().min(1).max(365).default(30),
    OFFBOARDING_PURGE_INTERVAL_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(3_600_000),
    // A data export's download link works this long, and once.
    EXPORT_LINK_TTL_MINUTES: z.coerce.number().int().min(1).max(1440).default(15),
    // How long database and blob backups are kept (stated in each firm's record of processing;
    // keep it within TRASH_RETENTION_DAYS, see docs/operations.md).
    BACKUP_RETENTION_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
    // Label words shared across consenting firms that must not be shared (an operator's answer to a
    // planted or misleading one, docs/learning.md): comma-separated `field:label` pairs.
    SHARED_LABELS_BLOCKED: z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((pair) => pair.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().regex(/^[a-zA-Z.]{1,40}:[^,]{3,40}$/, 'must be field:label')).max(500)),
    // The sub-processors in use, for each firm's record of processing: entries separated by ";",
    // each "name|purpose|location".
    SUB_PROCESSORS: z
      .string()
      .default(
        "Microsoft Ireland Operations Ltd (Azure)|hosting, database, blob storage and key management|the tenant's region",
      )
      .transform((v) =>
        v
          .split(';')
          .map((entry) => entry.trim())
          .filter(Boolean),
      )
      .pipe(
        z.array(
          z
            .string()
            .regex(/^[^|]{1,200}\|[^|]{1,300}\|[^|]{1,100}$/, 'each entry must be "name|purpose|location"')
            .transform((entry) => {
              const [name, purpose, location] = entry.split('|').map((part) => part.trim());
              return { name: name!, purpose: purpose!, location: location! };
            }),
        ),
      ),

    AUDIT_SIGNING_KEY: z.string().min(1).optional(),
    AUDIT_SIGNING_KEY_FILE: z.string().min(1).default('.data/keys/audit-signing-key.pem'),
    AUDIT_SIGNING_KEY_CREATE: booleanFromEnv.default(true),
    // How often the worker chains recorded audit events (0: this process does not chain), and
    // how many it chains per transaction.
    AUDIT_CHAIN_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(200),
    AUDIT_CHAIN_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
    // How often the worker signs a checkpoint for every tenant whose chain grew since its last
    // one: events after the latest checkpoint can be deleted unnoticed, so keep this short.
    AUDIT_CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(60_000),
    // The off-box copy of the audit log (ASVS 16.4.3): every chained event is pushed, signed like
    // a webhook with AUDIT_SINK_SECRET, to this HTTPS endpoint outside our database. Unset: no copy.
    AUDIT_SINK_URL: z.url().optional(),
    AUDIT_SINK_SECRET: z.string().min(32).optional(),
    // How often the worker pushes (0: this process does not push), events per push, timeout.
    AUDIT_SINK_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(1_000),
    AUDIT_SINK_BATCH_SIZE: z.coerce.number().int().min(1).max(5_000).default(500),
    AUDIT_SINK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),

    // --- Observability (metrics, traces) ---
    // `/metrics` (Prometheus) is served on its own listener, never on the API port: the API on
    // METRICS_PORT, the worker on WORKER_METRICS_PORT (0: any free port, logged), both on
    // METRICS_HOST. Off a loopback address a METRICS_TOKEN (bearer) is required.
    METRICS_ENABLED: booleanFromEnv.default(true),
    METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
    WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9465),
    METRICS_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
    // Traces are exported over OTLP/HTTP only when this is set (e.g. http://collector:4318).
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
    OTEL_SERVICE_NAME: z.string().min(1).default('doklad'),
  })
  .superRefine((c, ctx) => {
    if (c.AUDIT_SINK_URL && !c.AUDIT_SINK_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['AUDIT_SINK_SECRET'],
        message: 'is required (at least 32 characters) when AUDIT_SINK_URL is set',
      });
    }
    if (c.KMS_PROVIDER === 'azure-key-vault' && !c.AZURE_KEY_VAULT_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['AZURE_KEY_VAULT_URL'],
        message: 'is required when KMS_PROVIDER=azure-key-vault',
      });
    }
    if (c.MAIL_TRANSPORT === 'smtp' && !c.SMTP_URL) {
      ctx.addIssue({ code: 'custom', path: ['SMTP_URL'], message: 'is required when MAIL_TRANSPORT=smtp' });
    }
    if (c.METRICS_ENABLED && !c.METRICS_TOKEN && !isLoopbackHost(c.METRICS_HOST)) {
      ctx.addIssue({
        code: 'custom',
        path: ['METRICS_TOKEN'],
        message: `is required when METRICS_HOST (${c.METRICS_HOST}) is not a loopback address`,
      });
    }
    if (!c.TENANT_REGIONS.includes(c.DEFAULT_TENANT_REGION)) {
      ctx.addIssue({
        code: 'custom',
        path: ['DEFAULT_TENANT_REGION'],
        message: `must be one of TENANT_REGIONS (${c.TENANT_REGIONS.join(', ')})`,
      });
    }
  });

export type MailTransport = 'console' | 'memory' | 'smtp';

type Env = z.output<typeof EnvSchema>;

const SECOND_MS = 1_000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;

/**
 * The settings by concern, with units converted once (durations in milliseconds unless the name
 * says otherwise): consumers read `config.sessions.idleTimeoutMs`, never the variable. Where a
 * module takes a settings object, its section has that shape, so the container passes it on whole.
 */
function sectionsOf(env: Env, input: Readonly<Record<string, string | undefined>>) {
  return {
    logLevel: env.LOG_LEVEL,
    http: {
      host: env.HOST,
      port: env.PORT,
      trustProxy: env.TRUST_PROXY,
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
      docsEnabled: env.DOCS_ENABLED,
      shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
      rateLimit: { max: env.RATE_LIMIT_MAX, windowMs: env.RATE_LIMIT_WINDOW_MS },
      /** Where people reach the API: mail links and the queue console's origin check. */
      publicBaseUrl: env.PUBLIC_BASE_URL,
    },
    database: {
      url: env.DATABASE_URL,
      migrationUrl: env.MIGRATION_DATABASE_URL,
      pool: {
        max: env.DATABASE_POOL_MAX,
        waitMs: env.DATABASE_POOL_WAIT_MS,
        statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      },
      transactions: {
        poolWaitMs: env.DATABASE_POOL_WAIT_MS,
        transactionTimeoutMs: env.DATABASE_TRANSACTION_TIMEOUT_MS,
      },
    },
    redis: { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX },
    blobs: {
      connectionString: env.AZURE_STORAGE_CONNECTION_STRING,
      containerPrefix: env.BLOB_CONTAINER_PREFIX,
      /** Each region stores in its own account when one is configured, else in the default one. */
      connectionByRegion: Object.fromEntries(
        env.TENANT_REGIONS.map((region) => [
          region,
          input[regionalStorageVariable(region)] ?? env.AZURE_STORAGE_CONNECTION_STRING,
        ]),
      ) as Record<string, string>,
    },
    tenants: { regions: env.TENANT_REGIONS, defaultRegion: env.DEFAULT_TENANT_REGION },
    documents: {
      maxBytes: env.DOCUMENT_MAX_BYTES,
      segmentBytes: env.DOCUMENT_SEGMENT_BYTES,
      trashRetentionDays: env.TRASH_RETENTION_DAYS,
      orphanBlobSweepIntervalMs: env.ORPHAN_BLOB_SWEEP_INTERVAL_MS,
      orphanBlobGraceMs: env.ORPHAN_BLOB_GRACE_MS,
    },
    maintenance: { scheduleCheckIntervalMs: env.MAINTENANCE_SCHEDULE_CHECK_INTERVAL_MS },
    extraction: {
      inThreads: env.EXTRACTION_IN_THREADS,
      concurrency: env.EXTRACTION_CONCURRENCY,
      timeoutMs: env.EXTRACTION_TIMEOUT_MS,
      attempts: env.EXTRACTION_ATTEMPTS,
      backoffMs: env.EXTRACTION_BACKOFF_MS,
      lockMs: env.EXTRACTION_LOCK_MS,
      schemaDir: env.EINVOICE_SCHEMA_DIR,
    },
    registries: {
      aresEnabled: env.REGISTRY_ARES_ENABLED,
      viesEnabled: env.REGISTRY_VIES_ENABLED,
      aresBaseUrl: env.ARES_BASE_URL,
      viesBaseUrl: env.VIES_BASE_URL,
      timeoutMs: env.REGISTRY_TIMEOUT_MS,
    },
    webhooks: {
      allowPrivateTargets: env.WEBHOOKS_ALLOW_PRIVATE_TARGETS,
      attempts: env.WEBHOOK_ATTEMPTS,
      backoffMs: env.WEBHOOK_BACKOFF_MS,
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      disableAfterFailures: env.WEBHOOK_DISABLE_AFTER_FAILURES,
    },
    mail: {
      from: env.MAIL_FROM,
      transport: resolveMailTransport(env),
      smtpUrl: env.SMTP_URL,
      sendAttempts: env.MAIL_SEND_ATTEMPTS,
      retryDelayMs: env.MAIL_RETRY_DELAY_MS,
    },
    passwordHashing: {
      memoryKiB: env.ARGON2_MEMORY_KIB,
      timeCost: env.ARGON2_TIME_COST,
      parallelism: env.ARGON2_PARALLELISM,
    },
    sessions: {
      idleTimeoutMs: env.SESSION_IDLE_TIMEOUT_MINUTES * MINUTE_MS,
      maxLifetimeMs: env.SESSION_MAX_LIFETIME_HOURS * HOUR_MS,
      stepUpWindowMs: env.STEP_UP_WINDOW_MINUTES * MINUTE_MS,
    },
    accounts: {
      signupEnabled: env.SIGNUP_ENABLED,
      passwordResetTtlMs: env.PASSWORD_RESET_TTL_MINUTES * MINUTE_MS,
      emailVerificationTtlMs: env.EMAIL_VERIFICATION_TTL_HOURS * HOUR_MS,
      invitationTtlMs: env.INVITATION_TTL_HOURS * HOUR_MS,
    },
    /** The login throttle's limits (lock times stay in seconds: they are Redis expiries). */
    login: {
      maxFailures: env.LOGIN_MAX_FAILURES,
      accountMaxFailures: env.LOGIN_ACCOUNT_MAX_FAILURES,
      baseLockSeconds: env.LOGIN_LOCK_BASE_SECONDS,
      maxLockSeconds: env.LOGIN_LOCK_MAX_SECONDS,
      ipMaxFailures: env.LOGIN_IP_MAX_FAILURES,
    },
    principalCache: { ttlMs: env.PRINCIPAL_CACHE_TTL_MS, maxEntries: env.PRINCIPAL_CACHE_MAX_ENTRIES },
    tokens: { useFlushMs: env.TOKEN_USE_FLUSH_MS },
    kms: {
      provider: env.KMS_PROVIDER,
      localMasterKey: env.LOCAL_KMS_MASTER_KEY,
      localMasterKeyFile: env.LOCAL_KMS_MASTER_KEY_FILE,
      localMasterKeyCreate: env.LOCAL_KMS_MASTER_KEY_CREATE,
      localKeyDir: env.LOCAL_KMS_KEY_DIR,
      azureKeyVaultUrl: env.AZURE_KEY_VAULT_URL,
    },
    privacy: {
      offboardingGraceDays: env.OFFBOARDING_GRACE_DAYS,
      offboardingPurgeIntervalMs: env.OFFBOARDING_PURGE_INTERVAL_MS,
      exportLinkTtlMs: env.EXPORT_LINK_TTL_MINUTES * MINUTE_MS,
      backupRetentionDays: env.BACKUP_RETENTION_DAYS,
      subProcessors: env.SUB_PROCESSORS,
    },
    learning: { sharedLabelsBlocked: env.SHARED_LABELS_BLOCKED },
    audit: {
      signingKey: {
        pem: env.AUDIT_SIGNING_KEY,
        file: env.AUDIT_SIGNING_KEY_FILE,
        createIfMissing: env.AUDIT_SIGNING_KEY_CREATE,
      },
      chainIntervalMs: env.AUDIT_CHAIN_INTERVAL_MS,
      chainBatchSize: env.AUDIT_CHAIN_BATCH_SIZE,
      checkpointIntervalMs: env.AUDIT_CHECKPOINT_INTERVAL_MS,
      /** The off-box copy; undefined when AUDIT_SINK_URL is not set (the secret is then checked). */
      sink: env.AUDIT_SINK_URL
        ? {
            url: env.AUDIT_SINK_URL,
            secret: env.AUDIT_SINK_SECRET ?? '',
            intervalMs: env.AUDIT_SINK_INTERVAL_MS,
            batchSize: env.AUDIT_SINK_BATCH_SIZE,
            timeoutMs: env.AUDIT_SINK_TIMEOUT_MS,
          }
        : undefined,
    },
    metrics: {
      enabled: env.METRICS_ENABLED,
      host: env.METRICS_HOST,
      apiPort: env.METRICS_PORT,
      workerPort: env.WORKER_METRICS_PORT,
      token: env.METRICS_TOKEN,
    },
    tracing: { endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: env.OTEL_SERVICE_NAME },
  };
}

type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export type Config = DeepReadonly<ReturnType<typeof sectionsOf>>;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * SMTP whenever SMTP_URL is set, unless MAIL_TRANSPORT says otherwise: configuring a mail server
 * and still getting mails (with their tokens) printed to stderr would be a trap.
 */
function resolveMailTransport(c: { MAIL_TRANSPORT?: MailTransport; SMTP_URL?: string }): MailTransport {
  return c.MAIL_TRANSPORT ?? (c.SMTP_URL ? 'smtp' : 'console');
}

/** `eu-north` -> `AZURE_STORAGE_CONNECTION_STRING_EU_NORTH`. */
export function regionalStorageVariable(region: string): string {
  return `AZURE_STORAGE_CONNECTION_STRING_${region.toUpperCase().replaceAll('-', '_')}`;
}

/** Thrown by `loadConfig`; `message` lists every problem, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Adds the settings of a `.env` file in the working directory to the environment, when there is
 * one; variables already set win. Done here rather than with Node's `--env-file-if-exists`, which
 * prints ".env not found" on every start (twice under tsx) to people who never needed one.
 */
export function loadEnvFileIfPresent(file = '.env'): boolean {
  if (!existsSync(file)) return false;
  process.loadEnvFile(file);
  return true;
}

/**
 * Parses the environment. Empty strings count as unset, so `FOO=` in a .env file falls back to
 * the default instead of failing on an empty value.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  return deepFreeze(sectionsOf(parsed.data, input));
}
