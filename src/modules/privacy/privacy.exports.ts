/**
 * A firm's data export: one tar archive holding every document as its original bytes, every
 * extraction version and the words its latest engine run kept for learning, the companies, the
 * members (who and their role, never a secret), the retention policy, the supplier profiles its
 * corrections taught, and the audit log as JSON Lines with its signed checkpoints and the public
 * key that verifies them.
 *
 * A job builds it as one stream: entries are produced one after another (documents decrypted
 * straight out of storage), encrypted in segments under a fresh data key wrapped by the tenant's
 * KEK (the document encryption), and uploaded as they come, so memory stays flat whatever the
 * firm's size: the largest thing held is one page of rows or one 1,000-event audit file. The
 * owner then asks for a download link: a random token, valid for minutes and for one download.
 * Starting an export, each link and each download are audited; so is every document read.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Queue } from 'bullmq';
import type { Clock } from '../../core/clock.js';
import { ConflictError, ContentUnavailableError, NotFoundError } from '../../core/errors.js';
import type { RequestContext } from '../../core/request-context.js';
import { TAR_END, tarEntry, tarHeader, tarPadding } from '../../platform/archive/tar.js';
import { createEncryptStream } from '../../platform/crypto/segmented-aead.js';
import type { Signer } from '../../platform/crypto/signing-key.js';
import { generateToken, hashToken } from '../../platform/crypto/tokens.js';
import type { Db } from '../../platform/db/db.js';
import { workerContext } from '../../platform/jobs.js';
import type { KeyProvider } from '../../platform/kms/key-provider.js';
import type { Logger } from '../../platform/logger.js';
import { BlobNotFoundError } from '../../platform/storage/blob-store.js';
import type { RegionalBlobStores } from '../../platform/storage/regional-blob-stores.js';
import type { AuditChainer } from '../audit/audit.chainer.js';
import type { AuditService } from '../audit/audit.service.js';
import { openDecryptedContent } from '../documents/decrypted-content.js';
import type { DocumentsService } from '../documents/documents.service.js';
import type { RetentionPolicyService } from '../documents/documents.retention-policy.js';
import type { TenantsService } from '../tenants/tenants.service.js';
import * as repo from './exports.repo.js';
import { enqueueExport, type ExportJobData } from './privacy.jobs.js';

const PAGE = 100;
const AUDIT_FILE_EVENTS = 1_000;
/** Supplier profiles per JSON Lines file (a profile is at most 15 hints, a few kilobytes). */
const PROFILE_FILE_ROWS = 500;
const PROGRESS_EVERY = 25;
const LINK_PREFIX = 'dlx_';
const EXTENSIONS: Readonly<Record<string, string>> = {
  'application/pdf': '.pdf',
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/tiff': '.tiff',
  'application/xml': '.xml',
  'application/zip': '.isdocx',
};

export type ExportStatus = 'queued' | 'running' | 'ready' | 'failed';

export interface ExportView {
  readonly id: string;
  readonly status: ExportStatus;
  readonly progress: { readonly documentsDone: number; readonly documentsTotal: number };
  readonly sizeBytes: number | null;
  readonly sha256: string | null;
  readonly failureReason: string | null;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
  readonly downloadedAt: Date | null;
}

export interface ExportsService {
  requestExport(ctx: RequestContext): Promise<ExportView>;
  getExport(ctx: RequestContext, id: string): Promise<ExportView>;
  /** The job: builds and stores the archive. Safe to run twice (a finished export is left alone). */
  buildExport(data: ExportJobData): Promise<ExportView>;
  createDownloadLink(ctx: RequestContext, id: string): Promise<{ url: string; expiresAt: Date }>;
  /** Uses the link (once) and streams the archive's plaintext. */
  openDownload(
    ctx: RequestContext,
    id: string,
    token: string,
  ): Promise<{ stream: Readable; sizeBytes: number }>;
}

