/**
 * Documents: upload (streamed, encrypted, deduplicated, idempotent), read, list, change metadata,
 * and stream the decrypted content (whole or a byte range). Every read of content is audited.
 * Integration tokens limited to some companies see only those companies' documents.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Clock } from '../../core/clock.js';
import { ConflictError, ContentUnavailableError, NotFoundError } from '../../core/errors.js';
import { allowedCompanyIds, type RequestContext } from '../../core/request-context.js';
import type { Db, Tx } from '../../platform/db/db.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import type { KeyProvider } from '../../platform/kms/key-provider.js';
import { BlobNotFoundError } from '../../platform/storage/blob-store.js';
import type { RegionalBlobStores } from '../../platform/storage/regional-blob-stores.js';
import type { AuditService } from '../audit/audit.service.js';
import type { CompaniesService } from '../companies/companies.service.js';
import type { TenantsService } from '../tenants/tenants.service.js';
import {
  openDecryptedContent,
  resolveRange,
  type ByteRange,
  type OpenedContent,
} from './decrypted-content.js';
import * as repo from './documents.repo.js';
import { loadRetentionRules } from './documents.retention-policy.js';
import {
  decodeDocumentCursor,
  encodeDocumentCursor,
  toDocumentView,
  type DocumentView,
} from './documents.views.js';
import { asStorageError, receiveEncrypted } from './encrypted-upload.js';
import { sanitizeFilename } from './filename.js';
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

export interface UploadInput {
  readonly source: Readable;
  readonly filename?: string | undefined;
  /** Resolved after the content is stored: multipart fields may follow the file part. */
  readonly metadata: () => Promise<UploadMetadata>;
  readonly idempotencyKey?: string | undefined;
  /** The size the client announced (Content-Length of a raw body), when it did. */
  readonly expectedBytes?: number | undefined;
  /**
   * Runs inside the transaction that creates the document (not for a duplicate or a replay), so
   * that what it writes commits or fails with the document; the upload route starts the
   * document's processing run here. The document is returned as it stands afterwards.
   */
  readonly withinCreation?: ((tx: Tx, documentId: string) => Promise<void>) | undefined;
}

/** The repo's filter minus the company restriction, which comes from the caller's context. */
export interface ListQuery extends Omit<repo.DocumentFilter, 'allowedCompanyIds'> {
  readonly limit: number;
  readonly cursor?: string | undefined;
}

export interface DocumentsService {
  uploadDocument(
    ctx: RequestContext,
    input: UploadInput,
  ): Promise<{ document: DocumentView; created: boolean }>;
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
}

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
  readonly maxBytes: number;
  readonly segmentSize: number;
}

/**
 * The same content is stored once per firm. A caller limited to some companies who uploads content
 * already stored under another company learns only that it exists, not where.
 */
function visibleDuplicate(ctx: RequestContext, existing: repo.DocumentRow): repo.DocumentRow {
  const allowed = allowedCompanyIds(ctx);
  if (allowed && !allowed.includes(existing.companyId ?? '')) {
    throw new ConflictError(
      'This content is already stored in this firm, outside the companies you can access.',
      'duplicate_content',
    );
  }
  return existing;
}

/**
 * The answer to a repeated Idempotency-Key, or null when the caller never sent this key. Keys
 * are the sending principal's own (another principal's same key is a different key), and the
 * original document is answered only while the caller can still see it.
 *
 * A key whose document the caller can no longer see (it moved outside the caller's companies, or
 * was purged) is a 409, not a 404: the route exists, and what conflicts is the key, which is bound
 * to a result that can no longer be given; a new key resolves it. The answer names nothing of
 * the document, as the duplicate-content answer outside the caller's companies does.
 */
async function replayIdempotent(
  tx: Tx,
  ctx: RequestContext,
  key: string,
  sha256: string,
): Promise<{ row: repo.DocumentRow; replayStatus: number } | null> {
  const previous = await repo.findIdempotencyKey(tx, ctx.tenantId, ctx.actor, key);
  if (!previous) return null;
  if (previous.requestHash !== sha256) {
    throw new ConflictError(
      'This Idempotency-Key was used for a different document.',
      'idempotency_key_reused',
    );
  }
  const original = await repo.findDocument(tx, ctx.tenantId, previous.resourceId, allowedCompanyIds(ctx));
  if (!original) {
    throw new ConflictError(
      'The document this Idempotency-Key created is no longer available to you; send a new key.',
      'idempotency_key_unavailable',
    );
  }
  return { row: original, replayStatus: previous.statusCode };
}

