/** Queries of the privacy module: erasure receipts and the tenant purge (migration 20261202030000). */
import type { Prisma } from '../../platform/db/prisma.js';
import type { Tx } from '../../platform/db/db.js';
import type { DestroyedFacts, SignedErasureReceipt } from './erasure-receipt.js';

export interface ReceiptRow {
  readonly tenantId: string;
  readonly requestedAt: Date;
  readonly destroyed: DestroyedFacts | null;
  readonly issuedAt: Date | null;
  readonly signed: SignedErasureReceipt | null;
}

type StoredReceipt = {
  tenantId: string;
  requestedAt: Date;
  destroyed: Prisma.JsonValue;
  issuedAt: Date | null;
  receipt: Prisma.JsonValue;
  keyId: string | null;
  signature: string | null;
};

const COLUMNS = {
  tenantId: true,
  requestedAt: true,
  destroyed: true,
  issuedAt: true,
  receipt: true,
  keyId: true,
  signature: true,
} as const;

function toRow(row: StoredReceipt): ReceiptRow {
  return {
    tenantId: row.tenantId,
    requestedAt: row.requestedAt,
    destroyed: row.destroyed as unknown as DestroyedFacts | null,
    issuedAt: row.issuedAt,
    signed:
      row.receipt && row.keyId && row.signature
        ? {
            receipt: row.receipt as unknown as SignedErasureReceipt['receipt'],
            keyId: row.keyId,
            signature: row.signature,
          }
        : null,
  };
}

/** Creates the tenant's receipt row, or gives a re-requested closure a new token. */
export async function upsertPendingReceipt(
  tx: Tx,
  tenantId: string,
  tokenHash: string,
  requestedAt: Date,
): Promise<void> {
  await tx.erasureReceipt.upsert({
    where: { tenantId },
    create: { tenantId, tokenHash, requestedAt },
    // Only a closure that was cancelled is requested again, and its purge never ran: nothing
    // but the token and the time changes.
    update: { tokenHash, requestedAt },
  });
}

export async function findReceipt(tx: Tx, tenantId: string): Promise<ReceiptRow | null> {
  const row = await tx.erasureReceipt.findUnique({ where: { tenantId }, select: COLUMNS });
  return row && toRow(row);
}

/** Inside a `receiptTokenHash` scope: the only rows RLS admits are the one with that hash. */
export async function findReceiptByTokenHash(tx: Tx, tokenHash: string): Promise<ReceiptRow | null> {
  const row = await tx.erasureReceipt.findUnique({ where: { tokenHash }, select: COLUMNS });
  return row && toRow(row);
}

export async function recordDestroyed(tx: Tx, tenantId: string, destroyed: DestroyedFacts): Promise<void> {
  await tx.erasureReceipt.update({
    where: { tenantId },
    data: { destroyed: destroyed as unknown as Prisma.InputJsonValue },
  });
}

export async function issueReceipt(
  tx: Tx,
  tenantId: string,
  signed: SignedErasureReceipt,
  issuedAt: Date,
): Promise<void> {
  await tx.erasureReceipt.update({
    where: { tenantId },
    data: {
      issuedAt,
      receipt: signed.receipt as unknown as Prisma.InputJsonValue,
      keyId: signed.keyId,
      signature: signed.signature,
    },
  });
}

/**
 * Deletes every row of the tenant except the audit chain, its checkpoints, the receipt and the
 * tenant row (the database function refuses unless the tenant is offboarding and is the
 * transaction's own). Returns the rows deleted per table.
 */
export async function purgeTenantRows(tx: Tx, tenantId: string): Promise<Record<string, number>> {
  const rows = await tx.$queryRaw<{ counts: Record<string, number> }[]>`
    SELECT purge_offboarding_tenant_rows(${tenantId}::uuid) AS counts`;
  return rows[0]?.counts ?? {};
}
