/** Reading extraction results: the latest version of a document's extraction, or an older one. */
import { NotFoundError } from '../../core/errors.js';
import type { RequestContext } from '../../core/request-context.js';
import type { Db } from '../../platform/db/db.js';
import type { DocumentsService } from '../documents/documents.service.js';
import * as repo from './extractions.repo.js';

export interface ExtractionView {
  readonly documentId: string;
  readonly version: number;
  readonly origin: string;
  readonly createdAt: Date;
  readonly createdBy: { readonly kind: string; readonly id: string };
  readonly needsReview: boolean;
  readonly result: Record<string, unknown>;
}

export interface ExtractionsService {
  getExtraction(ctx: RequestContext, documentId: string, version?: number): Promise<ExtractionView>;
}

export function toExtractionView(row: repo.ExtractionRow): ExtractionView {
  return {
    documentId: row.documentId,
    version: row.version,
    origin: row.origin,
    createdAt: row.createdAt,
    createdBy: { kind: row.createdByKind, id: row.createdById },
    needsReview: row.needsReview,
    result: row.result as Record<string, unknown>,
  };
}

export function createExtractionsService(deps: { db: Db; documents: DocumentsService }): ExtractionsService {
  return {
    async getExtraction(ctx, documentId, version) {
      // Visibility (tenant, company restriction) is the document's: 404 exactly as for the document.
      await deps.documents.getDocument(ctx, documentId);
      const row = await deps.db.withTenant(ctx, (tx) =>
        version === undefined
          ? repo.latestExtraction(tx, ctx.tenantId, documentId)
          : repo.extractionVersion(tx, ctx.tenantId, documentId, version),
      );
      if (!row)
        throw new NotFoundError(
          version === undefined
            ? 'The document has no extraction yet.'
            : `The document has no extraction version ${version}.`,
        );
      return toExtractionView(row);
    },
  };
}
