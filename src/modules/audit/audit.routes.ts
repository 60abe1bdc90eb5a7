/** The firm's audit trail, for administrators and SIEM tokens (`audit:read`). */
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listOf } from '../http-schemas.js';
import { contextOf } from '../http.js';
import type { AuditExporter } from './audit.export.js';
import type { AuditService } from './audit.service.js';
import type { AuditTrailService } from './audit.trail.js';
import * as s from './audit.schemas.js';

const tags = ['audit'];

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
          response: { 200: s.AuditChainStatus },
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
          querystring: s.EventsQuery,
          response: { 200: listOf(s.AuditEvent) },
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
          querystring: s.ExportQuery,
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
          querystring: z.object({ order: s.Order.default('asc'), limit: s.Limit, cursor: s.Cursor }),
          response: { 200: listOf(s.AuditEvent) },
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
          response: { 200: s.Verification },
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
          querystring: z.object({ limit: s.Limit, cursor: s.Cursor }),
          response: { 200: listOf(s.CheckpointView) },
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
          response: { 200: z.object({ items: z.array(s.PublicKey) }) },
        },
      },
      async () => ({ items: deps.auditTrail.publicKeys() }),
    );
  };
}