export function createDocumentsService(deps: DocumentsDeps): DocumentsService {
  const { db, audit, clock } = deps;
  const knownContainers = new Set<string>();

  async function storageFor(ctx: RequestContext) {
    const { kekRef, region } = await deps.tenants.tenantKey(ctx);
    const blobStore = deps.blobStores.forRegion(region);
    const container = blobStore.containerFor(ctx.tenantId);
    if (!knownContainers.has(container)) {
      await blobStore
        .ensureContainer(container)
        .catch((error: unknown) => Promise.reject(asStorageError(error)));
      knownContainers.add(container);
    }
    return { kekRef, blobStore, container };
  }

  async function findVisible(ctx: RequestContext, id: string) {
    const row = await db.read(ctx, (sql) => repo.readDocument(sql, ctx.tenantId, id, allowedCompanyIds(ctx)));
    if (!row) throw new NotFoundError('The document does not exist.');
    return row;
  }

  return {
    async uploadDocument(ctx, input) {
      const { kekRef, blobStore, container } = await storageFor(ctx);
      const documentId = randomUUID();
      const received = await receiveEncrypted(input.source, {
        blobStore,
        container,
        blobName: documentId,
        keyProvider: deps.keyProvider,
        kekRef,
        maxBytes: deps.maxBytes,
        segmentSize: deps.segmentSize,
        expectedBytes: input.expectedBytes,
      });
      const { stored } = received;
      // The blob's last write may still be under way: let it settle before deleting the blob.
      const discard = async () => {
        await received.durable.catch(() => undefined);
        await blobStore.delete(container, documentId).catch(() => undefined);
      };
      try {
        const metadata = await input.metadata();
        const outcome = await db.withTenant(ctx, async (tx) => {
          if (input.idempotencyKey) {
            const replay = await replayIdempotent(tx, ctx, input.idempotencyKey, stored.sha256);
            if (replay) return { row: replay.row, created: false, replayStatus: replay.replayStatus };
          }
          const existing = await repo.findBySha256(tx, ctx.tenantId, stored.sha256);
          if (existing) return { row: visibleDuplicate(ctx, existing), created: false };
          if (metadata.companyId) await deps.companies.assertUsable(tx, ctx, metadata.companyId);
          const now = clock();
          const type = metadata.type ?? 'invoice';
          const inserted = await repo.insertDocument(tx, {
            id: documentId,
            tenantId: ctx.tenantId,
            companyId: metadata.companyId ?? null,
            status: 'stored',
            type,
            filename: sanitizeFilename(input.filename, stored.type.extension),
            contentType: stored.type.contentType,
            sizeBytes: BigInt(stored.sizeBytes),
            sha256: stored.sha256,
            externalRef: metadata.externalRef ?? null,
            blobName: documentId,
            segmentSize: stored.segmentSize,
            retainUntil: retainUntil(await loadRetentionRules(tx, ctx.tenantId), type, null, now),
            createdByKind: ctx.actor.kind,
            createdById: ctx.actor.id,
            createdAt: now,
            // The worker assigns the document from its content later, on its own context: it
            // must know how far this uploader could reach (see applyExtractedFacts).
            uploadCompanyIds: allowedCompanyIds(ctx) ?? [],
          });
          await repo.insertDocumentKey(tx, {
            documentId,
            tenantId: ctx.tenantId,
            wrappedDek: stored.wrappedKey.wrapped,
            keyRef: stored.wrappedKey.keyRef,
            algorithm: stored.wrappedKey.algorithm,
          });
          if (input.idempotencyKey) {
            await repo.insertIdempotencyKey(tx, {
              tenantId: ctx.tenantId,
              actorKind: ctx.actor.kind,
              actorId: ctx.actor.id,
              key: input.idempotencyKey,
              requestHash: stored.sha256,
              resourceId: documentId,
              statusCode: 201,
            });
          }
          await audit.record(tx, ctx, {
            action: 'document.uploaded',
            target: { type: 'document', id: documentId },
            payload: {
              sha256: stored.sha256,
              sizeBytes: stored.sizeBytes,
              contentType: stored.type.contentType,
              type,
              companyId: metadata.companyId ?? null,
            },
          });
          let row = inserted;
          if (input.withinCreation) {
            await input.withinCreation(tx, documentId);
            row = (await repo.findDocument(tx, ctx.tenantId, documentId)) ?? inserted;
          }
          // The row commits only once its content is durable (the blob's last write ran while
          // the statements above did): a document never points at content that is not stored.
          await received.durable;
          return { row, created: true };
        });
        if (!outcome.created) await discard();
        return {
          document: toDocumentView(outcome.row),
          created: outcome.created || outcome.replayStatus === 201,
        };
      } catch (error) {
        await discard();
        // A concurrent upload of the same content won the unique index: answer with its document.
        if (!isUniqueViolation(error)) throw error;
        const winner = await db.withTenant(ctx, (tx) => repo.findBySha256(tx, ctx.tenantId, stored.sha256));
        if (!winner) throw error;
        return { document: toDocumentView(visibleDuplicate(ctx, winner)), created: false };
      }
    },

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
          query.cursor ? decodeDocumentCursor(query.cursor) : undefined,
        ),
      );
      const page = rows.slice(0, query.limit);
      return {
        items: page.map(toDocumentView),
        nextCursor: rows.length > query.limit ? encodeDocumentCursor(page.at(-1)!) : null,
      };
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
      const { blobStore, container } = await storageFor(ctx);
      const dek = await deps.keyProvider.unwrapKey(keyRef, Buffer.from(wrappedDek));
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
      ).catch((error: unknown) =>
        // The read was already audited: the caller may read it and asked for it.
        Promise.reject(
          error instanceof BlobNotFoundError ? new ContentUnavailableError() : asStorageError(error),
        ),
      );
      return { ...opened, document: toDocumentView(row) };
    },
  };
}
