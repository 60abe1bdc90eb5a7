/**
 * Queries of documents, their wrapped keys and idempotency keys, inside a tenant transaction.
 * This repo owns the `documents` table's status: `moveStatus` is its only writer.
 */
import type { Prisma } from '../../platform/db/prisma.js';
import type { SqlReader, SqlWriter, Tx } from '../../platform/db/db.js';
import { sqlConditions } from '../../platform/db/sql-conditions.js';
import { keysetSql, type CursorPosition } from '../cursor.js';
import { assertTransition, FIRST_STORED_STATUS, type DocumentStatus } from './documents.status.js';

export interface DocumentRow {
  readonly id: string;
  readonly tenantId: string;
  readonly companyId: string | null;
  readonly status: DocumentStatus;
  readonly type: string;
  readonly filename: string;
  readonly contentType: string;
  readonly sizeBytes: bigint;
  readonly sha256: string;
  readonly externalRef: string | null;
  readonly blobName: string;
  readonly segmentSize: number;
  readonly issueDate: Date | null;
  readonly retainUntil: Date;
  readonly legalHold: boolean;
  readonly legalHoldReason: string | null;
  readonly failureReason: string | null;
  readonly trashedAt: Date | null;
  readonly trashReason: string | null;
  readonly purgeAfter: Date | null;
  readonly purgedAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Set by the extraction pipeline: the earlier document this one duplicates. */
  readonly duplicateOf: string | null;
}

export interface DocumentFilter {
  readonly status?: DocumentStatus | undefined;
  readonly type?: string | undefined;
  readonly companyId?: string | undefined;
  readonly createdAfter?: Date | undefined;
  readonly createdBefore?: Date | undefined;
  readonly trashed: boolean;
  /** Company restriction of the caller (integration tokens); undefined = none. */
  readonly allowedCompanyIds?: readonly string[] | undefined;
}

type PrismaDocument = Prisma.DocumentGetPayload<object>;

/** A Prisma row as a DocumentRow: the table's CHECK constraint holds status to DOCUMENT_STATUSES. */
function asRow(row: PrismaDocument): DocumentRow;
function asRow(row: PrismaDocument | null): DocumentRow | null;
function asRow(row: PrismaDocument | null): DocumentRow | null {
  return row as DocumentRow | null;
}

function companyScope(allowed: readonly string[] | undefined): Prisma.DocumentWhereInput {
  return allowed ? { companyId: { in: [...allowed] } } : {};
}

// --- hot reads in plain SQL (db.read): the list and the detail of the API ----------------------

/** Columns as `DocumentRow` names them; dates as text so no time zone can shift them. */
const DOCUMENT_COLUMNS = `id, tenant_id, company_id, status, type, filename, content_type,
  size_bytes::text, sha256, external_ref, blob_name, segment_size, issue_date::text,
  retain_until::text, legal_hold, legal_hold_reason, failure_reason, trashed_at, trash_reason,
  purge_after, purged_at, created_at, updated_at, duplicate_of::text`;

interface DocumentSqlRow {
  id: string;
  tenant_id: string;
  company_id: string | null;
  status: DocumentStatus;
  type: string;
  filename: string;
  content_type: string;
  size_bytes: string;
  sha256: string;
  external_ref: string | null;
  blob_name: string;
  segment_size: number;
  issue_date: string | null;
  retain_until: string;
  legal_hold: boolean;
  legal_hold_reason: string | null;
  failure_reason: string | null;
  trashed_at: Date | null;
  trash_reason: string | null;
  purge_after: Date | null;
  purged_at: Date | null;
  created_at: Date;
  updated_at: Date;
  duplicate_of: string | null;
}

const utcDay = (day: string) => new Date(`${day}T00:00:00.000Z`);

