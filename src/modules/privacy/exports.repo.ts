/**
 * Queries of tenant data exports: the export_jobs rows, and the read-only pages the archive is
 * built from (every one bounded, so a firm of any size is read in constant memory). The documents'
 * pages come from the documents module, which owns that table (DocumentsService.listDocumentsPage).
 */
import type { Tx } from '../../platform/db/db.js';

export interface ExportRow {
  readonly id: string;
  readonly tenantId: string;
  readonly requestedBy: string;
  readonly status: string;
  readonly documentsTotal: number;
  readonly documentsDone: number;
  readonly blobName: string | null;
  readonly sizeBytes: bigint | null;
  readonly sha256: string | null;
  readonly wrappedDek: Uint8Array | null;
  readonly keyRef: string | null;
  readonly segmentSize: number | null;
  readonly failureReason: string | null;
  readonly downloadExpiresAt: Date | null;
  readonly downloadedAt: Date | null;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
}

const COLUMNS = {
  id: true,
  tenantId: true,
  requestedBy: true,
  status: true,
  documentsTotal: true,
  documentsDone: true,
  blobName: true,
  sizeBytes: true,
  sha256: true,
  wrappedDek: true,
  keyRef: true,
  segmentSize: true,
  failureReason: true,
  downloadExpiresAt: true,
  downloadedAt: true,
  createdAt: true,
  finishedAt: true,
} as const;

export async function insertExport(tx: Tx, row: { id: string; tenantId: string; requestedBy: string }) {
  return tx.exportJob.create({ data: row, select: COLUMNS });
}

export async function findExport(tx: Tx, tenantId: string, id: string): Promise<ExportRow | null> {
  return tx.exportJob.findFirst({ where: { tenantId, id }, select: COLUMNS });
}

export async function updateExport(
  tx: Tx,
  tenantId: string,
  id: string,
  data: Partial<{
    status: string;
    documentsTotal: number;
    documentsDone: number;
    blobName: string;
    sizeBytes: bigint;
    sha256: string;
    wrappedDek: Uint8Array<ArrayBuffer>;
    keyRef: string;
    algorithm: string;
    segmentSize: number;
    failureReason: string | null;
    downloadTokenHash: string;
    downloadExpiresAt: Date;
    finishedAt: Date;
  }>,
): Promise<void> {
  await tx.exportJob.updateMany({ where: { tenantId, id }, data });
}

/**
 * Uses the download link: true exactly once, for the right token before it expires. One
 * conditional update, so two requests racing with the same link cannot both win.
 */
export async function consumeDownloadToken(
  tx: Tx,
  tenantId: string,
  id: string,
  tokenHash: string,
  now: Date,
): Promise<boolean> {
  const { count } = await tx.exportJob.updateMany({
    where: {
      tenantId,
      id,
      status: 'ready',
      downloadTokenHash: tokenHash,
      downloadedAt: null,
      downloadExpiresAt: { gt: now },
    },
    data: { downloadedAt: now },
  });
  return count === 1;
}

export async function listExtractionVersions(tx: Tx, tenantId: string, documentId: string) {
  return tx.extraction.findMany({
    where: { tenantId, documentId },
    select: {
      id: true,
      version: true,
      origin: true,
      result: true,
      needsReview: true,
      createdByKind: true,
      createdById: true,
      createdAt: true,
    },
    orderBy: { version: 'asc' },
  });
}

/** The words the document's latest engine run kept for learning (none for XML), or null. */
export async function findTextLayer(tx: Tx, tenantId: string, documentId: string) {
  return tx.documentTextLayer.findFirst({
    where: { tenantId, documentId },
    select: { runId: true, createdAt: true, layer: true },
  });
}

/**
 * The firm's supplier profiles (what its corrections taught), in id order, one page after
 * `afterId`: master data, hints and constants as stored, without the derived lookup keys.
 */
export async function listSupplierProfilesPage(
  tx: Tx,
  tenantId: string,
  afterId: string | null,
  limit: number,
) {
  return tx.supplierProfile.findMany({
    where: { tenantId, ...(afterId ? { id: { gt: afterId } } : {}) },
    select: {
      id: true,
      name: true,
      vatId: true,
      companyId: true,
      iban: true,
      hints: true,
      constants: true,
      corrections: true,
      createdAt: true,
      updatedAt: true,
    },
    orderBy: { id: 'asc' },
    take: limit,
  });
}

export async function listCompanies(tx: Tx, tenantId: string) {
  return tx.company.findMany({
    where: { tenantId },
    select: { id: true, name: true, vatId: true, registrationId: true, country: true, createdAt: true },
    orderBy: { id: 'asc' },
  });
}

/** Members with who they are and their role: never a password hash, factor or session. */
export async function listMembers(tx: Tx, tenantId: string) {
  const rows = await tx.membership.findMany({
    where: { tenantId },
    select: { role: true, createdAt: true, user: { select: { id: true, name: true, email: true } } },
    orderBy: { createdAt: 'asc' },
  });
  return rows.map((r) => ({
    userId: r.user.id,
    name: r.user.name,
    email: r.user.email,
    role: r.role,
    memberSince: r.createdAt,
  }));
}

/** Chained audit events after `afterSeq`, in chain order, with every field the hash covers. */
export async function listChainedEvents(tx: Tx, tenantId: string, afterSeq: bigint, limit: number) {
  return tx.auditEvent.findMany({
    where: { tenantId, seq: { gt: afterSeq } },
    select: {
      id: true,
      tenantId: true,
      seq: true,
      occurredAt: true,
      actorKind: true,
      actorId: true,
      action: true,
      targetType: true,
      targetId: true,
      requestId: true,
      ip: true,
      userAgent: true,
      payload: true,
      prevHash: true,
      hash: true,
    },
    orderBy: { seq: 'asc' },
    take: limit,
  });
}

export async function listCheckpoints(tx: Tx, tenantId: string) {
  return tx.auditCheckpoint.findMany({
    where: { tenantId },
    select: { seq: true, headHash: true, keyId: true, signature: true, signedAt: true },
    orderBy: { seq: 'asc' },
  });
}
