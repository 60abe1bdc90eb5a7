/**
 * The end of a document's life: trash (restorable for TRASH_RETENTION_DAYS), restore, legal holds,
 * the retention sweep (expired documents go to the trash) and the purge (blob deleted and data key
 * destroyed: crypto-shredding; the audit log keeps the fact and the content hash).
 *
 * Before its retention period ends a document can be deleted only by someone with
 * `documents:delete-early` who states a reason; a legal hold blocks deletion entirely.
 */
import type { Clock } from '../../core/clock.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationFailedError } from '../../core/errors.js';
import { allowedCompanyIds, type RequestContext } from '../../core/request-context.js';
import type { Db, Tx } from '../../platform/db/db.js';
import { workerContext } from '../../platform/jobs.js';
import type { RegionalBlobStores } from '../../platform/storage/regional-blob-stores.js';
import type { AuditService } from '../audit/audit.service.js';
import type { TenantsService } from '../tenants/tenants.service.js';
import * as repo from './documents.repo.js';
import { toDocumentView, type DocumentView } from './documents.views.js';
import { retentionExpired } from './retention.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const SWEEP_BATCH = 200;

export interface SweepReport {
  readonly tenants: number;
  readonly trashed: number;
  readonly purged: number;
}

export interface DocumentLifecycleService {
  trashDocument(ctx: RequestContext, id: string, reason?: string): Promise<DocumentView>;
  restoreDocument(ctx: RequestContext, id: string): Promise<DocumentView>;
  setLegalHold(ctx: RequestContext, id: string, reason: string): Promise<DocumentView>;
  releaseLegalHold(ctx: RequestContext, id: string): Promise<DocumentView>;
  /** Moves documents whose retention ended to the trash, in every tenant. */
  sweepRetention(): Promise<SweepReport>;
  /** Purges trashed documents whose restore period ended, in every tenant. */
  purgeTrash(): Promise<SweepReport>;
}

