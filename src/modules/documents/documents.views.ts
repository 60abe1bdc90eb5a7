/** The public shape of a document. */
import { isExtractionErrorCode } from '../../extraction/model.js';
import type { DocumentRow } from './documents.repo.js';
import type { DocumentStatus } from './documents.status.js';
import type { DocumentType } from './retention.js';

export interface DocumentView {
  readonly id: string;
  readonly status: DocumentStatus;
  readonly type: DocumentType;
  readonly filename: string;
  readonly contentType: string;
  readonly size: number;
  readonly sha256: string;
  readonly companyId: string | null;
  readonly externalRef: string | null;
  readonly issueDate: string | null;
  readonly retainUntil: string;
  readonly legalHold: boolean;
  /** Why processing failed, when the status is `failed`. */
  readonly failureReason: string | null;
  readonly trashedAt: Date | null;
  readonly purgeAfter: Date | null;
  /** The earlier document of the firm with the same invoice (supplier, number, gross, date). */
  readonly duplicateOf: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

const day = (date: Date) => date.toISOString().slice(0, 10);

/**
 * A stored failure reason as the API shows it: `code: message` for a known code. Rows failed
 * before reasons were sanitised may hold a raw internal error message (database query context,
 * source paths): those read as a plain internal error.
 */
function publicFailureReason(stored: string | null): string | null {
  if (stored === null) return null;
  const code = /^([a-z_]+): /.exec(stored)?.[1];
  return code && (code === 'internal_error' || isExtractionErrorCode(code))
    ? stored
    : 'internal_error: the document could not be processed';
}

export function toDocumentView(row: DocumentRow): DocumentView {
  return {
    id: row.id,
    status: row.status,
    type: row.type as DocumentType,
    filename: row.filename,
    contentType: row.contentType,
    size: Number(row.sizeBytes),
    sha256: row.sha256,
    companyId: row.companyId,
    externalRef: row.externalRef,
    issueDate: row.issueDate ? day(row.issueDate) : null,
    retainUntil: day(row.retainUntil),
    legalHold: row.legalHold,
    failureReason: row.status === 'failed' ? publicFailureReason(row.failureReason) : null,
    trashedAt: row.trashedAt,
    purgeAfter: row.purgeAfter,
    duplicateOf: row.duplicateOf,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