const viewOf = (row: repo.ExportRow): ExportView => ({
  id: row.id,
  // The column's CHECK constraint admits exactly these values.
  status: row.status as ExportStatus,
  progress: { documentsDone: row.documentsDone, documentsTotal: row.documentsTotal },
  sizeBytes: row.sizeBytes === null ? null : Number(row.sizeBytes),
  sha256: row.sha256,
  failureReason: row.failureReason,
  createdAt: row.createdAt,
  finishedAt: row.finishedAt,
  downloadedAt: row.downloadedAt,
});

const json = (value: unknown) => Buffer.from(`${JSON.stringify(value, bigintAsString, 2)}\n`);
function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

export function createExportsService(deps: {
  db: Db;
  audit: AuditService;
  auditChainer: AuditChainer;
  documents: DocumentsService;
  retentionPolicy: RetentionPolicyService;
  tenants: TenantsService;
  keyProvider: KeyProvider;
  blobStores: RegionalBlobStores;
  signer: Signer;
  clock: Clock;
  logger: Logger;
  queue: () => Queue;
  settings: { linkTtlMs: number; segmentSize: number };
}): ExportsService {
  const { db, clock } = deps;
  const workerCtx = (tenantId: string) => workerContext(tenantId, 'export');

  async function load(ctx: RequestContext, id: string): Promise<repo.ExportRow> {
    const row = await db.withTenant(ctx, (tx) => repo.findExport(tx, ctx.tenantId, id));
    if (!row) throw new NotFoundError('The export does not exist.');
    return row;
  }

  /** Every entry of the archive, in order, as it is produced. */
  async function* archive(ctx: RequestContext, exportId: string, total: number): AsyncGenerator<Buffer> {
    const now = clock();
    const tenantId = ctx.tenantId;
    yield* tarEntry(
      'manifest.json',
      json({
        format: 'doklad.tenant_export',
        version: 1,
        tenantId,
        exportId,
        createdAt: now,
        documents: total,
      }),
      now,
    );
    const { companies, members } = await db.withTenant(ctx, async (tx) => ({
      companies: await repo.listCompanies(tx, tenantId),
      members: await repo.listMembers(tx, tenantId),
    }));
    yield* tarEntry('companies.json', json(companies), now);
    yield* tarEntry('members.json', json(members), now);
    yield* tarEntry('retention-policy.json', json(await deps.retentionPolicy.getPolicy(ctx)), now);

    let after: string | null = null;
    let done = 0;
    for (;;) {
      const page = await db.withTenant(ctx, (tx) => deps.documents.listDocumentsPage(tx, ctx, after, PAGE));
      for (const doc of page) {
        const { versions, textLayer } = await db.withTenant(ctx, async (tx) => ({
          versions: await repo.listExtractionVersions(tx, tenantId, doc.id),
          textLayer: await repo.findTextLayer(tx, tenantId, doc.id),
        }));
        const base = `documents/${doc.id}`;
        yield* tarEntry(`${base}/document.json`, json(doc), doc.createdAt);
        yield* tarEntry(`${base}/extractions.json`, json(versions), doc.createdAt);
        // The document's content as positioned words (bounded by the engine to 20,000 words).
        if (textLayer) yield* tarEntry(`${base}/text-layer.json`, json(textLayer), doc.createdAt);
        // The documents service decides access and audits the read, like any download.
        const opened = await deps.documents.openContent(ctx, doc.id);
        yield tarHeader(
          `${base}/original${EXTENSIONS[doc.contentType] ?? '.bin'}`,
          opened.contentLength,
          doc.createdAt,
        );
        for await (const chunk of opened.stream as AsyncIterable<Buffer>) yield chunk;
        yield tarPadding(opened.contentLength);
        done += 1;
        if (done % PROGRESS_EVERY === 0) {
          await db.withTenant(ctx, (tx) =>
            repo.updateExport(tx, tenantId, exportId, { documentsDone: done }),
          );
        }
      }
      if (page.length < PAGE) break;
      after = page.at(-1)!.id;
    }
    await db.withTenant(ctx, (tx) => repo.updateExport(tx, tenantId, exportId, { documentsDone: done }));
    yield* supplierProfiles(ctx, now);

    // The audit log up to now, chained first so the file covers every event recorded so far.
    await deps.auditChainer.chainPending(tenantId);
    let afterSeq = 0n;
    for (let part = 1; ; part += 1) {
      const events = await db.withTenant(ctx, (tx) =>
        repo.listChainedEvents(tx, tenantId, afterSeq, AUDIT_FILE_EVENTS),
      );
      if (events.length === 0) break;
      const lines = events.map((e) => `${JSON.stringify({ ...e, seq: e.seq!.toString() })}\n`).join('');
      yield* tarEntry(`audit/events-${String(part).padStart(6, '0')}.jsonl`, Buffer.from(lines), now);
      afterSeq = events.at(-1)!.seq!;
      if (events.length < AUDIT_FILE_EVENTS) break;
    }
    const checkpoints = await db.withTenant(ctx, (tx) => repo.listCheckpoints(tx, tenantId));
    yield* tarEntry(
      'audit/checkpoints.json',
      json({ keyId: deps.signer.keyId, publicKeyPem: deps.signer.publicKeyPem, checkpoints }),
      now,
    );
    yield TAR_END;
  }

  /** The supplier profiles as JSON Lines files of `PROFILE_FILE_ROWS`, none when there are none. */
  async function* supplierProfiles(ctx: RequestContext, now: Date): AsyncGenerator<Buffer> {
    let after: string | null = null;
    for (let part = 1; ; part += 1) {
      const rows = await db.withTenant(ctx, (tx) =>
        repo.listSupplierProfilesPage(tx, ctx.tenantId, after, PROFILE_FILE_ROWS),
      );
      if (rows.length === 0) break;
      const lines = rows.map((row) => `${JSON.stringify(row)}\n`).join('');
      yield* tarEntry(
        `supplier-profiles/profiles-${String(part).padStart(6, '0')}.jsonl`,
        Buffer.from(lines),
        now,
      );
      if (rows.length < PROFILE_FILE_ROWS) break;
      after = rows.at(-1)!.id;
    }
  }

  /** Streams the archive through a hash and the segment encryption into the tenant's container. */
  async function store(ctx: RequestContext, exportId: string, total: number) {
    const { kekRef, region } = await deps.tenants.tenantKey(ctx);
    const blobStore = deps.blobStores.forRegion(region);
    const container = blobStore.containerFor(ctx.tenantId);
    await blobStore.ensureContainer(container);
    const blobName = `exports/${exportId}.tar`;
    const dek = randomBytes(32);
    const hash = createHash('sha256');
    let sizeBytes = 0;
    try {
      const wrappedKey = await deps.keyProvider.wrapKey(kekRef, dek);
      const encrypt = createEncryptStream(dek, { segmentSize: deps.settings.segmentSize });
      const measured = async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          hash.update(chunk);
          sizeBytes += chunk.length;
          yield chunk;
        }
      };
      await pipeline(Readable.from(archive(ctx, exportId, total)), measured, encrypt, () =>
        blobStore.upload(container, blobName, encrypt),
      );
      return { blobName, wrappedKey, sizeBytes, sha256: hash.digest('hex') };
    } catch (error) {
      await blobStore.delete(container, blobName).catch(() => undefined);
      throw error;
    } finally {
      dek.fill(0);
    }
  }

  return {
    async requestExport(ctx) {
      const id = randomUUID();
      const row = await db.withTenant(ctx, async (tx) => {
        const created = await repo.insertExport(tx, {
          id,
          tenantId: ctx.tenantId,
          requestedBy: ctx.actor.id,
        });
        await deps.audit.record(tx, ctx, { action: 'export.requested', target: { type: 'export', id } });
        return created;
      });
      // After commit: the job finds its row. A lost enqueue leaves the export `queued`, visible.
      await enqueueExport(deps.queue(), { tenantId: ctx.tenantId, exportId: id });
      return viewOf(row);
    },

    getExport: async (ctx, id) => viewOf(await load(ctx, id)),

    async buildExport({ tenantId, exportId }) {
      const ctx = workerCtx(tenantId);
      const row = await load(ctx, exportId);
      if (row.status === 'ready') return viewOf(row);
      const total = await db.withTenant(ctx, async (tx) => {
        const count = await deps.documents.countExportableDocuments(tx, ctx);
        await repo.updateExport(tx, tenantId, exportId, {
          status: 'running',
          documentsTotal: count,
          documentsDone: 0,
          failureReason: null,
        });
        return count;
      });
      try {
        const stored = await store(ctx, exportId, total);
        return await db.withTenant(ctx, async (tx) => {
          await repo.updateExport(tx, tenantId, exportId, {
            status: 'ready',
            blobName: stored.blobName,
            sizeBytes: BigInt(stored.sizeBytes),
            sha256: stored.sha256,
            wrappedDek: new Uint8Array(stored.wrappedKey.wrapped),
            keyRef: stored.wrappedKey.keyRef,
            algorithm: stored.wrappedKey.algorithm,
            segmentSize: deps.settings.segmentSize,
            finishedAt: clock(),
          });
          await deps.audit.record(tx, ctx, {
            action: 'export.completed',
            target: { type: 'export', id: exportId },
            payload: { documents: total, sizeBytes: stored.sizeBytes, sha256: stored.sha256 },
          });
          return viewOf((await repo.findExport(tx, tenantId, exportId))!);
        });
      } catch (error) {
        deps.logger.error({ err: error, tenantId, exportId }, 'export failed');
        await db.withTenant(ctx, async (tx) => {
          await repo.updateExport(tx, tenantId, exportId, {
            status: 'failed',
            failureReason: 'The archive could not be built; start a new export.',
            finishedAt: clock(),
          });
          await deps.audit.record(tx, ctx, {
            action: 'export.failed',
            target: { type: 'export', id: exportId },
          });
        });
        throw error;
      }
    },

    async createDownloadLink(ctx, id) {
      const token = generateToken(LINK_PREFIX);
      const expiresAt = new Date(clock().getTime() + deps.settings.linkTtlMs);
      await db.withTenant(ctx, async (tx) => {
        const row = await repo.findExport(tx, ctx.tenantId, id);
        if (!row) throw new NotFoundError('The export does not exist.');
        if (row.status !== 'ready')
          throw new ConflictError(`The export is ${row.status}, not ready.`, 'export_not_ready');
        if (row.downloadedAt)
          throw new ConflictError('The export was downloaded already; start a new one.', 'export_downloaded');
        await repo.updateExport(tx, ctx.tenantId, id, {
          downloadTokenHash: hashToken(token),
          downloadExpiresAt: expiresAt,
        });
        await deps.audit.record(tx, ctx, {
          action: 'export.link_created',
          target: { type: 'export', id },
          payload: { expiresAt: expiresAt.toISOString() },
        });
      });
      return { url: `/v1/tenant/exports/${id}/archive?token=${token}`, expiresAt };
    },

    async openDownload(ctx, id, token) {
      const row = await db.withTenant(ctx, async (tx) => {
        const found = await repo.findExport(tx, ctx.tenantId, id);
        if (!found) throw new NotFoundError('The export does not exist.');
        if (!(await repo.consumeDownloadToken(tx, ctx.tenantId, id, hashToken(token), clock()))) {
          throw new ConflictError(
            'The download link is invalid, expired or used already; ask for a new one.',
            'export_link_invalid',
          );
        }
        await deps.audit.record(tx, ctx, {
          action: 'export.downloaded',
          target: { type: 'export', id },
          payload: { sizeBytes: Number(found.sizeBytes), sha256: found.sha256 },
        });
        return found;
      });
      const { region } = await deps.tenants.tenantKey(ctx);
      const blobStore = deps.blobStores.forRegion(region);
      const dek = await deps.keyProvider.unwrapKey(row.keyRef!, Buffer.from(row.wrappedDek!));
      const opened = await openDecryptedContent({
        blobStore,
        container: blobStore.containerFor(ctx.tenantId),
        blobName: row.blobName!,
        dek,
        segmentSize: row.segmentSize!,
        sizeBytes: Number(row.sizeBytes),
      }).catch((error: unknown) =>
        Promise.reject(error instanceof BlobNotFoundError ? new ContentUnavailableError() : error),
      );
      return { stream: opened.stream, sizeBytes: opened.contentLength };
    },
  };
}
