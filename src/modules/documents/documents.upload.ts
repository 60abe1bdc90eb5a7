/**
 * The upload as one use case: store the bytes (encrypted, streamed), record the document (row,
 * data key, Idempotency-Key, audit) in one plain-SQL transaction, and hand it to processing.
 *
 *   receiveEncrypted (bytes -> ciphertext blob; its last write and the key's wrapping still
 *   under way)
 *   -> db.write: facts (replay? duplicate? retention) -> [company check] -> the wrapped key ->
 *      document + key + Idempotency-Key + first run in one INSERT -> uploaded + queued audit
 *      events in one INSERT -> the blob is durable -> COMMIT
 *   -> processing.submit (the run's job, after the commit)
 *
 * A duplicate or a replay records nothing and answers the existing document; its blob is deleted.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Clock } from '../../core/clock.js';
import { ConflictError } from '../../core/errors.js';
import { allowedCompanyIds, type RequestContext } from '../../core/request-context.js';
import type { Db, SqlWriter } from '../../platform/db/db.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import type { KeyProvider } from '../../platform/kms/key-provider.js';
import type { Logger } from '../../platform/logger.js';
import type { RegionalBlobStores } from '../../platform/storage/regional-blob-stores.js';
import type { AuditService } from '../audit/audit.service.js';
import type { CompaniesService } from '../companies/companies.service.js';
import type { TenantsService } from '../tenants/tenants.service.js';
import * as repo from './documents.repo.js';
import { rulesOf } from './documents.retention-policy.js';
import type { DocumentsService, UploadMetadata } from './documents.service.js';
import { queuedEvent } from './documents.status.js';
import { toDocumentView, type DocumentView } from './documents.views.js';
import { createTenantStorage } from './documents.storage.js';
import { receiveEncrypted, type ReceivedContent } from './encrypted-upload.js';
import { sanitizeFilename } from './filename.js';
import { retainUntil } from './retention.js';

/**
 * How the documents module hands a recorded document to processing (container.ts wires the
 * extraction pipeline). The document is recorded already queued with its first run, in the
 * upload's transaction; `submit` puts that run's job on the queue after the commit.
 */
export interface DocumentProcessing {
  /**
   * False when the queue did not take the job in time: the document is then `stored` again and
   * the reconciler enqueues it later. The upload has succeeded either way.
   */
  submit(ctx: RequestContext, documentId: string, runId: string): Promise<boolean>;
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
   * True when nothing but the upload holds the source's chunks once read (the raw request body):
   * they are then freed as soon as they are encrypted. A multipart parser's chunks may be views
   * into buffers it still reads, so never for those.
   */
  readonly sourceChunksOwned?: boolean | undefined;
}

export interface UploadResult {
  readonly document: DocumentView;
  /** True for a new document (and for a replay of the request that created one): 201. */
  readonly created: boolean;
}

export interface DocumentUpload {
  upload(ctx: RequestContext, input: UploadInput): Promise<UploadResult>;
}

export interface DocumentUploadDeps {
  readonly db: Db;
  readonly audit: AuditService;
  readonly tenants: TenantsService;
  readonly companies: CompaniesService;
  readonly documents: Pick<DocumentsService, 'getDocument'>;
  readonly processing: DocumentProcessing;
  readonly keyProvider: KeyProvider;
  readonly blobStores: RegionalBlobStores;
  readonly clock: Clock;
  readonly maxBytes: number;
  readonly segmentSize: number;
  /** For what the caller cannot act on (a job the queue did not take). */
  readonly logger: Pick<Logger, 'warn'>;
}

type Outcome =
  | { readonly kind: 'created'; readonly row: repo.DocumentRow; readonly runId: string }
  | { readonly kind: 'existing'; readonly row: repo.DocumentRow; readonly replayOfCreation: boolean };

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
 * The answer to a repeated Idempotency-Key. Keys are the sending principal's own (another
 * principal's same key is a different key), and the original document is answered only while
 * the caller can still see it.
 *
 * A key whose document the caller can no longer see (it moved outside the caller's companies, or
 * was purged) is a 409, not a 404: the route exists, and what conflicts is the key, which is bound
 * to a result that can no longer be given; a new key resolves it. The answer names nothing of
 * the document, as the duplicate-content answer outside the caller's companies does.
 */
async function replayIdempotent(
  sql: SqlWriter,
  ctx: RequestContext,
  previous: NonNullable<repo.UploadFacts['idempotency']>,
  sha256: string,
): Promise<Outcome> {
  if (previous.requestHash !== sha256) {
    throw new ConflictError(
      'This Idempotency-Key was used for a different document.',
      'idempotency_key_reused',
    );
  }
  const original = await repo.readDocument(sql, ctx.tenantId, previous.resourceId, allowedCompanyIds(ctx));
  if (!original) {
    throw new ConflictError(
      'The document this Idempotency-Key created is no longer available to you; send a new key.',
      'idempotency_key_unavailable',
    );
  }
  return { kind: 'existing', row: original, replayOfCreation: previous.statusCode === 201 };
}

