/**
 * Closing a firm for good. An owner asks (step-up), the firm becomes `offboarding` for a grace
 * period during which only the data export and cancelling work; then the purge:
 *   1. every blob in the tenant's container is deleted;
 *   2. the tenant's key-encryption key is destroyed in the KMS (crypto-shredding: every wrapped
 *      DEK anywhere, backups included, can never be unwrapped again);
 *   3. every row of the tenant goes except the audit chain, its checkpoints, the receipt and the
 *      tenant row they reference (one database function, see migration 20261202030000), the
 *      accounts of members who belong to no other firm are erased (privacy.person.ts), and the
 *      status becomes `offboarded`, in one transaction with its audit event;
 *   4. the chain is chained up to that event and checkpointed, and a receipt naming what was
 *      destroyed and the chain head is signed and stored, for the owner to fetch with the token
 *      they were shown when they asked.
 * Each step is safe to repeat: a purge interrupted anywhere finishes on the next run (an
 * offboarded tenant whose purge_after is still set has a receipt to issue).
 */
import type { Clock } from '../../core/clock.js';
import { ConflictError, NotFoundError, ValidationFailedError } from '../../core/errors.js';
import type { RequestContext } from '../../core/request-context.js';
import type { Signer } from '../../platform/crypto/signing-key.js';
import { generateToken, hashToken } from '../../platform/crypto/tokens.js';
import type { Db } from '../../platform/db/db.js';
import { workerContext } from '../../platform/jobs.js';
import type { KeyProvider } from '../../platform/kms/key-provider.js';
import type { Logger } from '../../platform/logger.js';
import type { RegionalBlobStores } from '../../platform/storage/regional-blob-stores.js';
import type { AuditChainer } from '../audit/audit.chainer.js';
import type { AuditService } from '../audit/audit.service.js';
import type { TenantRow, TenantsService } from '../tenants/tenants.service.js';
import type { TenantStatus } from '../tenants/tenants.status.js';
import {
  RECEIPT_TYPE,
  signErasureReceipt,
  type DestroyedFacts,
  type SignedErasureReceipt,
} from './erasure-receipt.js';
import { eraseSoleMembers } from './privacy.person.js';
import * as repo from './privacy.repo.js';

const DAY_MS = 24 * 60 * 60 * 1000;
export const RECEIPT_TOKEN_PREFIX = 'erc_';
/** What replaces the firm's name on the row that stays for the audit chain. */
const ERASED_NAME = 'Erased firm';
const KEPT = [
  'audit_events (the tenant audit chain, unchanged)',
  'audit_checkpoints (its signed checkpoints)',
  'erasure_receipts (this receipt)',
  'tenants (the row the chain references: id, region, status offboarded; the name replaced)',
];

export interface OffboardingView {
  readonly status: TenantStatus;
  readonly requestedAt: Date | null;
  readonly purgeAfter: Date | null;
}

export interface PurgeReport {
  readonly tenants: number;
  readonly purged: number;
}

export interface OffboardingService {
  getOffboarding(ctx: RequestContext): Promise<OffboardingView>;
  /**
   * Starts the grace period. `confirmName` must repeat the firm's name (a typed confirmation for
   * an irreversible action). Returns the receipt token, shown once.
   */
  requestOffboarding(
    ctx: RequestContext,
    confirmName: string,
  ): Promise<OffboardingView & { receiptToken: string }>;
  cancelOffboarding(ctx: RequestContext): Promise<OffboardingView>;
  /** Purges every tenant whose grace period ended (the maintenance job). */
  purgeDue(): Promise<PurgeReport>;
  /** Purges one tenant if its grace period ended; true when it did (or finished a receipt). */
  purgeTenant(tenantId: string): Promise<boolean>;
  /** The signed receipt for a receipt token; NotFound until it is issued. */
  findReceipt(receiptToken: string): Promise<SignedErasureReceipt>;
}

