/** zod schemas of the extraction routes. */
import { z } from 'zod';
import { Cursor, IsoDateTime, listOf, pageLimit, PositiveInt4 } from '../http-schemas.js';
import { EINVOICE_FORMATS } from './extractions.einvoice-export.js';

export const Field = z.object({
  value: z.string(),
  confidence: z.number(),
  source: z.string(),
  page: z.number().int().optional(),
  bbox: z.array(z.number()).optional(),
  confirmedBy: z
    .enum(['totals', 'supplier', 'hint'])
    .optional()
    .describe(
      'The independent check the value passed beyond one reading of the page (totals that reconcile, the known supplier, a learned hint agreeing with the rules); confirmed values are calibrated apart',
    ),
});
export const ExtractionView = z.object({
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

export const Reason = z.string().trim().min(3).max(500);
/**
 * Validation may override error findings (with a reason) and, separately and explicitly, the
 * duplicate check: a duplicate is validated only with `allowDuplicate: true` and its own reason.
 */
export const ValidateBody = z
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

export const Attention = z.object({ field: z.string(), reason: z.string() });
export const ReviewQueue = z.object({
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
export const ExportItem = z.object({
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
export const ExportQuery = z.object({
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
  cursor: Cursor,
  limit: pageLimit(500, 100),
  format: z.enum(['json', 'csv']).optional().describe('Or send Accept: text/csv'),
});
export const VersionQuery = z.object({ version: PositiveInt4.optional() });
export const Queued = z.object({ status: z.literal('queued') });
export const ExportPage = listOf(ExportItem);
export const EInvoiceQuery = z.object({ format: z.enum(['json', ...EINVOICE_FORMATS]).optional() });
export const Acknowledged = z.object({ documentId: z.uuid(), exportedAt: IsoDateTime });
export const CorrectionBody = z.object({
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
});
export const ReviewQueueQuery = z.object({
  limit: pageLimit(),
  cursor: Cursor,
});
