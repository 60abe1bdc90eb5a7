/** The firm's audit trail, for administrators (`audit:read`). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IsoDateTime } from '../http-schemas.js';
import { contextOf } from '../http.js';
import type { AuditService } from './audit.service.js';

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

const AuditChainStatus = z.object({
  head: z
    .object({ seq: z.string(), hash: Sha256Hex, chainedAt: IsoDateTime })
    .nullable()
    .describe('The last chained event; null before the first one is chained'),
  unchained: z
    .object({ count: z.number().int(), oldestOccurredAt: IsoDateTime.nullable() })
    .describe('Events recorded but not chained yet: the chainer links them shortly after commit'),
  latestCheckpoint: z
    .object({ seq: z.string(), headHash: Sha256Hex, keyId: z.string(), signedAt: IsoDateTime })
    .nullable(),
});

export function auditRoutes(deps: { audit: AuditService }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/audit/chain',
      {
        config: { permission: 'audit:read' },
        schema: {
          tags: ['audit'],
          operationId: 'getAuditChainStatus',
          summary: "The audit chain's head, its backlog of unchained events and the latest signed checkpoint",
          response: { 200: AuditChainStatus },
        },
      },
      async (request) => deps.audit.getChainStatus(contextOf(request)),
    );
  };
}
