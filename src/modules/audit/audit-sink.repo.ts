/** Queries of audit_sink_cursors, inside the caller's tenant transaction. */
import type { Tx } from '../../platform/db/db.js';

export interface SinkCursor {
  readonly deliveredSeq: bigint;
  readonly lastDeliveredAt: Date | null;
  readonly consecutiveFailures: number;
  readonly lastError: string | null;
  readonly nextAttemptAt: Date | null;
}

/**
 * Takes the tenant's lease on this sink when nobody holds it and no backoff is running; returns
 * the cursor, or null when another replica pushes this tenant now or the sink is backing off.
 */
export async function leaseCursor(
  tx: Tx,
  tenantId: string,
  sink: string,
  now: Date,
  leaseUntil: Date,
): Promise<SinkCursor | null> {
  await tx.$executeRaw`
    INSERT INTO audit_sink_cursors (tenant_id, sink) VALUES (${tenantId}::uuid, ${sink})
    ON CONFLICT (tenant_id, sink) DO NOTHING`;
  const rows = await tx.$queryRaw<SinkCursor[]>`
    UPDATE audit_sink_cursors
       SET leased_until = ${leaseUntil}, updated_at = now()
     WHERE tenant_id = ${tenantId}::uuid AND sink = ${sink}
       AND (leased_until IS NULL OR leased_until < ${now})
       AND (next_attempt_at IS NULL OR next_attempt_at <= ${now})
    RETURNING delivered_seq AS "deliveredSeq", last_delivered_at AS "lastDeliveredAt",
              consecutive_failures AS "consecutiveFailures", last_error AS "lastError",
              next_attempt_at AS "nextAttemptAt"`;
  return rows[0] ?? null;
}

/** Moves the cursor after a batch the sink accepted; only from where this lease started. */
export async function markDelivered(
  tx: Tx,
  tenantId: string,
  sink: string,
  fromSeq: bigint,
  to: { seq: bigint; hash: string },
  at: Date,
): Promise<boolean> {
  const result = await tx.auditSinkCursor.updateMany({
    where: { tenantId, sink, deliveredSeq: fromSeq },
    data: {
      deliveredSeq: to.seq,
      deliveredHash: to.hash,
      lastDeliveredAt: at,
      lastAttemptAt: at,
      consecutiveFailures: 0,
      lastError: null,
      nextAttemptAt: null,
      leasedUntil: null,
      updatedAt: at,
    },
  });
  return result.count === 1;
}

export async function markFailed(
  tx: Tx,
  tenantId: string,
  sink: string,
  failure: { error: string; at: Date; retryAt: Date },
): Promise<void> {
  await tx.auditSinkCursor.update({
    where: { tenantId_sink: { tenantId, sink } },
    data: {
      consecutiveFailures: { increment: 1 },
      lastError: failure.error.slice(0, 500),
      lastAttemptAt: failure.at,
      nextAttemptAt: failure.retryAt,
      leasedUntil: null,
      updatedAt: failure.at,
    },
  });
}

export async function releaseLease(tx: Tx, tenantId: string, sink: string): Promise<void> {
  await tx.auditSinkCursor.update({
    where: { tenantId_sink: { tenantId, sink } },
    data: { leasedUntil: null },
  });
}

export async function findCursor(tx: Tx, tenantId: string, sink: string): Promise<SinkCursor | null> {
  return tx.auditSinkCursor.findUnique({
    where: { tenantId_sink: { tenantId, sink } },
    select: {
      deliveredSeq: true,
      lastDeliveredAt: true,
      consecutiveFailures: true,
      lastError: true,
      nextAttemptAt: true,
    },
  });
}