const viewOf = (t: TenantRow): OffboardingView => ({
  // The column's CHECK constraint admits exactly these values.
  status: t.status as TenantStatus,
  requestedAt: t.status === 'offboarding' ? t.offboardingRequestedAt : null,
  purgeAfter: t.status === 'offboarding' ? t.purgeAfter : null,
});

async function countBlobs(blobs: AsyncIterable<unknown>): Promise<number> {
  let count = 0;
  for await (const blob of blobs) if (blob !== undefined) count += 1;
  return count;
}

export function createOffboardingService(deps: {
  db: Db;
  audit: AuditService;
  auditChainer: AuditChainer;
  tenants: TenantsService;
  keyProvider: KeyProvider;
  blobStores: RegionalBlobStores;
  signer: Signer;
  clock: Clock;
  logger: Logger;
  graceDays: number;
}): OffboardingService {
  const { db, clock } = deps;
  const workerCtx = (tenantId: string) => workerContext(tenantId, 'offboarding');

  async function loadTenant(ctx: RequestContext): Promise<TenantRow> {
    const tenant = await db.withTenant(ctx, (tx) => deps.tenants.findTenant(tx, ctx.tenantId));
    if (!tenant) throw new NotFoundError('The tenant does not exist.');
    return tenant;
  }

  /** Steps 1 and 2: outside any transaction (storage and the KMS are not in the database). */
  async function destroyContent(tenant: TenantRow): Promise<Omit<DestroyedFacts, 'rows'>> {
    const store = deps.blobStores.forRegion(tenant.region);
    const container = store.containerFor(tenant.id);
    let deleted = 0;
    for await (const blob of store.list(container)) {
      if (await store.delete(container, blob.name)) deleted += 1;
    }
    const remaining = await countBlobs(store.list(container));
    if (remaining > 0) throw new Error(`${remaining} blobs of tenant ${tenant.id} are still stored`);
    // Idempotent in every provider: a destroy repeated after a crash is harmless.
    if (tenant.kekRef) await deps.keyProvider.destroyTenantKey(tenant.kekRef);
    return {
      blobs: { container, deleted, remaining },
      keyEncryptionKey: { keyRef: tenant.kekRef, destroyedAt: clock().toISOString() },
    };
  }

  /** Step 4: chain and checkpoint the head, then sign and store the receipt. */
  async function issueReceipt(tenant: TenantRow): Promise<void> {
    const ctx = workerCtx(tenant.id);
    await deps.auditChainer.chainPending(tenant.id);
    const checkpoint = await deps.audit.createCheckpoint(ctx);
    const status = await deps.audit.getChainStatus(ctx);
    await db.withTenant(ctx, async (tx) => {
      const pending = await repo.findReceipt(tx, tenant.id);
      if (!pending?.destroyed || pending.issuedAt) return;
      const issuedAt = clock();
      const signed = signErasureReceipt(deps.signer, {
        type: RECEIPT_TYPE,
        version: 1,
        tenantId: tenant.id,
        region: tenant.region,
        offboardingRequestedAt: pending.requestedAt.toISOString(),
        purgedAt: (tenant.statusChangedAt ?? issuedAt).toISOString(),
        issuedAt: issuedAt.toISOString(),
        destroyed: pending.destroyed,
        kept: KEPT,
        auditChain: {
          headSeq: status.head?.seq ?? null,
          headHash: status.head?.hash ?? null,
          checkpointSeq: checkpoint?.seq ?? null,
          checkpointSignedAt: checkpoint?.signedAt.toISOString() ?? null,
        },
      });
      await repo.issueReceipt(tx, tenant.id, signed, issuedAt);
      // Done: nothing is left for the purge job to do for this tenant.
      await deps.tenants.markPurgeFinished(tx, tenant.id);
    });
  }

  async function purgeTenant(tenantId: string): Promise<boolean> {
    const ctx = workerCtx(tenantId);
    const tenant = await loadTenant(ctx);
    if (tenant.status === 'offboarded' && tenant.purgeAfter) {
      await issueReceipt(tenant);
      return true;
    }
    if (tenant.status !== 'offboarding' || !tenant.purgeAfter || tenant.purgeAfter > clock()) return false;
    const content = await destroyContent(tenant);
    const purgedTenant = await db.withTenant(ctx, async (tx) => {
      // Before the memberships go: whose account exists only for this firm.
      const personsErased = await eraseSoleMembers(tx, tenantId, clock());
      const rows = { ...(await repo.purgeTenantRows(tx, tenantId)), persons_erased: personsErased };
      const destroyed: DestroyedFacts = { ...content, rows };
      await repo.recordDestroyed(tx, tenantId, destroyed);
      return deps.tenants.moveStatus(tx, ctx, {
        to: 'offboarded',
        at: clock(),
        name: ERASED_NAME,
        payload: {
          blobsDeleted: content.blobs.deleted,
          keyDestroyed: content.keyEncryptionKey.keyRef !== null,
          rowsDeleted: rows,
        },
      });
    });
    await issueReceipt(purgedTenant);
    return true;
  }

  return {
    async getOffboarding(ctx) {
      return viewOf(await loadTenant(ctx));
    },

    async requestOffboarding(ctx, confirmName) {
      const receiptToken = generateToken(RECEIPT_TOKEN_PREFIX);
      const tenant = await db.withTenant(ctx, async (tx) => {
        const current = await deps.tenants.findTenant(tx, ctx.tenantId);
        if (!current) throw new NotFoundError('The tenant does not exist.');
        if (confirmName.normalize('NFC').trim() !== current.name) {
          throw new ValidationFailedError('Type the firm\u2019s exact name to confirm closing it.', [
            { field: 'body.confirmName', message: 'must be the firm\u2019s name' },
          ]);
        }
        const now = clock();
        const purgeAfter = new Date(now.getTime() + deps.graceDays * DAY_MS);
        const moved = await deps.tenants.moveStatus(tx, ctx, {
          to: 'offboarding',
          at: now,
          purgeAfter,
          payload: { graceDays: deps.graceDays },
        });
        await repo.upsertPendingReceipt(tx, ctx.tenantId, hashToken(receiptToken), now);
        return moved;
      });
      return { ...viewOf(tenant), receiptToken };
    },

    async cancelOffboarding(ctx) {
      const tenant = await db.withTenant(ctx, async (tx) => {
        const current = await deps.tenants.findTenant(tx, ctx.tenantId);
        // Once the grace period is over the purge may already be destroying blobs and the key,
        // which cannot be undone: from then on the closure cannot be cancelled (the purge only
        // starts after purgeAfter, by the same clock, so the two never overlap).
        if (current?.status === 'offboarding' && current.purgeAfter && current.purgeAfter <= clock()) {
          throw new ConflictError(
            'The grace period is over and the firm is being erased; the closure can no longer be cancelled.',
            'offboarding_grace_period_over',
          );
        }
        return deps.tenants.moveStatus(tx, ctx, { to: 'active', at: clock() });
      });
      return viewOf(tenant);
    },

    async purgeDue() {
      const due = await deps.tenants.listOffboardingDue(clock());
      let purged = 0;
      for (const tenantId of due) {
        try {
          if (await purgeTenant(tenantId)) purged += 1;
        } catch (error) {
          // One tenant's failure (KMS or storage down) must not hold up the others; the next
          // run starts again where this one stopped.
          deps.logger.error({ err: error, tenantId }, 'tenant purge failed; it is retried on the next run');
        }
      }
      return { tenants: due.length, purged };
    },

    purgeTenant,

    async findReceipt(receiptToken) {
      if (!receiptToken.startsWith(RECEIPT_TOKEN_PREFIX) || receiptToken.length > 100) {
        throw new NotFoundError('No erasure receipt has been issued for this token.');
      }
      const tokenHash = hashToken(receiptToken);
      const row = await db.withScope({ receiptTokenHash: tokenHash }, (tx) =>
        repo.findReceiptByTokenHash(tx, tokenHash),
      );
      if (!row?.signed) throw new NotFoundError('No erasure receipt has been issued for this token.');
      return row.signed;
    },
  };
}
