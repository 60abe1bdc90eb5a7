/**
 * Documents: read, list, change metadata, stream the decrypted content (whole or a byte range),
 * move the processing status (the one way other modules change it) and, for the extraction module,
 * the processing state's lock, reads and lists (documents.processing-state.ts): this module owns the
 * `documents` table, and nothing else queries it. Every read of content is audited. Integration
 * tokens limited to some companies see only those companies' documents. The upload is its own use
 * case (documents.upload.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { ContentUnavailableError, NotFoundError } from '../../core/errors.js';
import { allowedCompanyIds, type RequestContext } from '../../core/request-context.js';
import type { Db, Tx } from '../../platform/db/db.js';
import type { KeyProvider } from '../../platform/kms/key-provider.js';
import { BlobNotFoundError } from '../../platform/storage/blob-store.js';
import type { RegionalBlobStores } from '../../platform/storage/regional-blob-stores.js';
import type { AuditService } from '../audit/audit.service.js';
import type { CompaniesService } from '../companies/companies.service.js';
import type { TenantsService } from '../tenants/tenants.service.js';
import { decodeCursor, pageOf } from '../cursor.js';
import {
  openDecryptedContent,
  resolveRange,
  type ByteRange,
  type OpenedContent,
} from './decrypted-content.js';
import { createDocumentProcessingState, type DocumentProcessingState } from './documents.processing-state.js';
import * as repo from './documents.repo.js';
import { loadRetentionRules } from './documents.retention-policy.js';
import { toDocumentView, type DocumentView } from './documents.views.js';
import { queuedEvent, statusesMovingTo, type DocumentStatus } from './documents.status.js';
import { asStorageError } from './encrypted-upload.js';
import { createTenantStorage } from './documents.storage.js';
import { retainUntil, type DocumentType } from './retention.js';

export interface UploadMetadata {
  readonly type?: DocumentType | undefined;
  readonly companyId?: string | undefined;
  readonly externalRef?: string | undefined;
}

export interface DocumentChanges {
  readonly type?: DocumentType | undefined;
  readonly companyId?: string | null | undefined;
  readonly externalRef?: string | null | undefined;
}

/** The repo's filter minus the company restriction, which comes from the caller's context. */
export interface ListQuery extends Omit<repo.DocumentFilter, 'allowedCompanyIds'> {
  readonly limit: number;
  readonly cursor?: string | undefined;
}

export interface DocumentsService extends DocumentProcessingState {
  getDocument(ctx: RequestContext, id: string): Promise<DocumentView>;
  listDocuments(
    ctx: RequestContext,
    query: ListQuery,
  ): Promise<{ items: DocumentView[]; nextCursor: string | null }>;
  updateDocument(ctx: RequestContext, id: string, changes: DocumentChanges): Promise<DocumentView>;
  openContent(
    ctx: RequestContext,
    id: string,
    range?: ByteRange,
  ): Promise<OpenedContent & { document: DocumentView }>;
  /**
   * Inside the extraction's transaction: the issue date moves `retainUntil` (the retention period
   * counts from it), and the buyer's VAT ID assigns the document to the matching company if it
   * has none — only to one of the companies its uploader was limited to, if it was. Returns what
   * changed, for the audit event.
   */
  applyExtractedFacts(
    tx: Tx,
    ctx: RequestContext,
    id: string,
    facts: ExtractedFacts,
  ): Promise<Record<string, unknown>>;
  /**
   * Inside the caller's transaction: moves the document from one of `from` to `to` (with the
   * columns that change with it) if the lifecycle allows it (documents.status.ts). False when the
   * document is in none of `from`, or `runId` is no longer its run: nothing changed. The caller
   * records the audit event of the move.
   */
  moveStatus(
    tx: Tx,
    ctx: RequestContext,
    id: string,
    from: DocumentStatus | readonly DocumentStatus[],
    to: DocumentStatus,
    options?: { runId?: string | undefined; set?: repo.StatusColumns | undefined },
  ): Promise<boolean>;
  /**
   * Inside the caller's transaction: a new processing run, queued (and audited so) when that
   * commits; it supersedes any earlier run, whose job then skips. With `storedRunId`, queues that
   * run of a `stored` document instead (the reconciler's retry of a job Redis never took). The run
   * id, or null when the document is not there to queue (absent, purged, exported, moved on).
   */
  startRun(tx: Tx, ctx: RequestContext, id: string, storedRunId?: string): Promise<string | null>;
  /** The firm's data export: how many documents still have content (trashed ones included). */
  countExportableDocuments(tx: Tx, ctx: RequestContext): Promise<number>;
  /** The firm's data export: documents with content, in id order, one page after `afterId`. */
  listDocumentsPage(
    tx: Tx,
    ctx: RequestContext,
    afterId: string | null,
    limit: number,
  ): ReturnType<typeof repo.listDocumentsPage>;
  /** A person's data export: how many documents they uploaded to the firm. */
  countUploadedBy(tx: Tx, ctx: RequestContext, userId: string): Promise<number>;
}

