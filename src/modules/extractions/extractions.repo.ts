/**
 * Queries of extraction versions. The documents these belong to (their lock, state and lists) are
 * the documents module's table: see documents.processing.repo.ts, reached through DocumentsService.
 */
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

export async function latestExtraction(
  tx: Tx,
  tenantId: string,
  documentId: string,
): Promise<ExtractionRow | null> {
  return tx.extraction.findFirst({ where: { tenantId, documentId }, orderBy: { version: 'desc' } });
}

/** The latest version of each of the given documents' extractions, by document id (one query for a page). */
export async function latestExtractions(
  tx: Tx,
  tenantId: string,
  documentIds: readonly string[],
): Promise<Map<string, ExtractionRow>> {
  const rows = await tx.extraction.findMany({
    where: { tenantId, documentId: { in: [...documentIds] } },
    orderBy: [{ documentId: 'asc' }, { version: 'desc' }],
    distinct: ['documentId'],
  });
  return new Map(rows.map((row) => [row.documentId, row]));
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

/** Serialises duplicate checks of one invoice key in the tenant until the transaction ends. */
export async function lockInvoiceKey(tx: Tx, tenantId: string, key: string): Promise<void> {
  await tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`invoice:${tenantId}:${key}`}, 0))::text`;
}
