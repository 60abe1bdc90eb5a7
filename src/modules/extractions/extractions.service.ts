/** Reading extraction results: the latest version of a document's extraction, or an older one. */
import { NotFoundError } from '../../core/errors.js';
import type { RequestContext } from '../../core/request-context.js';
import type { Db } from '../../platform/db/db.js';
import type { AuditService } from '../audit/audit.service.js';
import type { DocumentsService } from '../documents/documents.service.js';
import * as repo from './extractions.repo.js';

export interface ExtractionView {
  readonly documentId: string;
  readonly version: number;
  readonly origin: string;
  readonly createdAt: Date;
  readonly createdBy: { readonly kind: string; readonly id: string };
  readonly needsReview: boolean;
  /** The earlier document of the firm this one duplicates (same supplier, number, gross, date). */
  readonly duplicateOf: string | null;
  readonly result: Record<string, unknown>;
}

export interface ExtractionsService {
  getExtraction(ctx: RequestContext, documentId: string, version?: number): Promise<ExtractionView>;
}

export function toExtractionView(row: repo.ExtractionRow, duplicateOf: string | null): ExtractionView {
  return {
    documentId: row.documentId,
    version: row.version,
    origin: row.origin,
    createdAt: row.createdAt,
    createdBy: { kind: row.createdByKind, id: row.createdById },
    needsReview: row.needsReview,
    duplicateOf,
    result: row.result as Record<string, unknown>,
  };
}

export function createExtractionsService(deps: {
  db: Db;
  audit: AuditService;
  documents: DocumentsService;
}): ExtractionsService {
  return {
    async getExtraction(ctx, documentId, version) {
      // Visibility (tenant, company restriction) is the document's: 404 exactly as for the document.
      await deps.documents.getDocument(ctx, documentId);
      const { row, doc } = await deps.db.withTenant(ctx, async (tx) => {
        const found =
          version === undefined
            ? await repo.latestExtraction(tx, ctx.tenantId, documentId)
            : await repo.extractionVersion(tx, ctx.tenantId, documentId, version);
        // The extracted data is the invoice's content, so reading it is an access the document's
        // access log shows. One INSERT in the transaction the read already opens (this route is not
        // one of the tuned hot reads: those are the document list and detail and the ERP list).
        if (found)
          await deps.audit.record(tx, ctx, {
            action: 'extraction.read',
            target: { type: 'document', id: documentId },
            payload: { version: found.version },
          });
        return { row: found, doc: await deps.documents.findDocumentState(tx, ctx, documentId) };
      });
      if (!row)
        throw new NotFoundError(
          version === undefined
            ? 'The document has no extraction yet.'
            : `The document has no extraction version ${version}.`,
        );
      return toExtractionView(row, doc?.duplicateOf ?? null);
    },
  };
}
