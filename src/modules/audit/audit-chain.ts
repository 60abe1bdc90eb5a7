/**
 * The pure rules of the audit hash chain, shared by writing and verifying.
 *
 * Each event's hash is SHA-256 over the previous event's hash and the canonical JSON of every
 * stored field of the event, so changing, removing, inserting or reordering any event breaks
 * every later link. The first event of a tenant links to GENESIS_HASH.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../core/canonical-json.js';
import type { ActorKind } from '../../core/request-context.js';

export const GENESIS_HASH = '0'.repeat(64);

/** Exactly the stored columns that the hash covers (everything but id and the hashes). */
export interface ChainedEvent {
  readonly tenantId: string;
  readonly seq: bigint;
  readonly occurredAt: Date;
  readonly actorKind: ActorKind;
  readonly actorId: string;
  readonly action: string;
  readonly targetType: string | null;
  readonly targetId: string | null;
  readonly requestId: string | null;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly payload: unknown;
}

export function hashEvent(prevHash: string, event: ChainedEvent): string {
  // Named field by field: a stored row carries more (id, hashes) that must not be hashed.
  const content = canonicalJson({
    tenantId: event.tenantId,
    seq: event.seq.toString(),
    occurredAt: event.occurredAt.toISOString(),
    actorKind: event.actorKind,
    actorId: event.actorId,
    action: event.action,
    targetType: event.targetType,
    targetId: event.targetId,
    requestId: event.requestId,
    ip: event.ip,
    userAgent: event.userAgent,
    payload: event.payload,
  });
  return createHash('sha256').update(prevHash).update('\n').update(content).digest('hex');
}

export interface CheckpointClaim {
  readonly tenantId: string;
  readonly seq: bigint;
  readonly headHash: string;
  readonly signedAt: Date;
  readonly keyId: string;
}

/** The exact text a checkpoint signature covers. */
export function checkpointMessage(claim: CheckpointClaim): string {
  return canonicalJson({
    kind: 'doklad.audit.checkpoint.v1',
    tenantId: claim.tenantId,
    seq: claim.seq.toString(),
    headHash: claim.headHash,
    signedAt: claim.signedAt.toISOString(),
    keyId: claim.keyId,
  });
}
