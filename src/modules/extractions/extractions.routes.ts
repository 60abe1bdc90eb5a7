/** Extraction results and reprocessing of a document. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { contextOf } from '../http.js';
import { IdParams } from '../http-schemas.js';
import type { ExtractionPipeline } from './extractions.pipeline.js';
import type { ExtractionExportService } from './extractions.erp-export.js';
import { toCsv } from './extractions.erp-export.js';
import { renderEInvoice } from './extractions.einvoice-export.js';
import * as s from './extractions.schemas.js';
import type { ExtractionReviewService } from './extractions.review.js';
import type { ExtractionsService } from './extractions.service.js';

const tags = ['extractions'];
export interface ExtractionsRoutesDeps {
  readonly extractions: ExtractionsService;
  readonly pipeline: ExtractionPipeline;
  readonly review: ExtractionReviewService;
  readonly erpExport: ExtractionExportService;
}

export function extractionsRoutes(deps: ExtractionsRoutesDeps): FastifyPluginAsyncZod {
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
          querystring: s.VersionQuery,
          response: { 200: s.ExtractionView },
        },
      },
      async (request) =>
        deps.extractions.getExtraction(contextOf(request), request.params.id, request.query.version) as never,
    );

    app.post(
      '/v1/documents/:id/reprocess',
      {
        config: {
          permission: 'extractions:write',
          docs: {
            errors: {
              409: 'The ERP has taken the extraction over (extraction_exported): correct it with a reason instead.',
            },
          },
        },
        schema: {
          tags,
          operationId: 'reprocessDocument',
          summary: 'Run the extraction again (a new version)',
          params: IdParams,
          response: { 202: s.Queued },
        },
      },
      async (request, reply) => {
        await deps.pipeline.requestExtraction(contextOf(request), request.params.id);
        return reply.status(202).send({ status: 'queued' as const });
      },
    );

    app.patch(
      '/v1/documents/:id/extraction',
      {
        config: {
          permission: 'extractions:write',
          docs: {
            errors: {
              403: 'Refused: the caller lacks the permission (forbidden); or the extraction is exported and the caller is an integration token (exported_extraction_people_only).',
              409: 'No finished extraction yet (extraction_not_ready).',
            },
          },
        },
        schema: {
          tags,
          operationId: 'correctExtraction',
          summary: 'Correct fields (validated and normalised); stored as a new version with source "user"',
          description:
            'Once the ERP has acknowledged the extraction (exported), only a person may correct it, ' +
            'with a `reason`; the new version is validated at once, listed again for the ERP ' +
            '(GET /v1/extractions?exported=false) and announced as the webhook event ' +
            '`extraction.changed_after_export`. Before that, a correction reopens the review.',
          params: IdParams,
          body: s.CorrectionBody,
          response: { 200: s.ExtractionView },
        },
      },
      async (request) =>
        deps.review.correct(
          contextOf(request),
          request.params.id,
          request.body.fields,
          request.body.reason,
        ) as never,
    );

    app.post(
      '/v1/documents/:id/extraction/validate',
      {
        config: {
          permission: 'extractions:write',
          docs: {
            errors: {
              409: 'The document duplicates another one and allowDuplicate was not given (duplicate_invoice, with `duplicateOf`), error findings remain and no override reason was given (unresolved_errors, with `findings`), or no finished extraction yet (extraction_not_ready).',
            },
          },
        },
        schema: {
          tags,
          operationId: 'validateExtraction',
          summary:
            'Mark the extraction correct; refused (409) while error findings remain unless overridden with a reason',
          params: IdParams,
          body: s.ValidateBody,
          response: { 200: s.ExtractionView },
        },
      },
      async (request) =>
        deps.review.validate(
          contextOf(request),
          request.params.id,
          request.body?.override,
          request.body?.allowDuplicate ? { reason: request.body.duplicateReason! } : undefined,
        ) as never,
    );

    app.get(
      '/v1/review-queue',
      {
        config: { permission: 'extractions:read' },
        schema: {
          tags,
          operationId: 'getReviewQueue',
          summary: 'Documents that need a person, oldest first, with the fields to look at',
          querystring: s.ReviewQueueQuery,
          response: { 200: s.ReviewQueue },
        },
      },
      async (request) =>
        deps.review.reviewQueue(contextOf(request), request.query.limit, request.query.cursor),
    );

    app.get(
      '/v1/extractions',
      {
        config: {
          permission: 'extractions:read',
          docs: {
            responses: {
              200: {
                description: 'A page of validated extractions: JSON, or CSV (one row per line item).',
                headers: {
                  'x-next-cursor': {
                    description: 'CSV only: the cursor of the next page, when there is one.',
                    schema: { type: 'string' },
                  },
                },
                content: { 'text/csv': { schema: { type: 'string' } } },
              },
            },
          },
        },
        schema: {
          tags,
          operationId: 'listExtractionsForExport',
          summary: 'Validated extractions for ERP agents (JSON, or CSV with ?format=csv / Accept: text/csv)',
          querystring: s.ExportQuery,
          response: { 200: s.ExportPage },
        },
      },
      async (request, reply) => {
        const page = await deps.erpExport.list(contextOf(request), request.query);
        const wantsCsv =
          request.query.format === 'csv' ||
          (!request.query.format && /text\/csv/.test(request.headers.accept ?? ''));
        if (!wantsCsv) return page;
        if (page.nextCursor) reply.header('x-next-cursor', page.nextCursor);
        return reply
          .type('text/csv; charset=utf-8')
          .serializer((payload: unknown) => payload as string)
          .send(toCsv(page.items) as never);
      },
    );

    app.get(
      '/v1/extractions/:id',
      {
        config: {
          permission: 'extractions:read',
          docs: {
            errors: {
              409: 'The extraction is not validated (not_validated), or it is a duplicate invoice validated without allowDuplicate (duplicate_invoice).',
              422: 'format=ubl|cii|isdoc: the data do not meet EN 16931 (code not_conformant); `missing` lists the absent business terms (BT-/BG- numbers), `rules` the EN 16931 rules the data break.',
            },
            responses: {
              200: {
                description:
                  'The validated extraction: JSON (with `conformance`), or an EN 16931 e-invoice: UBL 2.1 Invoice/CreditNote (format=ubl), CII D16B CrossIndustryInvoice (format=cii, the Factur-X/ZUGFeRD/XRechnung syntax), ISDOC 6.0.2 (format=isdoc).',
                content: {
                  'application/xml': { schema: { type: 'string' } },
                },
              },
            },
          },
        },
        schema: {
          tags,
          operationId: 'getExtractionForExport',
          summary:
            'One validated extraction (by document id): JSON, or UBL / CII / ISDOC XML with ?format= (Accept: application/xml means UBL)',
          params: IdParams,
          querystring: s.EInvoiceQuery,
          response: { 200: s.ExportItem },
        },
      },
      async (request, reply) => {
        const { item, result } = await deps.erpExport.getForExport(contextOf(request), request.params.id);
        const accept = request.headers.accept ?? '';
        const format = request.query.format ?? (/application\/xml/.test(accept) ? 'ubl' : 'json');
        if (format === 'json') return item;
        const { body, contentType } = renderEInvoice(result, format);
        return reply
          .type(contentType)
          .serializer((payload: unknown) => payload as string)
          .send(body as never);
      },
    );

    app.post(
      '/v1/extractions/:id/ack',
      {
        // Acknowledging changes the extraction's state (it leaves the hand-off list), so it needs
        // its own scope: an ERP agent holds it without `extractions:write`, which would let it
        // rewrite data; a viewer or a read-only agent must not mark data exported.
        config: {
          permission: 'extractions:export',
          docs: {
            errors: {
              409: 'The extraction is not validated (not_validated), or it is a duplicate invoice validated without allowDuplicate (duplicate_invoice).',
            },
          },
        },
        schema: {
          tags,
          operationId: 'acknowledgeExport',
          summary: 'Mark a validated extraction (by document id) as taken over by the ERP; idempotent',
          params: IdParams,
          response: { 200: s.Acknowledged },
        },
      },
      async (request) => deps.erpExport.acknowledge(contextOf(request), request.params.id),
    );
  };
}
