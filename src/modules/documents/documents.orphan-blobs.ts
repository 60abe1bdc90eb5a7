/**
 * The orphan blob sweep: an upload writes its blob before the transaction that creates the
 * document row, so an API process killed in between (or a failed clean-up of a refused upload)
 * leaves ciphertext that no row names. It cannot be read (its data key was never stored) but it
 * costs storage forever, and nothing else would ever delete it. A maintenance job lists each
 * tenant's container and deletes blobs older than the grace period that have no document row.
 *
 * The grace period covers uploads in flight: a blob gets its last-modified time when its last
 * byte is committed, and the row follows in the next transaction, within seconds. A blob that has
 * a row, in any state (trashed and purged included), is never touched: those are the purge's.
 */
import type { Clock } from '../../core/clock.js';
import { systemContext, type RequestContext } from '../../core/request-context.js';
import type { Db } from '../../platform/db/db.js';
import type { Logger } from '../../platform/logger.js';
import type { BlobListing } from '../../platform/storage/blob-store.js';
import type { RegionalBlobStores } from '../../platform/storage/regional-blob-stores.js';
import type { AuditService } from '../audit/audit.service.js';
import type { TenantsService } from '../tenants/tenants.service.js';
import * as repo from './documents.repo.js';

/** Blob names checked against the rows per query. */
const CHECK_BATCH = 200;

export interface OrphanBlobSweeper {
  /** One pass over every active tenant; idempotent. */
  sweepOrphanBlobs(): Promise<{ tenants: number; deleted: number }>;
}

export function createOrphanBlobSweeper(deps: {
  db: Db;
  audit: AuditService;
  tenants: Pick<TenantsService, 'listActiveTenantIds' | 'tenantKey'>;
  blobStores: RegionalBlobStores;
  clock: Clock;
  logger: Logger;
  /** Blobs younger than this are left alone, whether or not a row names them yet. */
  graceMs: number;
}): OrphanBlobSweeper {
  const { db } = deps;
  const ctxFor = (tenantId: string) => systemContext(tenantId, { kind: 'worker', id: 'worker:orphan-blobs' });

  async function sweepTenant(ctx: RequestContext): Promise<number> {
    const { region } = await deps.tenants.tenantKey(ctx);
    const blobStore = deps.blobStores.forRegion(region);
    const container = blobStore.containerFor(ctx.tenantId);
    const cutoff = deps.clock().getTime() - deps.graceMs;
    let deleted = 0;
    const sweepBatch = async (candidates: BlobListing[]) => {
      const withRow = await db.withTenant(ctx, (tx) =>
        repo.findBlobNamesWithRow(
          tx,
          ctx.tenantId,
          candidates.map((c) => c.name),
        ),
      );
      for (const orphan of candidates.filter((c) => !withRow.has(c.name))) {
        if (!(await blobStore.delete(container, orphan.name))) continue;
        deleted += 1;
        await db.withTenant(ctx, (tx) =>
          deps.audit.record(tx, ctx, {
            action: 'blob.orphan_deleted',
            target: { type: 'blob', id: orphan.name },
            payload: { lastModified: orphan.lastModified.toISOString() },
          }),
        );
      }
    };
    let batch: BlobListing[] = [];
    for await (const listed of blobStore.list(container)) {
      if (listed.lastModified.getTime() >= cutoff) continue;
      batch.push(listed);
      if (batch.length === CHECK_BATCH) {
        await sweepBatch(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await sweepBatch(batch);
    return deleted;
  }

  return {
    async sweepOrphanBlobs() {
      const tenantIds = await deps.tenants.listActiveTenantIds();
      let deleted = 0;
      for (const tenantId of tenantIds) {
        try {
          deleted += await sweepTenant(ctxFor(tenantId));
        } catch (error) {
          // One tenant's storage trouble must not hold up the others; the next pass tries again.
          deps.logger.error({ err: error, tenantId }, 'orphan blob sweep failed for a tenant');
        }
      }
      return { tenants: tenantIds.length, deleted };
    },
  };
}