function fromSql(r: DocumentSqlRow): DocumentRow {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    companyId: r.company_id,
    status: r.status,
    type: r.type,
    filename: r.filename,
    contentType: r.content_type,
    sizeBytes: BigInt(r.size_bytes),
    sha256: r.sha256,
    externalRef: r.external_ref,
    blobName: r.blob_name,
    segmentSize: r.segment_size,
    issueDate: r.issue_date ? utcDay(r.issue_date) : null,
    retainUntil: utcDay(r.retain_until),
    legalHold: r.legal_hold,
    legalHoldReason: r.legal_hold_reason,
    failureReason: r.failure_reason,
    trashedAt: r.trashed_at,
    trashReason: r.trash_reason,
    purgeAfter: r.purge_after,
    purgedAt: r.purged_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    duplicateOf: r.duplicate_of,
  };
}

/** The tenant's documents that still exist (not purged). */
function visibleDocuments(tenantId: string) {
  const q = sqlConditions();
  q.add((p) => `tenant_id = ${p}`, tenantId);
  q.where.push('purged_at IS NULL');
  return q;
}

/** A visible, unpurged document of the tenant (within the caller's companies), or null. */
export async function readDocument(
  sql: SqlReader,
  tenantId: string,
  id: string,
  allowedCompanyIds?: readonly string[],
): Promise<DocumentRow | null> {
  const q = visibleDocuments(tenantId);
  q.add((p) => `id = ${p}`, id);
  if (allowedCompanyIds) q.add((p) => `company_id = ANY(${p}::uuid[])`, [...allowedCompanyIds]);
  const rows = await sql.query<DocumentSqlRow>(
    `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE ${q.clause()}`,
    q.params,
  );
  return rows[0] ? fromSql(rows[0]) : null;
}

/**
 * A page of documents, newest first. A company filter and the caller's company restriction both
 * apply (their intersection): a token limited to companies A and B asking for B sees only B.
 */
export async function readDocumentPage(
  sql: SqlReader,
  tenantId: string,
  filter: DocumentFilter,
  limit: number,
  after?: CursorPosition,
): Promise<DocumentRow[]> {
  const q = visibleDocuments(tenantId);
  q.where.push(filter.trashed ? 'trashed_at IS NOT NULL' : 'trashed_at IS NULL');
  if (filter.status) q.add((p) => `status = ${p}`, filter.status);
  if (filter.type) q.add((p) => `type = ${p}`, filter.type);
  if (filter.companyId) q.add((p) => `company_id = ${p}::uuid`, filter.companyId);
  if (filter.allowedCompanyIds) q.add((p) => `company_id = ANY(${p}::uuid[])`, [...filter.allowedCompanyIds]);
  if (filter.createdAfter) q.add((p) => `created_at >= ${p}`, filter.createdAfter);
  if (filter.createdBefore) q.add((p) => `created_at < ${p}`, filter.createdBefore);
  const orderBy = keysetSql(q, { at: 'created_at', id: 'id' }, 'desc', after);
  const rows = await sql.query<DocumentSqlRow>(
    `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE ${q.clause()}
      ORDER BY ${orderBy} LIMIT ${q.param(limit)}`,
    q.params,
  );
  return rows.map(fromSql);
}

// --- reads and writes inside Prisma transactions ------------------------------------------------

export async function findDocument(
  tx: Tx,
  tenantId: string,
  id: string,
  allowedCompanyIds?: readonly string[],
): Promise<DocumentRow | null> {
  return asRow(
    await tx.document.findFirst({
      where: { tenantId, id, purgedAt: null, ...companyScope(allowedCompanyIds) },
    }),
  );
}

/** The blob of the tenant's most recently uploaded document that still has one (null: none). */
export async function findNewestBlobName(tx: Tx, tenantId: string): Promise<string | null> {
  const row = await tx.document.findFirst({
    where: { tenantId, purgedAt: null },
    orderBy: { createdAt: 'desc' },
    select: { blobName: true },
  });
  return row?.blobName ?? null;
}

/** The companies the document's uploader was limited to; empty when it had no restriction. */
export async function findUploadCompanyIds(tx: Tx, tenantId: string, id: string): Promise<string[]> {
  const row = await tx.document.findFirst({ where: { tenantId, id }, select: { uploadCompanyIds: true } });
  return row?.uploadCompanyIds ?? [];
}

