/** The firm's retention policy. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../http.js';
import type { RetentionPolicyService } from './documents.retention-policy.js';
import { RetentionPolicy } from './documents.schemas.js';

const tags = ['documents'];

export function retentionRoutes(deps: { retentionPolicy: RetentionPolicyService }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/retention-policy',
      {
        config: { permission: 'documents:read' },
        schema: {
          tags,
          operationId: 'getRetentionPolicy',
          summary: "Get the firm's retention policy",
          response: { 200: RetentionPolicy },
        },
      },
      async (request) => deps.retentionPolicy.getPolicy(contextOf(request)),
    );
    app.put(
      '/v1/retention-policy',
      {
        config: { permission: 'tenant:manage' },
        schema: {
          tags,
          operationId: 'putRetentionPolicy',
          summary:
            'Years to keep documents, counted from the end of the issue year; recomputes every retainUntil',
          body: RetentionPolicy,
          response: { 200: RetentionPolicy.extend({ documentsUpdated: z.number().int() }) },
        },
      },
      async (request) => deps.retentionPolicy.putPolicy(contextOf(request), request.body),
    );
  };
}
