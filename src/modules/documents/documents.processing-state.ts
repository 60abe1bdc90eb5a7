/**
 * What the extraction pipeline, review and ERP hand-off read and write of a document, through the
 * documents module that owns its table: the row lock that serialises a document's versions and
 * moves, its processing and duplicate state, and the lists they work through. Each call inside a
 * transaction runs in the caller's `tx` (its RLS scope and its lock), so moving a statement here
 * changed no transaction and no statement; the ERP list opens its own READ ONLY one (`db.read`),
 * as it did before. The status itself moves only through `DocumentsService.moveStatus`.
 */
import { allowedCompanyIds, type RequestContext } from '../../core/request-context.js';
import type { Db, Tx } from '../../platform/db/db.js';
import type { CursorPosition } from '../cursor.js';
import * as repo from './documents.processing.repo.js';

/** The duplicate columns an extraction result sets (a new result clears an earlier override). */
type DuplicateState = Parameters<typeof repo.setDuplicateState>[3];

export interface DocumentProcessingState {
  /** Locks the document's row until the caller's transaction ends (versions and moves in order). */
  lockDocument(tx: Tx, ctx: RequestContext, id: string): Promise<void>;
  /** The document's processing state, whatever its trash or purge state; null when absent. */
  findDocumentState(tx: Tx, ctx: RequestContext, id: string): Promise<repo.DocumentStateRow | null>;
  /** Whether the document exists in the tenant and is neither trashed nor purged. */
  isActiveDocument(tx: Tx, ctx: RequestContext, id: string): Promise<boolean>;
  /** Sets the invoice key and duplicate columns; the number of rows changed (0: no such document). */
  setDuplicateState(tx: Tx, ctx: RequestContext, id: string, state: DuplicateState): Promise<number>;
  /** Other active documents with the invoice key, oldest first, with their latest seller data. */
  listInvoiceKeyCandidates(
    tx: Tx,
    ctx: RequestContext,
    id: string,
    key: string,
    limit: number,
  ): Promise<repo.InvoiceKeyCandidate[]>;
  /** Documents the reconciler should (re)enqueue, oldest first. */
  listStalled(
    tx: Tx,
    ctx: RequestContext,
    storedBefore: Date,
    runningBefore: Date,
    limit: number,
  ): Promise<repo.StalledRow[]>;
  /** Documents waiting for a person within the caller's companies, oldest first (keyset). */
  listNeedsReview(
    tx: Tx,
    ctx: RequestContext,
    limit: number,
    after?: CursorPosition,
  ): Promise<repo.ReviewRow[]>;
  /**
   * A page of the ERP export list within the caller's companies, each document with its latest
   * extraction, in one READ ONLY transaction of its own.
   */
  readExportPage(
    ctx: RequestContext,
    filter: Omit<repo.ExportFilter, 'allowedCompanyIds'>,
    limit: number,
    after?: CursorPosition,
  ): Promise<repo.ExportRow[]>;
  /** Sellers of the validated documents, most recently validated first: the supplier directory. */
  listValidatedSellers(tx: Tx, ctx: RequestContext, limit: number): Promise<repo.ValidatedSellerRow[]>;
  /** Count and last change of the validated documents: whether a cached directory is current. */
  validatedSellersFingerprint(tx: Tx, ctx: RequestContext): Promise<string>;
}

export function createDocumentProcessingState(db: Db): DocumentProcessingState {
  return {
    lockDocument: (tx, ctx, id) => repo.lockDocument(tx, ctx.tenantId, id),
    findDocumentState: (tx, ctx, id) => repo.findDocumentState(tx, ctx.tenantId, id),
    isActiveDocument: (tx, ctx, id) => repo.isActiveDocument(tx, ctx.tenantId, id),
    setDuplicateState: (tx, ctx, id, state) => repo.setDuplicateState(tx, ctx.tenantId, id, state),
    listInvoiceKeyCandidates: (tx, ctx, id, key, limit) =>
      repo.listInvoiceKeyCandidates(tx, ctx.tenantId, id, key, limit),
    listStalled: (tx, ctx, storedBefore, runningBefore, limit) =>
      repo.listStalled(tx, ctx.tenantId, storedBefore, runningBefore, limit),
    listNeedsReview: (tx, ctx, limit, after) =>
      repo.listNeedsReview(tx, ctx.tenantId, allowedCompanyIds(ctx), limit, after),
    readExportPage: (ctx, filter, limit, after) =>
      db.read(ctx, (sql) =>
        repo.readExportPage(
          sql,
          ctx.tenantId,
          { ...filter, allowedCompanyIds: allowedCompanyIds(ctx) },
          limit,
          after,
        ),
      ),
    listValidatedSellers: (tx, ctx, limit) => repo.listValidatedSellers(tx, ctx.tenantId, limit),
    validatedSellersFingerprint: (tx, ctx) => repo.validatedSellersFingerprint(tx, ctx.tenantId),
  };
}
