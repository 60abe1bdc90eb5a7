/** Queries of the audit tables. Every function runs inside the caller's tenant transaction. */
import type { Tx } from '../../platform/db/db.js';
import type { ChainedEvent } from './audit-chain.js';

export interface StoredEvent extends ChainedEvent {
  readonly id: string;
  readonly prevHash: string;
  readonly hash: string;
}

export interface StoredCheckpoint {
  readonly id: string;
  readonly tenantId: string;
  readonly seq: bigint;
  readonly headHash: string;
  readonly keyId: string;
  readonly signature: string;
  readonly signedAt: Date;
}

/**
 * Serializes chain appends per tenant until the transaction ends. Concurrent writers of one tenant
 * queue here; in READ COMMITTED each then reads the head its predecessor committed.
 */
export async function lockChain(tx: Tx, tenantId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`audit-chain:${tenantId}`}, 0))`;
}

export async function findHead(tx: Tx, tenantId: string): Promise<{ seq: bigint; hash: string } | null> {
  return tx.auditEvent.findFirst({
    where: { tenantId },
    orderBy: { seq: 'desc' },
    select: { seq: true, hash: true },
  });
}

export async function insertEvent(tx: Tx, event: Omit<StoredEvent, 'id'>): Promise<{ id: string }> {
  return tx.auditEvent.create({
    data: { ...event, payload: event.payload as object },
    select: { id: true },
  });
}

export async function listEventsAfter(
  tx: Tx,
  tenantId: string,
  afterSeq: bigint,
  limit: number,
): Promise<StoredEvent[]> {
  const rows = await tx.auditEvent.findMany({
    where: { tenantId, seq: { gt: afterSeq } },
    orderBy: { seq: 'asc' },
    take: limit,
  });
  return rows.map((r) => ({ ...r, actorKind: r.actorKind as StoredEvent['actorKind'] }));
}

export async function findEventHash(tx: Tx, tenantId: string, seq: bigint): Promise<string | null> {
  const row = await tx.auditEvent.findUnique({
    where: { tenantId_seq: { tenantId, seq } },
    select: { hash: true },
  });
  return row?.hash ?? null;
}

export async function listCheckpoints(tx: Tx, tenantId: string): Promise<StoredCheckpoint[]> {
  return tx.auditCheckpoint.findMany({ where: { tenantId }, orderBy: { seq: 'asc' } });
}

export async function insertCheckpoint(
  tx: Tx,
  checkpoint: Omit<StoredCheckpoint, 'id'>,
): Promise<StoredCheckpoint> {
  return tx.auditCheckpoint.create({ data: checkpoint });
}

export async function findLatestCheckpoint(tx: Tx, tenantId: string): Promise<StoredCheckpoint | null> {
  return tx.auditCheckpoint.findFirst({ where: { tenantId }, orderBy: { seq: 'desc' } });
}
