/** Extraction results and reprocessing of a document. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../http.js';
import { IsoDateTime, PositiveInt4 } from '../http-schemas.js';
import type { ExtractionPipeline } from './extractions.pipeline.js';
import type { ExtractionExportService } from './extractions.erp-export.js';
import { toCsv } from './extractions.erp-export.js';
import { EINVOICE_FORMATS, renderEInvoice } from './extractions.einvoice-export.js';
import type { ExtractionReviewService } from './extractions.review.js';
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
  duplicateOf: z
    .uuid()
    .nullable()
    .describe(
      'The earlier document of the firm this one duplicates (same supplier, invoice number, gross total and issue date); validating it needs allowDuplicate',
    ),
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
            rule: z
              .string()
              .optional()
              .describe(
                'Official rule id (EN 16931 BR-…, BR-CO-…, BR-CL-…, UBL-SR-…, CII-SR-…, XSD) when the finding reports one',
              ),
          })
          .passthrough(),
      ),
    })
    .passthrough(),
});
const IdParams = z.object({ id: z.uuid() });

const Reason = z.string().trim().min(3).max(500);
/**
 * Validation may override error findings (with a reason) and, separately and explicitly, the
 * duplicate check: a duplicate is validated only with `allowDuplicate: true` and its own reason.
 */
const ValidateBody = z
  .object({
    override: z.object({ reason: Reason }).optional(),
    allowDuplicate: z
      .boolean()
      .optional()
      .describe('Validate although the document duplicates another one; needs duplicateReason'),
    duplicateReason: Reason.optional().describe('Why the duplicate is booked anyway (audited)'),
  })
  .refine((b) => Boolean(b.allowDuplicate) === (b.duplicateReason !== undefined), {
    message: 'allowDuplicate: true and duplicateReason go together',
    path: ['duplicateReason'],
  })
  .nullish();

const Attention = z.object({ field: z.string(), reason: z.string() });
const ReviewQueue = z.object({
  items: z.array(
    z.object({
      documentId: z.uuid(),
      filename: z.string(),
      companyId: z.uuid().nullable(),
      createdAt: IsoDateTime,
      version: z.number().int(),
      duplicateOf: z.uuid().nullable().describe('The earlier document this one duplicates, if any'),
      attention: z.array(Attention),
    }),
  ),
  nextCursor: z.string().nullable(),
});
const ExportItem = z.object({
  documentId: z.uuid(),
  companyId: z.uuid().nullable(),
  documentType: z.string(),
  status: z.enum(['validated', 'exported']),
  version: z.number().int(),
  validatedAt: IsoDateTime.nullable(),
  exportedAt: IsoDateTime.nullable(),
  fields: z.record(z.string(), z.string()).describe('EN 16931 field name -> normalised value'),
  vatBreakdown: z.array(z.unknown()),
  lines: z.array(z.unknown()),
  conformance: z
    .object({
      en16931: z.boolean(),
      peppol: z.boolean(),
      missing: z
        .array(z.string())
        .describe('Business terms (BT-/BG- numbers) EN 16931 requires and the data lack'),
      rules: z.array(z.string()).describe('EN 16931 rules (BR-...) the data break'),
    })
    .describe('What ?format=ubl|cii|isdoc would answer: an e-invoice only when en16931 is true, else 422'),
});
const ExportQuery = z.object({
  status: z
    .literal('validated')
    .default('validated')
    .describe(
      'Only validated extractions are handed off; a duplicate invoice only when validated with allowDuplicate',
    ),
  exported: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  companyId: z.uuid().optional(),
  updatedSince: z.iso
    .datetime({ offset: true })
    .transform((v) => new Date(v))
    .optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  format: z.enum(['json', 'csv']).optional().describe('Or send Accept: text/csv'),
});

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
          querystring: z.object({ version: PositiveInt4.optional() }),
          response: { 200: ExtractionView },
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
          response: { 202: z.object({ status: z.literal('queued') }) },
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
          body: z.object({
            fields: z
              .record(z.string().max(100), z.string().max(500).nullable())
              .refine((f) => Object.keys(f).length > 0, 'give at least one field'),
            reason: z
              .string()
              .trim()
              .min(3)
              .max(500)
              .optional()
              .describe('Why it changes; required once the extraction is exported'),
          }),
          response: { 200: ExtractionView },
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
          body: ValidateBody,
          response: { 200: ExtractionView },
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
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(200).default(50),
            cursor: z.string().max(200).optional(),
          }),
          response: { 200: ReviewQueue },
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
          querystring: ExportQuery,
          response: { 200: z.object({ items: z.array(ExportItem), nextCursor: z.string().nullable() }) },
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
          querystring: z.object({ format: z.enum(['json', ...EINVOICE_FORMATS]).optional() }),
          response: { 200: ExportItem },
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
          response: { 200: z.object({ documentId: z.uuid(), exportedAt: IsoDateTime }) },
        },
      },
      async (request) => deps.erpExport.acknowledge(contextOf(request), request.params.id),
    );
  };
}
