/**
 * The audit export file (JSON Lines, `doklad.audit.export.v1`), shared by the streaming export
 * (audit.export.ts), the off-box sink (audit.sink.ts) and the offline verifier
 * (audit-offline-verify.ts). One JSON object per line:
 *
 *   {"record":"header", "format", "tenantId", "exportedAt", "from", "to", "firstSeq", "lastSeq", "publicKeys"}
 *   {"record":"event", every stored column the hash covers, plus "id", "prevHash", "hash", "chainedAt"}
 *   {"record":"checkpoint", ...} right after the event it signs, so a verifier needs only the last hash
 *   {"record":"end", "events", "checkpoints", "lastSeq"}
 *
 * Events run without gaps in chain order from firstSeq to lastSeq; the export always ends on a
 * signed checkpoint, so every event in it is covered by a signature. The public keys in the header
 * are informational: a verifier trusts only the key it was given.
 */
import { z } from 'zod';
import type { ActorKind } from '../../core/request-context.js';
import type { ChainedEvent } from './audit-chain.js';
import type { StoredCheckpoint, TrailRow } from './audit.repo.js';

export const EXPORT_FORMAT = 'doklad.audit.export.v1';

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const SeqText = z.string().regex(/^[1-9][0-9]{0,18}$/);
const Iso = z.iso.datetime({ offset: true });

export const ExportHeaderLine = z.object({
  record: z.literal('header'),
  format: z.literal(EXPORT_FORMAT),
  tenantId: z.uuid(),
  exportedAt: Iso,
  from: Iso.nullable(),
  to: Iso.nullable(),
  firstSeq: SeqText.nullable(),
  lastSeq: SeqText.nullable(),
  publicKeys: z.array(z.object({ keyId: z.string(), algorithm: z.string(), publicKeyPem: z.string() })),
});

export const ExportEventLine = z.object({
  record: z.literal('event'),
  id: z.uuid(),
  tenantId: z.uuid(),
  seq: SeqText,
  occurredAt: Iso,
  actorKind: z.enum(['user', 'token', 'system', 'worker']),
  actorId: z.string(),
  action: z.string(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  requestId: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  payload: z.unknown(),
  prevHash: Sha256Hex,
  hash: Sha256Hex,
  chainedAt: Iso,
});

export const ExportCheckpointLine = z.object({
  record: z.literal('checkpoint'),
  tenantId: z.uuid(),
  seq: SeqText,
  headHash: Sha256Hex,
  keyId: z.string(),
  signature: z.string(),
  signedAt: Iso,
});

export const ExportEndLine = z.object({
  record: z.literal('end'),
  events: z.number().int().min(0),
  checkpoints: z.number().int().min(0),
  lastSeq: SeqText.nullable(),
});

export type ExportEventLine = z.infer<typeof ExportEventLine>;
export type ExportCheckpointLine = z.infer<typeof ExportCheckpointLine>;

/** A chained row as an export line (the row must be chained: seq and hashes set). */
export function eventLine(row: TrailRow): ExportEventLine {
  return {
    record: 'event',
    id: row.id,
    tenantId: row.tenantId,
    seq: row.seq!.toString(),
    occurredAt: row.occurredAt.toISOString(),
    actorKind: row.actorKind as ActorKind,
    actorId: row.actorId,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    requestId: row.requestId,
    ip: row.ip,
    userAgent: row.userAgent,
    payload: row.payload,
    prevHash: row.prevHash!,
    hash: row.hash!,
    chainedAt: row.chainedAt!.toISOString(),
  };
}

export function checkpointLine(checkpoint: StoredCheckpoint): ExportCheckpointLine {
  return {
    record: 'checkpoint',
    tenantId: checkpoint.tenantId,
    seq: checkpoint.seq.toString(),
    headHash: checkpoint.headHash,
    keyId: checkpoint.keyId,
    signature: checkpoint.signature,
    signedAt: checkpoint.signedAt.toISOString(),
  };
}

/** What the hash covers, back from an export line. */
export function chainedEventOf(line: ExportEventLine): ChainedEvent {
  return {
    tenantId: line.tenantId,
    seq: BigInt(line.seq),
    occurredAt: new Date(line.occurredAt),
    actorKind: line.actorKind,
    actorId: line.actorId,
    action: line.action,
    targetType: line.targetType,
    targetId: line.targetId,
    requestId: line.requestId,
    ip: line.ip,
    userAgent: line.userAgent,
    payload: line.payload,
  };
}
