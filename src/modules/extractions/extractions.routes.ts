/** Extraction results and reprocessing of a document. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../http.js';
import { IsoDateTime } from '../http-schemas.js';
import type { ExtractionPipeline } from './extraction-pipeline.js';
import type { ExtractionsService } from './extractions.service.js';

const tags = ['extractions'];
const Field = z.object({
  value: z.string(),
  confidence: z.number(),
  source: z.string(),
  page: z.number().int().optional(),
  bbox: z.array(z.number()).optional(),
});
const ExtractionView = z.object({
  documentId: z.uuid(),
  version: z.number().int(),
  origin: z.enum(['engine', 'user']),
  createdAt: IsoDateTime,
  createdBy: z.object({ kind: z.string(), id: z.string() }),
  needsReview: z.boolean(),
  result: z
    .object({
      documentType: z.string(),
      format: z.string(),
      fields: z
        .record(z.string(), Field)
        .describe('EN 16931 names: invoiceNumber, issueDate, totals.gross, seller.vatId, ...'),
      vatBreakdown: z.array(z.record(z.string(), z.unknown())),
      lines: z.array(z.record(z.string(), z.unknown())),
      findings: z.array(
        z
          .object({
            code: z.string(),
            severity: z.string(),
            message: z.string(),
            field: z.string().optional(),
          })
          .passthrough(),
      ),
    })
    .passthrough(),
});
const IdParams = z.object({ id: z.uuid() });

export function extractionsRoutes(deps: {
  extractions: ExtractionsService;
  pipeline: ExtractionPipeline;
}): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/documents/:id/extraction',
      {
        config: { permission: 'extractions:read' },
        schema: {
          tags,
          operationId: 'getExtraction',
          summary: 'The latest extraction result of a document (or ?version=n)',
          params: IdParams,
          querystring: z.object({ version: z.coerce.number().int().min(1).optional() }),
          response: { 200: ExtractionView },
        },
      },
      async (request) =>
        deps.extractions.getExtraction(contextOf(request), request.params.id, request.query.version) as never,
    );

    app.post(
      '/v1/documents/:id/reprocess',
      {
        config: { permission: 'extractions:write' },
        schema: {
          tags,
          operationId: 'reprocessDocument',
          summary: 'Run the extraction again (a new version)',
          params: IdParams,
          response: { 202: z.object({ status: z.literal('queued') }) },
        },
      },
      async (request, reply) => {
        await deps.pipeline.requestExtraction(contextOf(request), request.params.id);
        return reply.status(202).send({ status: 'queued' as const });
      },
    );
  };
}
