/** zod schemas of the document routes. */
import { z } from 'zod';
import { Cursor, IsoDateTime, listOf, pageLimit } from '../http-schemas.js';
import { DOCUMENT_STATUSES } from './documents.status.js';

export const DocumentType = z.enum(['invoice', 'credit_note', 'receipt', 'other']);
export const DocumentStatus = z.enum(DOCUMENT_STATUSES);

export const DocumentView = z.object({
  id: z.uuid(),
  status: DocumentStatus,
  type: DocumentType,
  filename: z.string(),
  contentType: z.string(),
  size: z.number().int().describe('bytes'),
  sha256: z.string(),
  companyId: z.uuid().nullable(),
  externalRef: z.string().nullable(),
  issueDate: z.string().nullable().describe('YYYY-MM-DD, once known'),
  retainUntil: z.string().describe('YYYY-MM-DD: the last day the document must be kept'),
  legalHold: z.boolean(),
  failureReason: z.string().nullable().describe('Why processing failed (status failed)'),
  trashedAt: IsoDateTime.nullable(),
  purgeAfter: IsoDateTime.nullable().describe('When a trashed document is purged for good'),
  duplicateOf: z
    .uuid()
    .nullable()
    .describe('The earlier document with the same invoice (supplier, number, gross total, issue date)'),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
});

export const DocumentList = listOf(DocumentView);

/** Metadata sent with an upload: multipart fields or, for a raw body, query parameters. */
export const UploadFields = z.object({
  type: DocumentType.optional(),
  companyId: z.uuid().optional(),
  externalRef: z.string().trim().min(1).max(200).optional(),
});

export const RawUploadQuery = UploadFields.extend({
  filename: z.string().max(255).optional().describe('Original filename (raw-body uploads)'),
});

export const ListQuery = z.object({
  limit: pageLimit(),
  cursor: Cursor,
  status: DocumentStatus.optional(),
  type: DocumentType.optional(),
  companyId: z.uuid().optional(),
  createdAfter: z.iso
    .datetime({ offset: true })
    .transform((v) => new Date(v))
    .optional(),
  createdBefore: z.iso
    .datetime({ offset: true })
    .transform((v) => new Date(v))
    .optional(),
  trashed: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .default(false),
});

export const UpdateBody = z.object({
  type: DocumentType.optional(),
  companyId: z.uuid().nullable().optional(),
  externalRef: z.string().trim().min(1).max(200).nullable().optional(),
});
export const TrashBody = z.object({ reason: z.string().trim().min(1).max(500).optional() }).nullish();
export const LegalHoldBody = z.object({ reason: z.string().trim().min(1).max(500) });

export const RetentionPolicy = z.object({
  defaultYears: z.number().int().min(1).max(100),
  typeYears: z.partialRecord(DocumentType, z.number().int().min(1).max(100)).default({}),
});