export function createDocumentLifecycleService(deps: {
  db: Db;
  audit: AuditService;
  tenants: TenantsService;
  blobStores: RegionalBlobStores;
  clock: Clock;
  trashRetentionDays: number;
}): DocumentLifecycleService {
  const { db, audit, clock } = deps;
  const workerCtx = (tenantId: string) => workerContext(tenantId, 'retention');

  /** Loads a visible document and applies `fn` to it in one transaction (fn records the audit event). */
  async function change(
    ctx: RequestContext,
    id: string,
    fn: (tx: Tx, row: repo.DocumentRow) => Promise<repo.DocumentRow>,
  ) {
    return db.withTenant(ctx, async (tx) => {
      const row = await repo.findDocument(tx, ctx.tenantId, id, allowedCompanyIds(ctx));
      if (!row) throw new NotFoundError('The document does not exist.');
      return toDocumentView(await fn(tx, row));
    });
  }

  async function purgeOne(ctx: RequestContext, row: repo.DocumentRow): Promise<void> {
    const { region } = await deps.tenants.tenantKey(ctx);
    const blobStore = deps.blobStores.forRegion(region);
    await db.withTenant(ctx, async (tx) => {
      const now = clock();
      await repo.destroyDocumentKey(tx, ctx.tenantId, row.id, now);
      await repo.updateDocument(tx, ctx.tenantId, row.id, { purgedAt: now, filename: 'purged' });
      await audit.record(tx, ctx, {
        action: 'document.purged',
        target: { type: 'document', id: row.id },
        payload: {
          sha256: row.sha256,
          sizeBytes: Number(row.sizeBytes),
          trashedAt: row.trashedAt,
          reason: row.trashReason,
        },
      });
    });
    // With its data key gone the blob can never be read again; deleting it frees the space.
    await blobStore.delete(blobStore.containerFor(ctx.tenantId), row.blobName);
  }

  async function trashInTx(
    tx: Tx,
    ctx: RequestContext,
    row: repo.DocumentRow,
    reason: string | null,
    early: boolean,
  ) {
    const now = clock();
    const updated = await repo.updateDocument(tx, ctx.tenantId, row.id, {
      trashedAt: now,
      trashReason: reason,
      purgeAfter: new Date(now.getTime() + deps.trashRetentionDays * DAY_MS),
    });
    await audit.record(tx, ctx, {
      action: 'document.trashed',
      target: { type: 'document', id: row.id },
      payload: {
        reason,
        beforeRetentionEnd: early,
        retainUntil: row.retainUntil.toISOString().slice(0, 10),
        purgeAfter: updated.purgeAfter,
      },
    });
    return updated;
  }

  async function forEachTenant(
    work: (ctx: RequestContext) => Promise<number>,
  ): Promise<{ tenants: number; count: number }> {
    const ids = await deps.tenants.listActiveTenantIds();
    let count = 0;
    for (const id of ids) count += await work(workerCtx(id));
    return { tenants: ids.length, count };
  }

  return {
    trashDocument: (ctx, id, reason) =>
      change(ctx, id, async (tx, row) => {
        if (row.trashedAt) return row;
        if (row.legalHold)
          throw new ConflictError('The document is under a legal hold and cannot be deleted.', 'legal_hold');
        const early = !retentionExpired(row.retainUntil, clock());
        if (early && !ctx.permissions.has('documents:delete-early')) {
          throw new ForbiddenError(
            `The document must be kept until ${row.retainUntil.toISOString().slice(0, 10)}; deleting it earlier needs the permission "documents:delete-early".`,
          );
        }
        if (early && !reason?.trim()) {
          throw new ValidationFailedError(
            'Deleting a document before its retention period ends needs a reason.',
            [{ field: 'body.reason', message: 'is required before the retention period ends' }],
          );
        }
        return trashInTx(tx, ctx, row, reason?.trim() || null, early);
      }),

    restoreDocument: (ctx, id) =>
      change(ctx, id, async (tx, row) => {
        if (!row.trashedAt) return row;
        const updated = await repo.updateDocument(tx, ctx.tenantId, id, {
          trashedAt: null,
          trashReason: null,
          purgeAfter: null,
        });
        await audit.record(tx, ctx, { action: 'document.restored', target: { type: 'document', id } });
        return updated;
      }),

    setLegalHold: (ctx, id, reason) =>
      change(ctx, id, async (tx, row) => {
        // A hold also takes the document out of the trash: it must survive until released.
        const updated = await repo.updateDocument(tx, ctx.tenantId, id, {
          legalHold: true,
          legalHoldReason: reason,
          trashedAt: null,
          trashReason: null,
          purgeAfter: null,
        });
        await audit.record(tx, ctx, {
          action: 'document.legal_hold_set',
          target: { type: 'document', id },
          payload: { reason, wasTrashed: Boolean(row.trashedAt) },
        });
        return updated;
      }),

    releaseLegalHold: (ctx, id) =>
      change(ctx, id, async (tx, row) => {
        if (!row.legalHold) return row;
        const updated = await repo.updateDocument(tx, ctx.tenantId, id, {
          legalHold: false,
          legalHoldReason: null,
        });
        await audit.record(tx, ctx, {
          action: 'document.legal_hold_released',
          target: { type: 'document', id },
        });
        return updated;
      }),

    async sweepRetention() {
      const { tenants, count } = await forEachTenant(async (ctx) => {
        const today = clock();
        const lastKeptDay = new Date(today.getTime() - DAY_MS);
        let trashed = 0;
        for (;;) {
          const batch = await db.withTenant(ctx, async (tx) => {
            const due = await repo.listRetentionExpired(tx, ctx.tenantId, lastKeptDay, SWEEP_BATCH);
            for (const row of due) await trashInTx(tx, ctx, row, 'retention_expired', false);
            return due.length;
          });
          trashed += batch;
          if (batch < SWEEP_BATCH) return trashed;
        }
      });
      return { tenants, trashed: count, purged: 0 };
    },

    async purgeTrash() {
      const { tenants, count } = await forEachTenant(async (ctx) => {
        let purged = 0;
        for (;;) {
          const due = await db.withTenant(ctx, (tx) =>
            repo.listDueForPurge(tx, ctx.tenantId, clock(), SWEEP_BATCH),
          );
          for (const row of due) await purgeOne(ctx, row);
          purged += due.length;
          if (due.length < SWEEP_BATCH) return purged;
        }
      });
      return { tenants, trashed: 0, purged: count };
    },
  };
}