export function createDocumentUpload(deps: DocumentUploadDeps): DocumentUpload {
  const { db, audit, clock } = deps;
  const storageFor = createTenantStorage(deps);

  /** The document's record, inside the upload's transaction; `durable` settles with the blob. */
  async function record(
    sql: SqlWriter,
    ctx: RequestContext,
    input: UploadInput,
    metadata: UploadMetadata,
    documentId: string,
    received: ReceivedContent,
  ): Promise<Outcome> {
    const { stored, durable } = received;
    // The facts and the company check go out together, behind BEGIN (the connection pipelines,
    // see platform/db/prisma.ts): one round trip. The check's answer counts only for a new
    // document, as before: a replay or a duplicate answers what exists.
    const companyChecked = metadata.companyId
      ? deps.companies.assertUsableIn(sql, ctx, metadata.companyId)
      : Promise.resolve();
    companyChecked.catch(() => undefined); // awaited below, for a new document only
    const facts = await repo.readUploadFacts(
      sql,
      ctx.tenantId,
      ctx.actor,
      input.idempotencyKey ?? null,
      stored.sha256,
    );
    if (input.idempotencyKey && facts.idempotency)
      return replayIdempotent(sql, ctx, facts.idempotency, stored.sha256);
    if (facts.duplicateId) {
      const existing = await repo.readDocument(sql, ctx.tenantId, facts.duplicateId);
      if (existing)
        return { kind: 'existing', row: visibleDuplicate(ctx, existing), replayOfCreation: false };
    }
    await companyChecked;
    const now = clock();
    const type = metadata.type ?? 'invoice';
    const runId = randomUUID();
    // The KMS call ran while the bytes streamed and the statements above ran: a KMS failure
    // rolls everything back, and the caller deletes the blob.
    const wrappedKey = await received.wrappedKey;
    const inserting = repo.insertUploadedDocument(sql, {
      id: documentId,
      tenantId: ctx.tenantId,
      companyId: metadata.companyId ?? null,
      type,
      filename: sanitizeFilename(input.filename, stored.type.extension),
      contentType: stored.type.contentType,
      sizeBytes: stored.sizeBytes,
      sha256: stored.sha256,
      externalRef: metadata.externalRef ?? null,
      blobName: documentId,
      segmentSize: stored.segmentSize,
      retainUntil: retainUntil(rulesOf(facts.retention), type, null, now),
      createdByKind: ctx.actor.kind,
      createdById: ctx.actor.id,
      createdAt: now,
      // The worker assigns the document from its content later, on its own context: it must
      // know how far this uploader could reach (DocumentsService.applyExtractedFacts).
      uploadCompanyIds: allowedCompanyIds(ctx) ?? [],
      key: {
        wrappedDek: wrappedKey.wrapped,
        keyRef: wrappedKey.keyRef,
        algorithm: wrappedKey.algorithm,
      },
      idempotency: input.idempotencyKey
        ? { actorKind: ctx.actor.kind, actorId: ctx.actor.id, key: input.idempotencyKey, statusCode: 201 }
        : null,
      runId,
    });
    const auditing = audit.recordAll(sql, ctx, [
      {
        action: 'document.uploaded',
        target: { type: 'document', id: documentId },
        payload: {
          sha256: stored.sha256,
          sizeBytes: stored.sizeBytes,
          contentType: stored.type.contentType,
          type,
          companyId: metadata.companyId ?? null,
        },
      },
      queuedEvent(documentId, runId),
    ]);
    // The row and its audit events go out together too; a failed INSERT fails the event's
    // statement as well (the transaction is aborted), and the INSERT's error is the one thrown.
    const [row] = await Promise.all([inserting, auditing]);
    // The row commits only once its content is durable (the blob's last write ran while the
    // statements above did): a document never points at content that is not stored.
    await durable;
    return { kind: 'created', row, runId };
  }

  /** After the commit: the run's job goes on the queue; without Redis the document is `stored`. */
  async function handOver(ctx: RequestContext, row: repo.DocumentRow, runId: string): Promise<DocumentView> {
    const log = { documentId: row.id, requestId: ctx.requestId };
    const queued = await deps.processing.submit(ctx, row.id, runId).catch((error: unknown) => {
      deps.logger.warn({ ...log, err: error }, 'could not put the extraction back to stored');
      return false;
    });
    if (queued) return toDocumentView(row);
    deps.logger.warn(log, 'could not enqueue the extraction; the reconciler will');
    return deps.documents.getDocument(ctx, row.id).catch(() => toDocumentView(row));
  }

  return {
    async upload(ctx, input) {
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
        releaseSourceChunks: input.sourceChunksOwned,
      });
      // The blob's last write may still be under way: let it settle before deleting the blob.
      const discard = async () => {
        await received.durable.catch(() => undefined);
        await blobStore.delete(container, documentId).catch(() => undefined);
      };
      let outcome: Outcome;
      try {
        const metadata = await input.metadata();
        outcome = await db.write(ctx, (sql) => record(sql, ctx, input, metadata, documentId, received));
      } catch (error) {
        await discard();
        // A concurrent upload of the same content won the unique index: answer with its document.
        if (!isUniqueViolation(error)) throw error;
        const winner = await db.read(ctx, (sql) =>
          repo.readBySha256(sql, ctx.tenantId, received.stored.sha256),
        );
        if (!winner) throw error;
        return { document: toDocumentView(visibleDuplicate(ctx, winner)), created: false };
      }
      if (outcome.kind === 'existing') {
        await discard();
        return { document: toDocumentView(outcome.row), created: outcome.replayOfCreation };
      }
      return { document: await handOver(ctx, outcome.row, outcome.runId), created: true };
    },
  };
}
