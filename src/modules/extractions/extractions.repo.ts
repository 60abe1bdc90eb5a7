/** Queries of extraction versions and of the documents' processing state. */
import type { Prisma } from '../../platform/db/prisma.js';
import type { Tx } from '../../platform/db/db.js';

export interface ExtractionRow {
  readonly id: string;
  readonly documentId: string;
  readonly version: number;
  readonly origin: string;
  readonly runId: string | null;
  readonly result: Prisma.JsonValue;
  readonly needsReview: boolean;
  readonly createdByKind: string;
  readonly createdById: string;
  readonly createdAt: Date;
}

/** Serializes version numbering and status changes of one document. */
export async function lockDocument(tx: Tx, tenantId: string, documentId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM documents WHERE tenant_id = ${tenantId}::uuid AND id = ${documentId}::uuid FOR UPDATE`;
}

export async function latestExtraction(
  tx: Tx,
  tenantId: string,
  documentId: string,
): Promise<ExtractionRow | null> {
  return tx.extraction.findFirst({ where: { tenantId, documentId }, orderBy: { version: 'desc' } });
}

export async function extractionVersion(
  tx: Tx,
  tenantId: string,
  documentId: string,
  version: number,
): Promise<ExtractionRow | null> {
  return tx.extraction.findFirst({ where: { tenantId, documentId, version } });
}

export async function findByRun(
  tx: Tx,
  tenantId: string,
  documentId: string,
  runId: string,
): Promise<ExtractionRow | null> {
  return tx.extraction.findFirst({ where: { tenantId, documentId, runId } });
}

export async function insertExtraction(
  tx: Tx,
  row: Omit<ExtractionRow, 'id' | 'createdAt' | 'result'> & {
    tenantId: string;
    result: Prisma.InputJsonValue;
  },
): Promise<ExtractionRow> {
  return tx.extraction.create({ data: row });
}

export async function setDocumentState(
  tx: Tx,
  tenantId: string,
  documentId: string,
  data: Prisma.DocumentUncheckedUpdateManyInput,
): Promise<number> {
  const { count } = await tx.document.updateMany({ where: { tenantId, id: documentId }, data });
  return count;
}

export async function findDocumentState(tx: Tx, tenantId: string, documentId: string) {
  return tx.document.findFirst({
    where: { tenantId, id: documentId },
    select: {
      id: true,
      status: true,
      processingRunId: true,
      trashedAt: true,
      purgedAt: true,
      companyId: true,
      type: true,
      createdAt: true,
      updatedAt: true,
    },
  });
}

/** Documents a reconciler should (re)enqueue: stored but never queued, or queued/extracting for too long. */
export async function listStalled(
  tx: Tx,
  tenantId: string,
  storedBefore: Date,
  runningBefore: Date,
  limit: number,
) {
  return tx.document.findMany({
    where: {
      tenantId,
      purgedAt: null,
      trashedAt: null,
      OR: [
        { status: 'stored', updatedAt: { lt: storedBefore } },
        { status: { in: ['queued', 'extracting'] }, updatedAt: { lt: runningBefore } },
      ],
    },
    select: { id: true, status: true, processingRunId: true },
    orderBy: { createdAt: 'asc' },
    take: limit,
  });
}