/**
 * Which of these blob names belong to a document row of the tenant, whatever its state (trashed
 * and purged rows included): the orphan sweep never deletes a blob that has a row.
 */
export async function findBlobNamesWithRow(
  tx: Tx,
  tenantId: string,
  blobNames: readonly string[],
): Promise<Set<string>> {
  const rows = await tx.document.findMany({
    where: { tenantId, blobName: { in: [...blobNames] } },
    select: { blobName: true },
  });
  return new Set(rows.map((r) => r.blobName));
}

export async function findDocumentKey(tx: Tx, tenantId: string, documentId: string) {
  return tx.documentKey.findFirst({ where: { tenantId, documentId } });
}

export async function updateDocument(
  tx: Tx,
  tenantId: string,
  id: string,
  data: Omit<Prisma.DocumentUpdateManyMutationInput, 'status'> & { companyId?: string | null },
): Promise<DocumentRow> {
  await tx.document.updateMany({ where: { tenantId, id }, data });
  return asRow(await tx.document.findFirstOrThrow({ where: { tenantId, id } }));
}

/** Crypto-shredding: the wrapped data key is erased, so no copy of the ciphertext can be read again. */
export async function destroyDocumentKey(
  tx: Tx,
  tenantId: string,
  documentId: string,
  now: Date,
): Promise<void> {
  await tx.documentKey.updateMany({
    where: { tenantId, documentId, destroyedAt: null },
    data: { wrappedDek: null, destroyedAt: now },
  });
}

export async function listDueForPurge(
  tx: Tx,
  tenantId: string,
  now: Date,
  limit: number,
): Promise<DocumentRow[]> {
  const rows = await tx.document.findMany({
    where: { tenantId, purgedAt: null, purgeAfter: { lte: now }, legalHold: false },
    take: limit,
  });
  return rows.map((row) => asRow(row));
}

export async function listRetentionExpired(
  tx: Tx,
  tenantId: string,
  lastKeptDay: Date,
  limit: number,
): Promise<DocumentRow[]> {
  const rows = await tx.document.findMany({
    where: { tenantId, purgedAt: null, trashedAt: null, legalHold: false, retainUntil: { lt: lastKeptDay } },
    take: limit,
  });
  return rows.map((row) => asRow(row));
}

export async function listDocumentsForRetention(tx: Tx, tenantId: string) {
  return tx.document.findMany({
    where: { tenantId, purgedAt: null },
    select: { id: true, type: true, issueDate: true, createdAt: true, retainUntil: true },
  });
}

export async function setRetainUntil(tx: Tx, tenantId: string, id: string, retainUntil: Date): Promise<void> {
  await tx.document.updateMany({ where: { tenantId, id }, data: { retainUntil } });
}

export async function findRetentionPolicy(tx: Tx, tenantId: string) {
  return tx.retentionPolicy.findUnique({ where: { tenantId } });
}

export async function upsertRetentionPolicy(
  tx: Tx,
  tenantId: string,
  rules: { defaultYears: number; typeYears: Record<string, number> },
): Promise<void> {
  await tx.retentionPolicy.upsert({
    where: { tenantId },
    create: { tenantId, defaultYears: rules.defaultYears, typeYears: rules.typeYears },
    update: { defaultYears: rules.defaultYears, typeYears: rules.typeYears },
  });
}

// --- the firm's data export and a person's data (privacy) -------------------------------------

/** Documents whose content still exists (the tenant export's total). */
export async function countExportableDocuments(tx: Tx, tenantId: string): Promise<number> {
  return tx.document.count({ where: { tenantId, purgedAt: null } });
}

