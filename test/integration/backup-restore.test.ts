/**
 * The backup and restore procedure of docs/operations.md, run for real: pg_dump of the database
 * (as the owner), a copy of the tenant's blob container, the KMS keys kept outside both; restore
 * into a fresh database and a fresh container, then the audit chain verifies and a document's
 * bytes come back identical. Also what the procedure means for erasure: a document purged after
 * the backup is readable from that backup until its tenant's KEK is destroyed, and not after.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { BlobServiceClient } from '@azure/storage-blob';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createContainer, type Container } from '../../src/container.js';
import { systemContext } from '../../src/core/request-context.js';
import { loadConfig } from '../../src/platform/config.js';
import { createLogger } from '../../src/platform/logger.js';
import { bearer, signup } from '../helpers/auth.js';
import { databaseUrl, runtimeDatabaseUrl } from '../helpers/database-urls.js';
import { samplePdf, uploadRaw } from '../helpers/documents.js';
import { useTestEnv } from '../helpers/test-env.js';

const env = useTestEnv();
const services = inject('services');

function hasPgTools(): boolean {
  try {
    execFileSync('pg_dump', ['--version'], { stdio: 'ignore' });
    execFileSync('pg_restore', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const pgTools = hasPgTools();
if (!pgTools) console.warn('backup-restore.test.ts skipped: pg_dump/pg_restore are not on PATH');

const restoredDatabase = `doklad_restore_${randomBytes(4).toString('hex')}`;
const restoredPrefix = `r${randomBytes(4).toString('hex')}`;
let restored: Container | undefined;

afterAll(async () => {
  await restored?.close();
  const admin = new pg.Client({ connectionString: services.adminDatabaseUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${restoredDatabase}" WITH (FORCE)`);
  await admin.end();
});

/** Step 2 of the procedure: copy every blob of the tenant's container to the backup container. */
async function copyContainer(from: string, to: string): Promise<number> {
  const service = BlobServiceClient.fromConnectionString(services.blobConnectionString);
  const source = service.getContainerClient(from);
  const target = service.getContainerClient(to);
  await target.createIfNotExists();
  let copied = 0;
  for await (const blob of source.listBlobsFlat()) {
    const bytes = await source.getBlobClient(blob.name).downloadToBuffer();
    await target.getBlockBlobClient(blob.name).uploadData(bytes);
    copied += 1;
  }
  return copied;
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  expect(result.status, `${command}: ${result.stderr}`).toBe(0);
}

describe.skipIf(!pgTools)('backup and restore (docs/operations.md)', () => {
  it('restores database and blobs into fresh ones: the audit chain verifies and the bytes match', async () => {
    const firm = await signup(env.app);
    const bytes = samplePdf(undefined, 200_000);
    const up = await uploadRaw(env.app, firm.token, bytes, { contentType: 'application/pdf' });
    expect(up.statusCode, up.body).toBe(201);
    const documentId = up.json().id as string;
    await env.container.auditChainer.chainPending(firm.tenantId);
    await env.container.audit.createCheckpoint(systemContext(firm.tenantId));
    const before = await env.container.audit.verifyChain(systemContext(firm.tenantId));
    expect(before.ok).toBe(true);

    // 1. The database, as its owner (the runtime role would be stopped by row-level security).
    const dir = mkdtempSync(path.join(tmpdir(), 'doklad-backup-'));
    const dump = path.join(dir, 'doklad.dump');
    run('pg_dump', ['--format=custom', '--file', dump, env.config.database.migrationUrl]);
    // 2. The blobs: the tenant's container, ciphertext only.
    const sourceContainer = env.blobStore.containerFor(firm.tenantId);
    const backupContainer = `${restoredPrefix}-${firm.tenantId}`;
    expect(await copyContainer(sourceContainer, backupContainer)).toBe(1);
    // 3. The KMS keys and the audit signing key stay where they are: outside both backups.

    // Meanwhile the document is purged from the live system (trash, then past the trash period).
    const trashed = await env.app.inject({
      method: 'DELETE',
      url: `/v1/documents/${documentId}`,
      headers: bearer(firm.token),
      payload: { reason: 'duplicate upload, purge after backup' },
    });
    expect(trashed.statusCode, trashed.body).toBeLessThan(300);
    env.clock.advance((env.config.documents.trashRetentionDays + 1) * 86_400_000);
    expect((await env.container.lifecycle.purgeTrash()).purged).toBeGreaterThanOrEqual(1);
    await expect(
      env.container.documents.openContent(systemContext(firm.tenantId), documentId),
    ).rejects.toMatchObject({ status: 404 });

    // Restore: a fresh database from the dump, the app pointed at it and at the blob copy.
    const admin = new pg.Client({ connectionString: services.adminDatabaseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${restoredDatabase}" TEMPLATE template0`);
    await admin.end();
    const restoredAdminUrl = databaseUrl(services.adminDatabaseUrl, restoredDatabase);
    run('pg_restore', ['--exit-on-error', '--no-owner', '--dbname', restoredAdminUrl, dump]);
    const config = loadConfig({
      DATABASE_URL: runtimeDatabaseUrl(services.adminDatabaseUrl, restoredDatabase),
      MIGRATION_DATABASE_URL: restoredAdminUrl,
      DATABASE_POOL_MAX: '2',
      REDIS_URL: services.redisUrl,
      REDIS_KEY_PREFIX: restoredPrefix,
      AZURE_STORAGE_CONNECTION_STRING: services.blobConnectionString,
      BLOB_CONTAINER_PREFIX: restoredPrefix,
      AUDIT_SIGNING_KEY: env.config.audit.signingKey.pem!,
      AUDIT_SIGNING_KEY_CREATE: 'false',
      TENANT_REGIONS: env.config.tenants.regions.join(','),
      ARGON2_MEMORY_KIB: '19456',
      MAIL_TRANSPORT: 'memory',
      LOCAL_KMS_MASTER_KEY: env.config.kms.localMasterKey!,
      LOCAL_KMS_MASTER_KEY_CREATE: 'false',
      LOCAL_KMS_KEY_DIR: env.config.kms.localKeyDir,
    });
    restored = await createContainer(config, createLogger('warn'));
    const ctx = systemContext(firm.tenantId);

    const after = await restored.audit.verifyChain(ctx);
    expect(after).toMatchObject({ ok: true, eventsChecked: before.eventsChecked, problems: [] });
    expect(after.head).toEqual(before.head);

    const opened = await restored.documents.openContent(ctx, documentId);
    const back = await buffer(opened.stream);
    expect(createHash('sha256').update(back).digest('hex')).toBe(
      createHash('sha256').update(bytes).digest('hex'),
    );

    // Crypto-shredding: once the tenant's KEK is destroyed, the wrapped DEK in the backup is useless.
    const { rows } = await env.adminQuery('SELECT kek_ref FROM tenants WHERE id = $1', [firm.tenantId]);
    await env.container.keyProvider.destroyTenantKey(rows[0].kek_ref);
    await expect(restored.documents.openContent(ctx, documentId)).rejects.toMatchObject({
      name: 'KeyDestroyedError',
    });
  }, 120_000);
});
