/** Queries of the audit tables. Every function runs inside the caller's tenant transaction. */
import type { SqlWriter, Tx } from '../../platform/db/db.js';
import { keysetPage, type CursorPosition } from '../cursor.js';
import type { ChainedEvent } from './audit-chain.js';

/** An event as recorded: everything the hash will cover except its place in the chain. */
export type UnchainedEventInput = Omit<ChainedEvent, 'seq'>;

export interface UnchainedEvent extends UnchainedEventInput {
  readonly id: string;
  readonly ingestId: bigint;
}

export interface StoredEvent extends ChainedEvent {
  readonly id: string;
  readonly prevHash: string;
  readonly hash: string;
}

/** The chain columns the chainer sets on one event. */
export interface ChainLink {
  readonly id: string;
  readonly seq: bigint;
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

const chainLockKey = (tenantId: string) => `audit-chain:${tenantId}`;

/**
 * Serializes work on a tenant's chain head until the transaction ends. Only the chainer and
 * checkpoint creation take it; writers never do.
 */
export async function lockChain(tx: Tx, tenantId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${chainLockKey(tenantId)}, 0))`;
}

/** Like lockChain, but returns false at once when another transaction holds the lock. */
export async function tryLockChain(tx: Tx, tenantId: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ locked: boolean }[]>`
    SELECT pg_try_advisory_xact_lock(hashtextextended(${chainLockKey(tenantId)}, 0)) AS locked`;
  return rows[0]?.locked === true;
}

/** The chained event with the highest seq; unchained events are never the head. */
export async function findChainedHead(
  tx: Tx,
  tenantId: string,
): Promise<{ seq: bigint; hash: string; chainedAt: Date } | null> {
  const row = await tx.auditEvent.findFirst({
    where: { tenantId, seq: { not: null } },
    orderBy: { seq: 'desc' },
    select: { seq: true, hash: true, chainedAt: true },
  });
  // The CHECK constraint sets all chain columns together.
  return row ? { seq: row.seq!, hash: row.hash!, chainedAt: row.chainedAt! } : null;
}

/** Inserts an unchained event; the database assigns its ingest id. */
export async function insertEvent(tx: Tx, event: UnchainedEventInput): Promise<void> {
  await tx.auditEvent.create({ data: { ...event, payload: event.payload as object }, select: { id: true } });
}

/**
 * Inserts unchained events in one statement, in the given order (ingest ids follow it), for a
 * plain-SQL transaction. Columns travel as arrays, so the statement text is the same for any count.
 */
export async function insertEvents(sql: SqlWriter, events: readonly UnchainedEventInput[]): Promise<void> {
  const column = <T>(pick: (event: UnchainedEventInput) => T) => events.map(pick);
  await sql.query(
    `INSERT INTO audit_events (tenant_id, occurred_at, actor_kind, actor_id, action, target_type,
                               target_id, request_id, ip, user_agent, payload)
     SELECT tenant_id, occurred_at, actor_kind, actor_id, action, target_type, target_id, request_id,
            ip, user_agent, payload::jsonb
       FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[],
                   $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
            WITH ORDINALITY AS e(tenant_id, occurred_at, actor_kind, actor_id, action, target_type,
                                 target_id, request_id, ip, user_agent, payload, n)
      ORDER BY n`,
    [
      column((e) => e.tenantId),
      column((e) => e.occurredAt),
      column((e) => e.actorKind),
      column((e) => e.actorId),
      column((e) => e.action),
      column((e) => e.targetType),
      column((e) => e.targetId),
      column((e) => e.requestId),
      column((e) => e.ip),
      column((e) => e.userAgent),
      column((e) => JSON.stringify(e.payload)),
    ],
  );
}

/**
 * The oldest committed unchained events by ingest id, locked against a concurrent chainer.
 * Rows of transactions still open are invisible here and wait for a later pass.
 */
export async function lockUnchained(tx: Tx, tenantId: string, limit: number): Promise<UnchainedEvent[]> {
  return tx.$queryRaw<UnchainedEvent[]>`
    SELECT id, ingest_id AS "ingestId", tenant_id AS "tenantId", occurred_at AS "occurredAt",
           actor_kind AS "actorKind", actor_id AS "actorId", action, target_type AS "targetType",
           target_id AS "targetId", request_id AS "requestId", ip, user_agent AS "userAgent", payload
      FROM audit_events
     WHERE tenant_id = ${tenantId}::uuid AND seq IS NULL
     ORDER BY ingest_id
     LIMIT ${limit}
       FOR UPDATE`;
}

/**
 * Writes the chain columns of a batch in one statement. chained_at comes from the database
 * clock: it is stamped right before the commit, by one clock shared by every chainer replica,
 * so `chained_at - occurred_at` measures how long an event waited to be chained.
 */
export async function writeLinks(
  tx: Tx,
  tenantId: string,
  links: readonly ChainLink[],
): Promise<{ count: number; maxLagMs: number }> {
  const rows = await tx.$queryRaw<{ count: number; max_lag_ms: number | null }[]>`
    WITH chained AS (
      UPDATE audit_events AS e
         SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash, chained_at = statement_timestamp()
        FROM unnest(${links.map((l) => l.id)}::uuid[], ${links.map((l) => l.seq.toString())}::bigint[],
                    ${links.map((l) => l.prevHash)}::text[], ${links.map((l) => l.hash)}::text[])
             AS v(id, seq, prev_hash, hash)
       WHERE e.id = v.id AND e.tenant_id = ${tenantId}::uuid AND e.seq IS NULL
      RETURNING e.occurred_at, e.chained_at
    )
    SELECT count(*)::int AS count,
           (extract(epoch FROM max(chained_at - occurred_at)) * 1000)::float8 AS max_lag_ms
      FROM chained`;
  return { count: rows[0]?.count ?? 0, maxLagMs: rows[0]?.max_lag_ms ?? 0 };
}

/** How many events wait to be chained, and since when. */
export async function findBacklog(
  tx: Tx,
  tenantId: string,
): Promise<{ count: number; oldestOccurredAt: Date | null }> {
  const result = await tx.auditEvent.aggregate({
    where: { tenantId, seq: null },
    _count: { _all: true },
    _min: { occurredAt: true },
  });
  return { count: result._count._all, oldestOccurredAt: result._min.occurredAt };
}

/**
 * Tenants that have unchained events. Runs without a tenant context through a SECURITY DEFINER
 * function that returns tenant ids only (see migration 20261201020000_audit_sequencer).
 */
export async function listTenantsWithBacklog(tx: Tx, limit: number): Promise<string[]> {
  const rows = await tx.$queryRaw<{ tenant_id: string }[]>`
    SELECT audit_tenants_with_unchained(${limit}::int) AS tenant_id`;
  return rows.map((r) => r.tenant_id);
}

/** Chained events after `afterSeq`, in chain order. */
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
  // `seq > afterSeq` admits chained rows only, and the CHECK constraint sets all chain columns together.
  return rows.map((r) => ({
    ...r,
    seq: r.seq!,
    prevHash: r.prevHash!,
    hash: r.hash!,
    actorKind: r.actorKind as StoredEvent['actorKind'],
  }));
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

/** An event as the audit API shows it: chain columns are null until the chainer has linked it. */
export interface TrailRow {
  readonly id: string;
  readonly tenantId: string;
  readonly seq: bigint | null;
  readonly occurredAt: Date;
  readonly actorKind: string;
  readonly actorId: string;
  readonly action: string;
  readonly targetType: string | null;
  readonly targetId: string | null;
  readonly requestId: string | null;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly payload: unknown;
  readonly prevHash: string | null;
  readonly hash: string | null;
  readonly chainedAt: Date | null;
}

export interface TrailFilter {
  readonly actorKind?: string | undefined;
  readonly actorId?: string | undefined;
  /** Matched literally: Prisma escapes LIKE wildcards (`_` is common in our action names). */
  readonly actionPrefix?: string | undefined;
  readonly targetType?: string | undefined;
  readonly targetId?: string | undefined;
  readonly requestId?: string | undefined;
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
}

const TRAIL_SELECT = {
  id: true,
  tenantId: true,
  seq: true,
  occurredAt: true,
  actorKind: true,
  actorId: true,
  action: true,
  targetType: true,
  targetId: true,
  requestId: true,
  ip: true,
  userAgent: true,
  payload: true,
  prevHash: true,
  hash: true,
  chainedAt: true,
} as const;

/**
 * One page of a tenant's events by (occurred_at, id), newest or oldest first, strictly after the
 * cursor position in that order. Unchained events are included: the trail shows what happened,
 * the chain proves it once the chainer has linked it.
 */
export async function listTrail(
  tx: Tx,
  tenantId: string,
  filter: TrailFilter,
  order: 'asc' | 'desc',
  limit: number,
  after?: CursorPosition,
): Promise<TrailRow[]> {
  const keyset = keysetPage('occurredAt', order, after);
  return tx.auditEvent.findMany({
    where: {
      tenantId,
      ...(filter.actorKind ? { actorKind: filter.actorKind } : {}),
      ...(filter.actorId ? { actorId: filter.actorId } : {}),
      ...(filter.actionPrefix ? { action: { startsWith: filter.actionPrefix } } : {}),
      ...(filter.targetType ? { targetType: filter.targetType } : {}),
      ...(filter.targetId ? { targetId: filter.targetId } : {}),
      ...(filter.requestId ? { requestId: filter.requestId } : {}),
      ...(filter.from || filter.to
        ? {
            occurredAt: {
              ...(filter.from ? { gte: filter.from } : {}),
              ...(filter.to ? { lt: filter.to } : {}),
            },
          }
        : {}),
      ...keyset.where,
    },
    orderBy: keyset.orderBy,
    take: limit,
    select: TRAIL_SELECT,
  });
}

/** Chained events with seq in [fromSeq, toSeq], in chain order, at most `limit`. */
export async function listChainedRange(
  tx: Tx,
  tenantId: string,
  fromSeq: bigint,
  toSeq: bigint,
  limit: number,
): Promise<TrailRow[]> {
  return tx.auditEvent.findMany({
    where: { tenantId, seq: { gte: fromSeq, lte: toSeq } },
    orderBy: { seq: 'asc' },
    take: limit,
    select: TRAIL_SELECT,
  });
}

/** The chain positions an export of [from, to) spans: the first and last chained seq in it. */
export async function findSeqRange(
  tx: Tx,
  tenantId: string,
  from: Date | undefined,
  to: Date | undefined,
): Promise<{ first: bigint; last: bigint } | null> {
  const result = await tx.auditEvent.aggregate({
    where: {
      tenantId,
      seq: { not: null },
      occurredAt: { ...(from ? { gte: from } : {}), ...(to ? { lt: to } : {}) },
    },
    _min: { seq: true },
    _max: { seq: true },
  });
  const first = result._min.seq;
  const last = result._max.seq;
  return first != null && last != null ? { first, last } : null;
}

/** Checkpoints with seq in [fromSeq, toSeq], oldest first. */
export async function listCheckpointsInRange(
  tx: Tx,
  tenantId: string,
  fromSeq: bigint,
  toSeq: bigint,
): Promise<StoredCheckpoint[]> {
  return tx.auditCheckpoint.findMany({
    where: { tenantId, seq: { gte: fromSeq, lte: toSeq } },
    orderBy: { seq: 'asc' },
  });
}

/** The first checkpoint at or after `seq`. */
export async function findCheckpointAtOrAfter(
  tx: Tx,
  tenantId: string,
  seq: bigint,
): Promise<StoredCheckpoint | null> {
  return tx.auditCheckpoint.findFirst({ where: { tenantId, seq: { gte: seq } }, orderBy: { seq: 'asc' } });
}

/** A page of checkpoints, newest first, before the cursor position (signed_at, id). */
export async function listCheckpointPage(
  tx: Tx,
  tenantId: string,
  limit: number,
  after?: CursorPosition,
): Promise<StoredCheckpoint[]> {
  const keyset = keysetPage('signedAt', 'desc', after);
  return tx.auditCheckpoint.findMany({
    where: { tenantId, ...keyset.where },
    orderBy: keyset.orderBy,
    take: limit,
  });
}

/** Whether any event of the tenant targets this object (every document has its upload event). */
export async function hasEventsFor(tx: Tx, tenantId: string, targetType: string, targetId: string) {
  const row = await tx.auditEvent.findFirst({
    where: { tenantId, targetType, targetId },
    select: { id: true },
  });
  return row !== null;
}