/** Documents whose content still exists, in id order, one page after `afterId`. */
export async function listDocumentsPage(tx: Tx, tenantId: string, afterId: string | null, limit: number) {
  return tx.document.findMany({
    where: { tenantId, purgedAt: null, ...(afterId ? { id: { gt: afterId } } : {}) },
    select: {
      id: true,
      companyId: true,
      status: true,
      type: true,
      filename: true,
      contentType: true,
      sizeBytes: true,
      sha256: true,
      externalRef: true,
      issueDate: true,
      retainUntil: true,
      legalHold: true,
      trashedAt: true,
      createdByKind: true,
      createdById: true,
      createdAt: true,
    },
    orderBy: { id: 'asc' },
    take: limit,
  });
}

/** Documents a person uploaded to the tenant (their personal-data export). */
export async function countUploadedBy(tx: Tx, tenantId: string, userId: string): Promise<number> {
  return tx.document.count({
    where: { tenantId, createdByKind: 'user', createdById: userId },
  });
}

// --- the status: the only writer of documents.status ---------------------------------------------

/** Columns that change together with the status (the run, its times, the outcome's facts). */
export type StatusColumns = Pick<
  Prisma.DocumentUncheckedUpdateManyInput,
  | 'processingRunId'
  | 'queuedAt'
  | 'failureReason'
  | 'validatedAt'
  | 'exportedAt'
  | 'duplicateOf'
  | 'duplicateOverrideReason'
>;

export interface StatusMove {
  readonly tenantId: string;
  readonly id: string;
  /** Only while this is the document's processing run (a newer run's document is left alone). */
  readonly runId?: string | undefined;
  readonly set?: StatusColumns | undefined;
}

/**
 * Moves an unpurged document from one of `from` to `to` with the columns of `set`, in one
 * conditional UPDATE: false when the document is in none of `from` (another writer moved it
 * first, or a newer run owns it), and then nothing changed. A move the lifecycle table does not
 * allow (documents.status.ts) throws before any SQL runs.
 */
export async function moveStatus(
  tx: Tx,
  move: StatusMove,
  from: DocumentStatus | readonly DocumentStatus[],
  to: DocumentStatus,
): Promise<boolean> {
  const fromSet = typeof from === 'string' ? [from] : [...from];
  assertTransition(fromSet, to);
  const { count } = await tx.document.updateMany({
    where: {
      tenantId: move.tenantId,
      id: move.id,
      purgedAt: null,
      status: { in: fromSet },
      ...(move.runId ? { processingRunId: move.runId } : {}),
    },
    data: { ...move.set, status: to },
  });
  return count > 0;
}

// --- the upload's record, in plain SQL (db.write): the hot write path ----------------------------

/** What the upload must know before it records a document, read in one statement. */
export interface UploadFacts {
  /** The sender's earlier use of its Idempotency-Key, if any. */
  readonly idempotency: { requestHash: string; resourceId: string; statusCode: number } | null;
  /** An unpurged document of the tenant with the same content. */
  readonly duplicateId: string | null;
  /** The tenant's retention policy row; null = the default policy. */
  readonly retention: { defaultYears: number; typeYears: Record<string, number> } | null;
}

export async function readUploadFacts(
  sql: SqlReader,
  tenantId: string,
  actor: { kind: string; id: string },
  idempotencyKey: string | null,
  sha256: string,
): Promise<UploadFacts> {
  const rows = await sql.query<{
    request_hash: string | null;
    resource_id: string | null;
    status_code: number | null;
    duplicate_id: string | null;
    default_years: number | null;
    type_years: Record<string, number> | null;
  }>(
    `SELECT i.request_hash, i.resource_id::text, i.status_code,
            (SELECT d.id::text FROM documents d
              WHERE d.tenant_id = $1 AND d.sha256 = $5 AND d.purged_at IS NULL) AS duplicate_id,
            p.default_years, p.type_years
       FROM (SELECT 1) AS one
       LEFT JOIN idempotency_keys i
              ON i.tenant_id = $1 AND i.actor_kind = $2 AND i.actor_id = $3 AND i.key = $4::text
       LEFT JOIN retention_policies p ON p.tenant_id = $1`,
    [tenantId, actor.kind, actor.id, idempotencyKey, sha256],
  );
  const r = rows[0]!;
  return {
    idempotency:
      r.request_hash !== null
        ? { requestHash: r.request_hash, resourceId: r.resource_id!, statusCode: r.status_code! }
        : null,
    duplicateId: r.duplicate_id,
    retention:
      r.default_years !== null ? { defaultYears: r.default_years, typeYears: r.type_years ?? {} } : null,
  };
}