export type { DocumentStatus };
export type { ValidatedSellerRow } from './documents.processing.repo.js';

export interface ExtractedFacts {
  readonly issueDate?: Date | undefined;
  readonly buyerVatId?: string | undefined;
  readonly documentType?: DocumentType | undefined;
}

export interface DocumentsDeps {
  readonly db: Db;
  readonly audit: AuditService;
  readonly tenants: TenantsService;
  readonly companies: CompaniesService;
  readonly keyProvider: KeyProvider;
  readonly blobStores: RegionalBlobStores;
  readonly clock: Clock;
}

export function createDocumentsService(deps: DocumentsDeps): DocumentsService {
  const { db, audit, clock } = deps;
  const storageFor = createTenantStorage(deps);

  async function findVisible(ctx: RequestContext, id: string) {
    const row = await db.read(ctx, (sql) => repo.readDocument(sql, ctx.tenantId, id, allowedCompanyIds(ctx)));
    if (!row) throw new NotFoundError('The document does not exist.');
    return row;
  }

  return {
    ...createDocumentProcessingState(db),

    moveStatus: (tx, ctx, id, from, to, options) =>
      repo.moveStatus(tx, { tenantId: ctx.tenantId, id, runId: options?.runId, set: options?.set }, from, to),

    async startRun(tx, ctx, id, storedRunId) {
      const runId = storedRunId ?? randomUUID();
      const moved = storedRunId
        ? await repo.moveStatus(
            tx,
            { tenantId: ctx.tenantId, id, runId, set: { queuedAt: clock(), failureReason: null } },
            'stored',
            'queued',
          )
        : await repo.moveStatus(
            tx,
            {
              tenantId: ctx.tenantId,
              id,
              set: { processingRunId: runId, queuedAt: clock(), failureReason: null },
            },
            statusesMovingTo('queued'),
            'queued',
          );
      if (!moved) return null;
      await audit.record(tx, ctx, queuedEvent(id, runId));
      return runId;
    },

    countExportableDocuments: (tx, ctx) => repo.countExportableDocuments(tx, ctx.tenantId),
    listDocumentsPage: (tx, ctx, afterId, limit) => repo.listDocumentsPage(tx, ctx.tenantId, afterId, limit),
    countUploadedBy: (tx, ctx, userId) => repo.countUploadedBy(tx, ctx.tenantId, userId),

    async getDocument(ctx, id) {
      return toDocumentView(await findVisible(ctx, id));
    },

    async listDocuments(ctx, query) {
      const rows = await db.read(ctx, (sql) =>
        repo.readDocumentPage(
          sql,
          ctx.tenantId,
          { ...query, allowedCompanyIds: allowedCompanyIds(ctx) },
          query.limit + 1,
          query.cursor ? decodeCursor(query.cursor) : undefined,
        ),
      );
      const page = pageOf(rows, query.limit, (row) => ({ at: row.createdAt, id: row.id }));
      return { items: page.rows.map(toDocumentView), nextCursor: page.nextCursor };
    },

    async updateDocument(ctx, id, changes) {
      return db.withTenant(ctx, async (tx) => {
        const row = await repo.findDocument(tx, ctx.tenantId, id, allowedCompanyIds(ctx));
        if (!row) throw new NotFoundError('The document does not exist.');
        if (changes.companyId) await deps.companies.assertUsable(tx, ctx, changes.companyId);
        const data = {
          ...(changes.type !== undefined ? { type: changes.type } : {}),
          ...(changes.companyId !== undefined ? { companyId: changes.companyId } : {}),
          ...(changes.externalRef !== undefined ? { externalRef: changes.externalRef } : {}),
        };
        if (changes.type !== undefined && changes.type !== row.type) {
          const rules = await loadRetentionRules(tx, ctx.tenantId);
          Object.assign(data, {
            retainUntil: retainUntil(rules, changes.type, row.issueDate, row.createdAt),
          });
        }
        const updated = await repo.updateDocument(tx, ctx.tenantId, id, data);
        const before = Object.fromEntries(
          Object.keys(data).map((k) => [k, (row as unknown as Record<string, unknown>)[k] ?? null]),
        );
        await audit.record(tx, ctx, {
          action: 'document.updated',
          target: { type: 'document', id },
          payload: { before, after: data },
        });
        return toDocumentView(updated);
      });
    },

    async applyExtractedFacts(tx, ctx, id, facts) {
      const row = await repo.findDocument(tx, ctx.tenantId, id);
      if (!row) return {};
      const changes: { issueDate?: Date; retainUntil?: Date; companyId?: string; type?: string } = {};
      if (facts.issueDate && facts.issueDate.getTime() !== row.issueDate?.getTime())
        changes.issueDate = facts.issueDate;
      if (facts.documentType === 'credit_note' && row.type === 'invoice') changes.type = 'credit_note';
      if (changes.issueDate || changes.type) {
        const rules = await loadRetentionRules(tx, ctx.tenantId);
        changes.retainUntil = retainUntil(
          rules,
          (changes.type ?? row.type) as DocumentType,
          changes.issueDate ?? row.issueDate,
          row.createdAt,
        );
      }
      if (!row.companyId && facts.buyerVatId) {
        // The worker's context is unrestricted, but the content is the uploader's: an upload by a
        // principal limited to some companies is assigned only to one of them, never to another
        // company whose VAT ID the invoice happens to (or was crafted to) name.
        const uploadScope = await repo.findUploadCompanyIds(tx, ctx.tenantId, id);
        const within = uploadScope.length > 0 ? uploadScope : allowedCompanyIds(ctx);
        const company = await deps.companies.findByVatId(tx, ctx.tenantId, facts.buyerVatId, within);
        if (company) changes.companyId = company.id;
      }
      if (Object.keys(changes).length > 0) await repo.updateDocument(tx, ctx.tenantId, id, changes);
      return {
        ...(changes.issueDate ? { issueDate: changes.issueDate.toISOString().slice(0, 10) } : {}),
        ...(changes.retainUntil ? { retainUntil: changes.retainUntil.toISOString().slice(0, 10) } : {}),
        ...(changes.companyId ? { companyId: changes.companyId } : {}),
        ...(changes.type ? { type: changes.type } : {}),
      };
    },

    async openContent(ctx, id, requested) {
      // One transaction reads the document and its key and records the read: access is decided
      // and audited together, before a byte leaves storage (a bad range ends it with 416 and
      // nothing recorded). Three transactions here cost ~10 ms per download.
      const { row, keyRef, wrappedDek, range } = await db.withTenant(ctx, async (tx) => {
        const row = await repo.findDocument(tx, ctx.tenantId, id, allowedCompanyIds(ctx));
        const key = row && (await repo.findDocumentKey(tx, ctx.tenantId, id));
        if (!row || !key?.wrappedDek) throw new NotFoundError('The document does not exist.');
        const range = requested ? resolveRange(requested, Number(row.sizeBytes)) : undefined;
        await audit.record(tx, ctx, {
          action: 'document.content_read',
          target: { type: 'document', id },
          payload: { sha256: row.sha256, range: range ? `${range.start}-${range.end}` : null },
        });
        return { row, keyRef: key.keyRef, wrappedDek: key.wrappedDek, range };
      });
      // The KMS unwraps the key while the blob request goes out (openDecryptedContent awaits both).
      const dek = deps.keyProvider.unwrapKey(keyRef, Buffer.from(wrappedDek));
      // The KMS's own error, if any (also: never an unhandled rejection while dek is pending).
      const keyError = dek.then(
        () => undefined,
        (e: unknown) => e,
      );
      const { blobStore, container } = await storageFor(ctx);
      const opened = await openDecryptedContent(
        {
          blobStore,
          container,
          blobName: row.blobName,
          dek,
          segmentSize: row.segmentSize,
          sizeBytes: Number(row.sizeBytes),
        },
        range,
      ).catch(async (error: unknown) => {
        // A KMS failure is not a storage one: it passes as it is.
        if (error === (await keyError)) throw error;
        // The read was already audited: the caller may read it and asked for it.
        throw error instanceof BlobNotFoundError ? new ContentUnavailableError() : asStorageError(error);
      });
      return { ...opened, document: toDocumentView(row) };
    },
  };
}
