/**
 * Queries of the `documents` table made for processing: the row lock that serialises a document's
 * versions and moves, its processing and duplicate state, the reconciler's stalled list, the review
 * queue, the ERP export list, the supplier directory and the invoice-key candidates. The last three
 * select documents (their status, keys, indexes and order) and read each one's latest extraction
 * with a LATERAL join, read only: the statement is about which documents, so it lives with the
 * table it selects from. Other modules reach these through `DocumentsService`
 * (documents.processing-state.ts); `documents.status` is written only by documents.repo.moveStatus.
 */
import type { Prisma } from '../../platform/db/prisma.js';
import type { SqlReader, Tx } from '../../platform/db/db.js';
import { sqlConditions } from '../../platform/db/sql-conditions.js';
import { keysetPage, keysetSql, type CursorPosition } from '../cursor.js';

/** Serializes version numbering and status changes of one document. */
export async function lockDocument(tx: Tx, tenantId: string, documentId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM documents WHERE tenant_id = ${tenantId}::uuid AND id = ${documentId}::uuid FOR UPDATE`;
}

/** The duplicate columns of a document (its status moves only through moveStatus). */
export async function setDuplicateState(
  tx: Tx,
  tenantId: string,
  documentId: string,
  data: Pick<
    Prisma.DocumentUncheckedUpdateManyInput,
    'invoiceKey' | 'duplicateOf' | 'duplicateOverrideReason'
  >,
): Promise<number> {
  const { count } = await tx.document.updateMany({ where: { tenantId, id: documentId }, data });
  return count;
}

/** What processing decides by: status, run, trash and purge, the export and duplicate facts. */
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
      validatedAt: true,
      exportedAt: true,
      duplicateOf: true,
      duplicateOverrideReason: true,
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

export interface ReviewRow {
  readonly id: string;
  readonly filename: string;
  readonly companyId: string | null;
  readonly createdAt: Date;
  readonly duplicateOf: string | null;
}

/** Documents waiting for a person, oldest first (keyset on created_at, id). */
export async function listNeedsReview(
  tx: Tx,
  tenantId: string,
  allowed: readonly string[] | undefined,
  limit: number,
  after?: CursorPosition,
): Promise<ReviewRow[]> {
  const keyset = keysetPage('createdAt', 'asc', after);
  return tx.document.findMany({
    where: {
      tenantId,
      status: 'needs_review',
      purgedAt: null,
      trashedAt: null,
      ...(allowed ? { companyId: { in: [...allowed] } } : {}),
      ...keyset.where,
    },
    orderBy: keyset.orderBy,
    take: limit,
    select: { id: true, filename: true, companyId: true, createdAt: true, duplicateOf: true },
  });
}

export interface ExportFilter {
  readonly status: 'validated' | 'exported';
  readonly exported?: boolean | undefined;
  readonly companyId?: string | undefined;
  readonly updatedSince?: Date | undefined;
  readonly allowedCompanyIds?: readonly string[] | undefined;
}

/** A document handed to an ERP with its latest extraction (`readExportPage`). */
export interface ExportRow {
  readonly id: string;
  readonly companyId: string | null;
  readonly type: string;
  readonly status: string;
  readonly validatedAt: Date | null;
  readonly exportedAt: Date | null;
  readonly updatedAt: Date;
  readonly version: number;
  readonly result: Prisma.JsonValue;
}

/**
 * A page of the ERP export list in plain SQL (db.read): documents in update order (keyset on
 * updated_at, id), each with its latest extraction, in one statement. A company filter and the
 * caller's company restriction both apply.
 */
export async function readExportPage(
  sql: SqlReader,
  tenantId: string,
  filter: ExportFilter,
  limit: number,
  after?: CursorPosition,
): Promise<ExportRow[]> {
  const q = sqlConditions('d.purged_at IS NULL', 'd.trashed_at IS NULL');
  q.add((p) => `d.tenant_id = ${p}`, tenantId);
  const statuses =
    filter.exported === false
      ? ['validated']
      : filter.exported === true
        ? ['exported']
        : ['validated', 'exported'];
  q.add((p) => `d.status = ANY(${p}::text[])`, statuses);
  if (filter.companyId) q.add((p) => `d.company_id = ${p}::uuid`, filter.companyId);
  if (filter.allowedCompanyIds)
    q.add((p) => `d.company_id = ANY(${p}::uuid[])`, [...filter.allowedCompanyIds]);
  if (filter.updatedSince) q.add((p) => `d.updated_at >= ${p}`, filter.updatedSince);
  // A duplicate invoice is handed over only when a person validated it with the override.
  q.where.push('(d.duplicate_of IS NULL OR d.duplicate_override_reason IS NOT NULL)');
  const orderBy = keysetSql(q, { at: 'd.updated_at', id: 'd.id' }, 'asc', after);
  const rows = await sql.query<{
    id: string;
    company_id: string | null;
    type: string;
    status: string;
    validated_at: Date | null;
    exported_at: Date | null;
    updated_at: Date;
    version: number;
    result: Prisma.JsonValue;
  }>(
    `SELECT d.id, d.company_id, d.type, d.status, d.validated_at, d.exported_at, d.updated_at,
            e.version, e.result
       FROM documents d
       JOIN LATERAL (SELECT x.version, x.result FROM extractions x
                      WHERE x.tenant_id = d.tenant_id AND x.document_id = d.id
                      ORDER BY x.version DESC LIMIT 1) e ON true
      WHERE ${q.clause()}
      ORDER BY ${orderBy}
      LIMIT ${q.param(limit)}`,
    q.params,
  );
  return rows.map((r) => ({
    id: r.id,
    companyId: r.company_id,
    type: r.type,
    status: r.status,
    validatedAt: r.validated_at,
    exportedAt: r.exported_at,
    updatedAt: r.updated_at,
    version: r.version,
    result: r.result,
  }));
}

/** The seller data of one validated document, as its latest extraction version states it. */
export interface ValidatedSellerRow {
  readonly name: string | null;
  readonly vat_id: string | null;
  readonly company_id: string | null;
  readonly iban: string | null;
  /** What the supplier's validated invoices also say: its numbering, currency, buyer and dates. */
  readonly invoice_number?: string | null;
  readonly currency?: string | null;
  readonly buyer_name?: string | null;
  readonly buyer_vat_id?: string | null;
  readonly payment_reference?: string | null;
  readonly issue_date?: string | null;
  readonly due_date?: string | null;
  /**
   * The stored invoiceNumber, issueDate and dueDate fields (the engine's PLACED_FIELDS) without
   * their values (source, page, bbox, confidence): where the supplier's layout prints them.
   */
  readonly places?: unknown;
  readonly validated_at: Date | null;
}

/**
 * Sellers of the tenant's validated (and exported) documents, most recently validated first, at
 * most `limit`: the supplier directory a new document is matched against. Only the seller's four
 * values, the invoice number, the currency, the buyer's name and VAT ID, the payment reference and
 * the two dates are read out of each result, and where the number and dates were on the page.
 */
export async function listValidatedSellers(
  tx: Tx,
  tenantId: string,
  limit: number,
): Promise<ValidatedSellerRow[]> {
  return tx.$queryRaw<ValidatedSellerRow[]>`
    SELECT e.result #>> '{fields,seller.name,value}'      AS name,
           e.result #>> '{fields,seller.vatId,value}'     AS vat_id,
           e.result #>> '{fields,seller.companyId,value}' AS company_id,
           e.result #>> '{fields,payment.iban,value}'     AS iban,
           e.result #>> '{fields,invoiceNumber,value}'    AS invoice_number,
           e.result #>> '{fields,currency,value}'         AS currency,
           e.result #>> '{fields,buyer.name,value}'       AS buyer_name,
           e.result #>> '{fields,buyer.vatId,value}'      AS buyer_vat_id,
           e.result #>> '{fields,payment.reference,value}' AS payment_reference,
           e.result #>> '{fields,issueDate,value}'        AS issue_date,
           e.result #>> '{fields,dueDate,value}'          AS due_date,
           jsonb_build_object('invoiceNumber', (e.result #> '{fields,invoiceNumber}') - 'value',
                              'issueDate', (e.result #> '{fields,issueDate}') - 'value',
                              'dueDate', (e.result #> '{fields,dueDate}') - 'value') AS places,
           d.validated_at
      FROM documents d
      JOIN LATERAL (SELECT x.result FROM extractions x
                     WHERE x.tenant_id = d.tenant_id AND x.document_id = d.id
                     ORDER BY x.version DESC LIMIT 1) e ON true
     WHERE d.tenant_id = ${tenantId}::uuid
       AND d.status IN ('validated', 'exported')
       AND d.purged_at IS NULL AND d.trashed_at IS NULL
     ORDER BY d.validated_at DESC NULLS LAST, d.id
     LIMIT ${limit}`;
}

/**
 * What the directory is built from, in one cheap aggregate: when neither the count nor the last
 * change of the validated documents moved, a cached directory is still the tenant's.
 */
export async function validatedSellersFingerprint(tx: Tx, tenantId: string): Promise<string> {
  const rows = await tx.$queryRaw<{ n: bigint; last: Date | null }[]>`
    SELECT count(*) AS n, max(updated_at) AS last FROM documents
     WHERE tenant_id = ${tenantId}::uuid AND status IN ('validated', 'exported')
       AND purged_at IS NULL AND trashed_at IS NULL`;
  const row = rows[0];
  return `${row?.n ?? 0}:${row?.last?.toISOString() ?? '-'}`;
}

/** An active document with the same invoice key, and the seller data of its latest extraction. */
export interface InvoiceKeyCandidate {
  readonly id: string;
  readonly name: string | null;
  readonly vat_id: string | null;
  readonly company_id: string | null;
  readonly iban: string | null;
  readonly issue_date: string | null;
}

/**
 * Other active documents of the tenant with the invoice key, oldest first, at most `limit` (the
 * (tenant_id, invoice_key) index). A document that is itself a duplicate of an active document is
 * not a candidate: the original is, so a third copy points at it and a reprocessed original never
 * becomes a duplicate of its own copy.
 */
export async function listInvoiceKeyCandidates(
  tx: Tx,
  tenantId: string,
  documentId: string,
  key: string,
  limit: number,
): Promise<InvoiceKeyCandidate[]> {
  return tx.$queryRaw<InvoiceKeyCandidate[]>`
    SELECT d.id::text,
           e.result #>> '{fields,seller.name,value}'      AS name,
           e.result #>> '{fields,seller.vatId,value}'     AS vat_id,
           e.result #>> '{fields,seller.companyId,value}' AS company_id,
           e.result #>> '{fields,payment.iban,value}'     AS iban,
           e.result #>> '{fields,issueDate,value}'        AS issue_date
      FROM documents d
      JOIN LATERAL (SELECT x.result FROM extractions x
                     WHERE x.tenant_id = d.tenant_id AND x.document_id = d.id
                     ORDER BY x.version DESC LIMIT 1) e ON true
     WHERE d.tenant_id = ${tenantId}::uuid
       AND d.invoice_key = ${key}
       AND d.id <> ${documentId}::uuid
       AND d.trashed_at IS NULL AND d.purged_at IS NULL
       AND (d.duplicate_of IS NULL OR NOT EXISTS (
             SELECT 1 FROM documents o
              WHERE o.tenant_id = d.tenant_id AND o.id = d.duplicate_of
                AND o.trashed_at IS NULL AND o.purged_at IS NULL))
     ORDER BY d.created_at, d.id
     LIMIT ${limit}`;
}

/** Whether the document exists in the tenant and is neither trashed nor purged. */
export async function isActiveDocument(tx: Tx, tenantId: string, documentId: string): Promise<boolean> {
  const found = await tx.document.findFirst({
    where: { tenantId, id: documentId, trashedAt: null, purgedAt: null },
    select: { id: true },
  });
  return found !== null;
}

/** A document's processing state as `findDocumentState` reads it. */
export type DocumentStateRow = NonNullable<Awaited<ReturnType<typeof findDocumentState>>>;
/** A document the reconciler looks at (`listStalled`). */
export type StalledRow = Awaited<ReturnType<typeof listStalled>>[number];
