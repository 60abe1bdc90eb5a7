/**
 * The composition root: adapters, then services, wired by hand. The API, the worker and the CLI
 * all build the same container, so they share one set of rules.
 */
import type { Config } from './platform/config.js';
import { loadSigner, type Signer } from './platform/crypto/signing-key.js';
import { createDb, type Db } from './platform/db/db.js';
import { createPrismaClient } from './platform/db/prisma.js';
import type { Logger } from './platform/logger.js';
import { packageVersion } from './platform/package-root.js';
import { createRedis, type Redis } from './platform/redis.js';
import { createBlobStore, type BlobStore } from './platform/storage/blob-store.js';
import { createAuditService, type AuditService } from './modules/audit/audit.service.js';
import { createTenantsService, type TenantsService } from './modules/tenants/tenants.service.js';

export interface Container {
  readonly version: string;
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Db;
  readonly redis: Redis;
  readonly blobStore: BlobStore;
  readonly signer: Signer;
  readonly audit: AuditService;
  readonly tenants: TenantsService;
  /** Closes every connection the container opened. */
  close(): Promise<void>;
}

export async function createContainer(config: Config, logger: Logger): Promise<Container> {
  const signer = await loadSigner({
    pem: config.AUDIT_SIGNING_KEY,
    file: config.AUDIT_SIGNING_KEY_FILE,
    createIfMissing: config.AUDIT_SIGNING_KEY_CREATE,
  });
  const db = createDb(createPrismaClient(config.DATABASE_URL, config.DATABASE_POOL_MAX));
  const redis = createRedis(config.REDIS_URL);
  // Connect now so the first requests find Redis ready; if it is down, start anyway (ioredis keeps
  // retrying in the background) and let /readyz report it.
  await redis.connect().catch((error: unknown) => logger.warn({ err: error }, 'Redis is not reachable yet'));
  const blobStore = createBlobStore(config.AZURE_STORAGE_CONNECTION_STRING, config.BLOB_CONTAINER_PREFIX);
  const audit = createAuditService({ db, signer });
  const tenants = createTenantsService({
    db,
    audit,
    regions: config.TENANT_REGIONS,
    defaultRegion: config.DEFAULT_TENANT_REGION,
  });

  return {
    version: packageVersion(),
    config,
    logger,
    db,
    redis,
    blobStore,
    signer,
    audit,
    tenants,
    async close() {
      await Promise.allSettled([db.close(), redis.quit().catch(() => redis.disconnect())]);
    },
  };
}
