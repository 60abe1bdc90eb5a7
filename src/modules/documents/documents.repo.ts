/** Queries of documents, their wrapped keys and idempotency keys, inside a tenant transaction. */
import type { Prisma } from '../../platform/db/prisma.js';
import type { Tx } from '../../platform/db/db.js';

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

export async function findBySha256(tx: Tx, tenantId: string, sha256: string): Promise<DocumentRow | null> {
  return tx.document.findFirst({ where: { tenantId, sha256, purgedAt: null } });
}

export async function listDocuments(
  tx: Tx,
  tenantId: string,
  filter: DocumentFilter,
  limit: number,
  after?: DocumentCursor,
): Promise<DocumentRow[]> {
  const createdAt = {
    ...(filter.createdAfter ? { gte: filter.createdAfter } : {}),
    ...(filter.createdBefore ? { lt: filter.createdBefore } : {}),
  };
  return tx.document.findMany({
    where: {
      tenantId,
      purgedAt: null,
      trashedAt: filter.trashed ? { not: null } : null,
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.type ? { type: filter.type } : {}),
      ...(filter.companyId ? { companyId: filter.companyId } : {}),
      ...(Object.keys(createdAt).length ? { createdAt } : {}),
      ...companyScope(filter.allowedCompanyIds),
      ...(after
        ? {
            OR: [
              { createdAt: { lt: after.createdAt } },
              { createdAt: after.createdAt, id: { lt: after.id } },
            ],
          }
        : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
  });
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
    | 'updatedAt'
    | 'issueDate'
  > & {
    createdByKind: string;
    createdById: string;
    createdAt: Date;
  },
): Promise<DocumentRow> {
  return tx.document.create({ data: document });
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

export async function findIdempotencyKey(tx: Tx, tenantId: string, key: string) {
  return tx.idempotencyKey.findUnique({ where: { tenantId_key: { tenantId, key } } });
}

export async function insertIdempotencyKey(
  tx: Tx,
  entry: { tenantId: string; key: string; requestHash: string; resourceId: string; statusCode: number },
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
