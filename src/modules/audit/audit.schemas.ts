/** zod schemas of the audit routes. */
import { z } from 'zod';
import { Cursor, IsoDateTime, pageLimit } from '../http-schemas.js';

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
export const SeqText = z.string().describe('A chain position (decimal; may exceed 2^53)');
export const AuditChainStatus = z.object({
  head: z
    .object({ seq: SeqText, hash: Sha256Hex, chainedAt: IsoDateTime })
    .nullable()
    .describe('The last chained event; null before the first one is chained'),
  unchained: z
    .object({ count: z.number().int(), oldestOccurredAt: IsoDateTime.nullable() })
    .describe('Events recorded but not chained yet: the chainer links them shortly after commit'),
  latestCheckpoint: z
    .object({ seq: SeqText, headHash: Sha256Hex, keyId: z.string(), signedAt: IsoDateTime })
    .nullable(),
});
export const AuditEvent = z.object({
  id: z.uuid(),
  seq: SeqText.nullable().describe('null until the chainer has linked the event'),
  occurredAt: IsoDateTime,
  actor: z.object({ kind: z.string(), id: z.string() }),
  action: z.string().describe('`<resource>.<past-tense verb>`, e.g. `document.content_read`'),
  target: z.object({ type: z.string(), id: z.string().nullable() }).nullable(),
  requestId: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  payload: z.unknown(),
  chain: z
    .object({ prevHash: Sha256Hex, hash: Sha256Hex, chainedAt: IsoDateTime })
    .nullable()
    .describe('The chain fields; hash = SHA-256(prevHash, "\\n", canonical JSON of the event)'),
});
/** A time filter PostgreSQL can hold: it has no year 0, and a 500 must never answer a query string. */
export const TimeFilter = IsoDateTime.refine((d) => d.getUTCFullYear() >= 1 && d.getUTCFullYear() <= 9999, {
  message: 'must be between years 1 and 9999',
});
export const Order = z
  .enum(['desc', 'asc'])
  .default('desc')
  .describe('desc: newest first (default); asc: oldest first');
export const Limit = pageLimit();
export { Cursor };
export const Id = z.string().min(1).max(200);
export const EventsQuery = z
  .object({
    actorType: z.enum(['user', 'token', 'system', 'worker']).optional(),
    actorId: Id.optional().describe('A user id, token id, or a worker name'),
    action: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[a-z_.]+$/)
      .optional()
      .describe('An action prefix: `document.` or `document.content_read`'),
    targetType: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[a-z_]+$/)
      .optional(),
    targetId: Id.optional(),
    requestId: Id.optional(),
    from: TimeFilter.optional().describe('Events at or after this time'),
    to: TimeFilter.optional().describe('Events before this time'),
    order: Order,
    limit: Limit,
    cursor: Cursor,
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { path: ['to'], message: 'must not be before from' });
export const ExportQuery = z
  .object({
    from: TimeFilter.optional().describe('Events at or after this time'),
    to: TimeFilter.optional().describe('Events before this time'),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { path: ['to'], message: 'must not be before from' });
export const Problem = z.object({
  seq: SeqText,
  eventId: z.uuid().optional(),
  reason: z.string(),
  message: z.string(),
});
export const Checkpoint = z.object({
  seq: SeqText,
  headHash: Sha256Hex,
  keyId: z.string(),
  signedAt: IsoDateTime,
});
export const Verification = z.object({
  ok: z.boolean(),
  eventsChecked: z.number().int(),
  checkpointsChecked: z.number().int(),
  head: z.object({ seq: SeqText, hash: Sha256Hex }).nullable(),
  latestCheckpoint: Checkpoint.nullable(),
  unchained: z.object({ count: z.number().int(), oldestOccurredAt: IsoDateTime.nullable() }),
  firstProblem: Problem.nullable().describe('The first broken link (lowest seq); null when intact'),
  problems: z.array(Problem).describe('At most 20, lowest seq first'),
  offBoxCopy: z
    .object({
      sink: z.string(),
      deliveredSeq: SeqText,
      pendingEvents: z.number().int().describe('Chained events the sink has not acknowledged yet'),
      lastDeliveredAt: IsoDateTime.nullable(),
      consecutiveFailures: z.number().int(),
      lastError: z.string().nullable(),
      nextAttemptAt: IsoDateTime.nullable(),
    })
    .nullable()
    .describe('Where the off-box copy stands; null when no sink is configured'),
});
export const CheckpointView = Checkpoint.extend({
  signature: z.string().describe('Base64 Ed25519 signature of signedMessage'),
  signedMessage: z.string().describe('The exact text signed (canonical JSON)'),
});
export const PublicKey = z.object({
  keyId: z.string(),
  algorithm: z.literal('Ed25519'),
  publicKeyPem: z.string().describe('SPKI PEM: pass it to `doklad audit verify --public-key`'),
});
