/** The firm's audit trail, for administrators and SIEM tokens (`audit:read`). */
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IsoDateTime, listOf } from '../http-schemas.js';
import { contextOf } from '../http.js';
import type { AuditExporter } from './audit.export.js';
import type { AuditService } from './audit.service.js';
import type { AuditTrailService } from './audit.trail.js';

const tags = ['audit'];
const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const SeqText = z.string().describe('A chain position (decimal; may exceed 2^53)');

const AuditChainStatus = z.object({
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

const AuditEvent = z.object({
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
const TimeFilter = IsoDateTime.refine((d) => d.getUTCFullYear() >= 1 && d.getUTCFullYear() <= 9999, {
  message: 'must be between years 1 and 9999',
});

const Order = z
  .enum(['desc', 'asc'])
  .default('desc')
  .describe('desc: newest first (default); asc: oldest first');
const Limit = z.coerce.number().int().min(1).max(200).default(50);
const Cursor = z.string().max(200).optional().describe('nextCursor of the previous page');
const Id = z.string().min(1).max(200);

const EventsQuery = z
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

const ExportQuery = z
  .object({
    from: TimeFilter.optional().describe('Events at or after this time'),
    to: TimeFilter.optional().describe('Events before this time'),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { path: ['to'], message: 'must not be before from' });

const Problem = z.object({
  seq: SeqText,
  eventId: z.uuid().optional(),
  reason: z.string(),
  message: z.string(),
});

const Checkpoint = z.object({
  seq: SeqText,
  headHash: Sha256Hex,
  keyId: z.string(),
  signedAt: IsoDateTime,
});

const Verification = z.object({
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

const CheckpointView = Checkpoint.extend({
  signature: z.string().describe('Base64 Ed25519 signature of signedMessage'),
  signedMessage: z.string().describe('The exact text signed (canonical JSON)'),
});

const PublicKey = z.object({
  keyId: z.string(),
  algorithm: z.literal('Ed25519'),
  publicKeyPem: z.string().describe('SPKI PEM: pass it to `doklad audit verify --public-key`'),
});

const JSONL_TYPE = 'application/x-ndjson';

export function auditRoutes(deps: {
  audit: AuditService;
  auditTrail: AuditTrailService;
  auditExporter: AuditExporter;
}): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/audit/chain',
      {
        config: { permission: 'audit:read' },
        schema: {
          tags,
          operationId: 'getAuditChainStatus',
          summary: "The audit chain's head, its backlog of unchained events and the latest signed checkpoint",
          response: { 200: AuditChainStatus },
        },
      },
      async (request) => deps.audit.getChainStatus(contextOf(request)),
    );

    app.get(
      '/v1/audit-events',
      {
        config: { permission: 'audit:read' },
        schema: {
          tags,
          operationId: 'listAuditEvents',
          summary: "The firm's audit events, filtered, newest or oldest first (reading is itself audited)",
          querystring: EventsQuery,
          response: { 200: listOf(AuditEvent) },
        },
      },
      async (request) => deps.auditTrail.listEvents(contextOf(request), request.query),
    );

    app.get(
      '/v1/audit-events/export',
      {
        config: {
          permission: 'audit:read',
          docs: {
            responses: {
              200: {
                description:
                  'JSON Lines (doklad.audit.export.v1): a header, the chained events in seq order with their ' +
                  'chain fields, each signed checkpoint after the event it signs, an end record. Verify it ' +
                  'offline with `doklad audit verify --file <f> --public-key <pem>`.',
                headers: { 'Content-Disposition': { description: 'attachment', schema: { type: 'string' } } },
                content: { [JSONL_TYPE]: { schema: { type: 'string' } } },
              },
            },
          },
        },
        schema: {
          tags,
          operationId: 'exportAuditEvents',
          summary: 'Streams the chained events of a time range with the checkpoints that sign them',
          querystring: ExportQuery,
        },
      },
      async (request, reply) => {
        const ctx = contextOf(request);
        const lines = await deps.auditExporter.exportLines(ctx, request.query);
        return reply
          .type(`${JSONL_TYPE}; charset=utf-8`)
          .header('content-disposition', `attachment; filename="audit-${ctx.tenantId}.jsonl"`)
          .header('cache-control', 'private, no-store')
          .send(Readable.from(lines));
      },
    );

    app.get(
      '/v1/documents/:id/access-log',
      {
        config: { permission: 'audit:read' },
        schema: {
          tags,
          operationId: 'getDocumentAccessLog',
          summary: 'Every download, export and change of one document, with actor, IP and time',
          params: z.object({ id: z.uuid() }),
          querystring: z.object({ order: Order.default('asc'), limit: Limit, cursor: Cursor }),
          response: { 200: listOf(AuditEvent) },
        },
      },
      async (request) =>
        deps.auditTrail.documentAccessLog(contextOf(request), request.params.id, request.query),
    );

    app.get(
      '/v1/audit/verification',
      {
        config: { permission: 'audit:read' },
        schema: {
          tags,
          operationId: 'verifyAuditChain',
          summary:
            "Recomputes the firm's hash chain and checks its signed checkpoints, like `doklad audit verify`",
          response: { 200: Verification },
        },
      },
      async (request) => deps.auditTrail.verify(contextOf(request)),
    );

    app.get(
      '/v1/audit/checkpoints',
      {
        config: { permission: 'audit:read' },
        schema: {
          tags,
          operationId: 'listAuditCheckpoints',
          summary: 'Signed checkpoints of the chain head, newest first, with signature and key id',
          querystring: z.object({ limit: Limit, cursor: Cursor }),
          response: { 200: listOf(CheckpointView) },
        },
      },
      async (request) => deps.auditTrail.listCheckpoints(contextOf(request), request.query),
    );

    app.get(
      '/v1/audit/public-keys',
      {
        config: { permission: 'audit:read' },
        schema: {
          tags,
          operationId: 'listAuditPublicKeys',
          summary: 'The public keys that sign audit checkpoints, for offline verification',
          response: { 200: z.object({ items: z.array(PublicKey) }) },
        },
      },
      async () => ({ items: deps.auditTrail.publicKeys() }),
    );
  };
}
