/**
 * A test file's own world: a fresh database cloned from the migrated template, its own Redis key
 * prefix and blob container prefix, a container and (optionally) the Fastify app, with every log
 * line captured so tests can assert what was (not) logged.
 *
 *   const env = useTestEnv();
 *   it('...', async () => { const res = await env.app.inject({ url: '/readyz' }); ... });
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { buildApp } from '../../src/app/build-app.js';
import { createContainer, type Container, type ContainerOverrides } from '../../src/container.js';
import { loadConfig, type Config } from '../../src/platform/config.js';
import { createLogger } from '../../src/platform/logger.js';
import { createMemoryMailer, type MemoryMailer } from '../../src/platform/mailer.js';
import type { BlobStore } from '../../src/platform/storage/blob-store.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { databaseUrl, runtimeDatabaseUrl } from './database-urls.js';

/** A clock tests can move: starts at the real time, `advance()` jumps forward. */
export interface TestClock {
  (): Date;
  advance(ms: number): void;
}

export function createTestClock(): TestClock {
  let offsetMs = 0;
  const clock = (() => new Date(Date.now() + offsetMs)) as TestClock;
  clock.advance = (ms) => {
    offsetMs += ms;
  };
  return clock;
}

export interface TestEnv {
  readonly config: Config;
  readonly clock: TestClock;
  /** Every mail the app sent (with the default memory transport). */
  readonly mail: MemoryMailer['sent'];
  readonly container: Container;
  /** The default region's blob store, to look at (or tamper with) stored blobs directly. */
  readonly blobStore: BlobStore;
  readonly app: FastifyInstance;
  /** Every JSON log line written so far, as text. */
  readonly logs: string[];
  /** Runs SQL as the database owner (superuser), bypassing RLS: for setup and tampering only. */
  adminQuery<R extends pg.QueryResultRow = any>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  /** A raw connection as the runtime role, exactly as the API connects. */
  runtimeClient(): Promise<pg.Client>;
}

export interface TestEnvOptions {
  /** Settings to override, as environment variables. */
  readonly env?: Record<string, string>;
  /** Build the Fastify app (default true). */
  readonly app?: boolean;
  /** How background tasks start (default: right after the request, like production). */
  readonly scheduleBackgroundTask?: ContainerOverrides['scheduleBackgroundTask'];
  /** Another KMS client, made when the world is built (after earlier `beforeAll` hooks ran). */
  readonly keyProvider?: () => NonNullable<ContainerOverrides['keyProvider']>;
}

export function testAuditSigningKeyPem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

export function useTestEnv(options: TestEnvOptions = {}): TestEnv {
  const services = inject('services');
  const suffix = randomBytes(4).toString('hex');
  const database = `doklad_t_${services.runId}_${suffix}`;
  const adminUrl = databaseUrl(services.adminDatabaseUrl, database);
  const logs: string[] = [];
  const clock = createTestClock();
  const mailer = createMemoryMailer();
  const clients: pg.Client[] = [];
  let state: { config: Config; container: Container; app?: FastifyInstance } | undefined;

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: services.adminDatabaseUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${database}" TEMPLATE "${services.templateDatabase}"`);
    } finally {
      await admin.end();
    }
    const config = loadConfig({
      DATABASE_URL: runtimeDatabaseUrl(services.adminDatabaseUrl, database),
      MIGRATION_DATABASE_URL: adminUrl,
      DATABASE_POOL_MAX: '5',
      REDIS_URL: services.redisUrl,
      REDIS_KEY_PREFIX: `t${suffix}`,
      AZURE_STORAGE_CONNECTION_STRING: services.blobConnectionString,
      BLOB_CONTAINER_PREFIX: `t${suffix}`,
      AUDIT_SIGNING_KEY: testAuditSigningKeyPem(),
      AUDIT_SIGNING_KEY_CREATE: 'false',
      LOG_LEVEL: 'info',
      TENANT_REGIONS: 'eu-west,eu-north',
      // OWASP's minimum argon2id cost keeps the suite fast; production defaults are higher.
      ARGON2_MEMORY_KIB: '19456',
      MAIL_TRANSPORT: 'memory',
      LOCAL_KMS_MASTER_KEY: randomBytes(32).toString('base64'),
      LOCAL_KMS_MASTER_KEY_CREATE: 'false',
      LOCAL_KMS_KEY_DIR: mkdtempSync(path.join(tmpdir(), 'doklad-kek-')),
      ...options.env,
    });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        callback();
      },
    });
    const container = await createContainer(config, createLogger(config.logLevel, sink), {
      clock,
      // A test that configures MAIL_TRANSPORT=smtp gets the real transport (and reads a real inbox).
      ...(config.mail.transport === 'memory' ? { mailer } : {}),
      ...(options.scheduleBackgroundTask ? { scheduleBackgroundTask: options.scheduleBackgroundTask } : {}),
      ...(options.keyProvider ? { keyProvider: options.keyProvider() } : {}),
    });
    const app = options.app === false ? undefined : await buildApp(container);
    await app?.ready();
    state = { config, container, app };
  });

  afterAll(async () => {
    await state?.app?.close();
    await state?.container.close();
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    const admin = new pg.Client({ connectionString: services.adminDatabaseUrl });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  });

  const ready = () => {
    if (!state) throw new Error('useTestEnv: used before beforeAll ran');
    return state;
  };

  return {
    get config() {
      return ready().config;
    },
    get container() {
      return ready().container;
    },
    get blobStore() {
      const { container, config } = ready();
      return container.blobStores.forRegion(config.tenants.defaultRegion);
    },
    get app() {
      const { app } = ready();
      if (!app) throw new Error('useTestEnv: created with { app: false }');
      return app;
    },
    logs,
    clock,
    mail: mailer.sent,
    async adminQuery(sql, params) {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        return await client.query(sql, params);
      } finally {
        await client.end();
      }
    },
    async runtimeClient() {
      const client = new pg.Client({ connectionString: ready().config.database.url });
      await client.connect();
      clients.push(client);
      return client;
    },
  };
}

/**
 * The environment of an API or worker process a test spawns against this test's services: the
 * same database, Redis prefix, blob storage, keys and regions as `config`, nothing inherited from
 * the developer's shell but PATH and HOME, and any free ports (other test files and benchmarks run
 * processes at the same time). `extra` adds or overrides settings.
 */
export function childProcessEnv(config: Config, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: config.database.url,
    MIGRATION_DATABASE_URL: config.database.migrationUrl,
    REDIS_URL: config.redis.url,
    REDIS_KEY_PREFIX: config.redis.keyPrefix,
    AZURE_STORAGE_CONNECTION_STRING: config.blobs.connectionString,
    BLOB_CONTAINER_PREFIX: config.blobs.containerPrefix,
    AUDIT_SIGNING_KEY: config.audit.signingKey.pem,
    AUDIT_SIGNING_KEY_CREATE: 'false',
    LOCAL_KMS_MASTER_KEY: config.kms.localMasterKey,
    LOCAL_KMS_MASTER_KEY_CREATE: 'false',
    LOCAL_KMS_KEY_DIR: config.kms.localKeyDir,
    TENANT_REGIONS: config.tenants.regions.join(','),
    ARGON2_MEMORY_KIB: '19456',
    PORT: '0',
    METRICS_PORT: '0',
    WORKER_METRICS_PORT: '0',
    ...extra,
  };
}
