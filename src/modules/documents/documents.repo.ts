/** Queries of documents, their wrapped keys and idempotency keys, inside a tenant transaction. */
import type { Prisma } from '../../platform/db/prisma.js';
import type { SqlReader, Tx } from '../../platform/db/db.js';
import { sqlConditions } from '../../platform/db/sql-conditions.js';

export interface DocumentRow {
  readonly id: string;
  readonly tenantId: string;
  readonly companyId: string | null;
  readonly status: string;
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
  readonly status?: string | undefined;
  readonly type?: string | undefined;
  readonly companyId?: string | undefined;
  readonly createdAfter?: Date | undefined;
  readonly createdBefore?: Date | undefined;
  readonly trashed: boolean;
  /** Company restriction of the caller (integration tokens); undefined = none. */
  readonly allowedCompanyIds?: readonly string[] | undefined;
}

/** Keyset position: documents are listed newest first, ties broken by id. */
export interface DocumentCursor {
  readonly createdAt: Date;
  readonly id: string;
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
  status: string;
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
  after?: DocumentCursor,
): Promise<DocumentRow[]> {
  const q = visibleDocuments(tenantId);
  q.where.push(filter.trashed ? 'trashed_at IS NOT NULL' : 'trashed_at IS NULL');
  if (filter.status) q.add((p) => `status = ${p}`, filter.status);
  if (filter.type) q.add((p) => `type = ${p}`, filter.type);
  if (filter.companyId) q.add((p) => `company_id = ${p}::uuid`, filter.companyId);
  if (filter.allowedCompanyIds) q.add((p) => `company_id = ANY(${p}::uuid[])`, [...filter.allowedCompanyIds]);
  if (filter.createdAfter) q.add((p) => `created_at >= ${p}`, filter.createdAfter);
  if (filter.createdBefore) q.add((p) => `created_at < ${p}`, filter.createdBefore);
  if (after) q.where.push(`(created_at, id) < (${q.param(after.createdAt)}, ${q.param(after.id)}::uuid)`);
  const rows = await sql.query<DocumentSqlRow>(
    `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE ${q.clause()}
      ORDER BY created_at DESC, id DESC LIMIT ${q.param(limit)}`,
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
  return tx.document.findFirst({
    where: { tenantId, id, purgedAt: null, ...companyScope(allowedCompanyIds) },
  });
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

export async function findBySha256(tx: Tx, tenantId: string, sha256: string): Promise<DocumentRow | null> {
  return tx.document.findFirst({ where: { tenantId, sha256, purgedAt: null } });
}

export async function insertDocument(
  tx: Tx,
  document: Omit<
    DocumentRow,
    | 'failureReason'
    | 'legalHold'
    | 'legalHoldReason'
    | 'trashedAt'
    | 'trashReason'
    | 'purgeAfter'
    | 'purgedAt'
    | 'createdAt'
    | 'duplicateOf'
    | 'updatedAt'
    | 'issueDate'
  > & {
    createdByKind: string;
    createdById: string;
    createdAt: Date;
    /** The uploader's company restriction; empty when it had none. */
    uploadCompanyIds: string[];
  },
): Promise<DocumentRow> {
  return tx.document.create({ data: document });
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

export async function insertDocumentKey(
  tx: Tx,
  key: { documentId: string; tenantId: string; wrappedDek: Buffer; keyRef: string; algorithm: string },
): Promise<void> {
  await tx.documentKey.create({ data: { ...key, wrappedDek: new Uint8Array(key.wrappedDek) } });
}

export async function findDocumentKey(tx: Tx, tenantId: string, documentId: string) {
  return tx.documentKey.findFirst({ where: { tenantId, documentId } });
}

export async function updateDocument(
  tx: Tx,
  tenantId: string,
  id: string,
  data: Prisma.DocumentUpdateManyMutationInput & { companyId?: string | null },
): Promise<DocumentRow> {
  await tx.document.updateMany({ where: { tenantId, id }, data });
  return tx.document.findFirstOrThrow({ where: { tenantId, id } });
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
  return tx.document.findMany({
    where: { tenantId, purgedAt: null, purgeAfter: { lte: now }, legalHold: false },
    take: limit,
  });
}

export async function listRetentionExpired(
  tx: Tx,
  tenantId: string,
  lastKeptDay: Date,
  limit: number,
): Promise<DocumentRow[]> {
  return tx.document.findMany({
    where: { tenantId, purgedAt: null, trashedAt: null, legalHold: false, retainUntil: { lt: lastKeptDay } },
    take: limit,
  });
}

/** An Idempotency-Key as the principal (actor kind and id) that sent it stored it. */
export async function findIdempotencyKey(
  tx: Tx,
  tenantId: string,
  actor: { kind: string; id: string },
  key: string,
) {
  return tx.idempotencyKey.findUnique({
    where: {
      tenantId_actorKind_actorId_key: { tenantId, actorKind: actor.kind, actorId: actor.id, key },
    },
  });
}

export async function insertIdempotencyKey(
  tx: Tx,
  entry: {
    tenantId: string;
    actorKind: string;
    actorId: string;
    key: string;
    requestHash: string;
    resourceId: string;
    statusCode: number;
  },
): Promise<void> {
  await tx.idempotencyKey.create({ data: entry });
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