export interface NewDocument {
  readonly id: string;
  readonly tenantId: string;
  readonly companyId: string | null;
  readonly type: string;
  readonly filename: string;
  readonly contentType: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly externalRef: string | null;
  readonly blobName: string;
  readonly segmentSize: number;
  readonly retainUntil: Date;
  readonly createdByKind: string;
  readonly createdById: string;
  readonly createdAt: Date;
  /** The uploader's company restriction; empty when it had none. */
  readonly uploadCompanyIds: readonly string[];
  readonly key: { readonly wrappedDek: Buffer; readonly keyRef: string; readonly algorithm: string };
  /** The Idempotency-Key the sender gave, stored with the answer's status. */
  readonly idempotency: { actorKind: string; actorId: string; key: string; statusCode: number } | null;
  /** The document's first processing run: it is recorded `stored` and queued with it at once. */
  readonly runId: string;
}

/**
 * Records an uploaded document in one statement: its row (stored, and queued with its first run),
 * its wrapped data key and the sender's Idempotency-Key. Returns the row as it now stands.
 */
export async function insertUploadedDocument(sql: SqlWriter, doc: NewDocument): Promise<DocumentRow> {
  // The row is born stored and handed to processing in the same statement: both moves of the table.
  assertTransition([FIRST_STORED_STATUS], 'queued');
  const rows = await sql.query<DocumentSqlRow>(
    `WITH document AS (
       INSERT INTO documents (id, tenant_id, company_id, status, type, filename, content_type,
                              size_bytes, sha256, external_ref, blob_name, segment_size, retain_until,
                              created_by_kind, created_by_id, created_at, upload_company_ids,
                              processing_run_id, queued_at)
       VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $8, $9, $10, $11, $12::date, $13, $14, $15,
               $16::uuid[], $17, $15)
       RETURNING ${DOCUMENT_COLUMNS}
     ), document_key AS (
       INSERT INTO document_keys (document_id, tenant_id, wrapped_dek, key_ref, algorithm)
       SELECT id::uuid, tenant_id, $18::bytea, $19::text, $20::text FROM document
     ), idempotency AS (
       INSERT INTO idempotency_keys (tenant_id, actor_kind, actor_id, key, request_hash, resource_id,
                                     status_code)
       SELECT tenant_id, $21::text, $22::text, $23::text, sha256, id::uuid, $24::int
         FROM document WHERE $23::text IS NOT NULL
     )
     SELECT * FROM document`,
    [
      doc.id,
      doc.tenantId,
      doc.companyId,
      doc.type,
      doc.filename,
      doc.contentType,
      doc.sizeBytes,
      doc.sha256,
      doc.externalRef,
      doc.blobName,
      doc.segmentSize,
      doc.retainUntil.toISOString().slice(0, 10),
      doc.createdByKind,
      doc.createdById,
      doc.createdAt,
      [...doc.uploadCompanyIds],
      doc.runId,
      doc.key.wrappedDek,
      doc.key.keyRef,
      doc.key.algorithm,
      doc.idempotency?.actorKind ?? null,
      doc.idempotency?.actorId ?? null,
      doc.idempotency?.key ?? null,
      doc.idempotency?.statusCode ?? null,
    ],
  );
  return fromSql(rows[0]!);
}

/** An unpurged document of the tenant with this content (the winner of a concurrent upload). */
export async function readBySha256(
  sql: SqlReader,
  tenantId: string,
  sha256: string,
): Promise<DocumentRow | null> {
  const rows = await sql.query<DocumentSqlRow>(
    `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE tenant_id = $1 AND sha256 = $2 AND purged_at IS NULL`,
    [tenantId, sha256],
  );
  return rows[0] ? fromSql(rows[0]) : null;
}
