/**
 * Duplicate invoices: the same invoice arriving twice as two different files (a scan and the PDF,
 * the same PDF re-saved). Identical bytes never get this far (the upload deduplicates by sha256);
 * this compares what the documents say. A document is a duplicate of another active document of
 * the tenant with the same normalised invoice number and gross total, the same supplier (by the
 * supplier directory's identity order: VAT ID, company id, IBAN, name) and, when both have one,
 * the same issue date.
 *
 * The finding is an error: paying an invoice twice is money lost, like a changed IBAN, so the
 * document goes to review and validating it needs an explicit override (`allowDuplicate`).
 */
import {
  idKey,
  isSameSupplier,
  reviewNeeded,
  supplierIdentity,
  type ExtractionResult,
  type Finding,
} from '../../extraction/model.js';
import type { RequestContext } from '../../core/request-context.js';
import type { Tx } from '../../platform/db/db.js';
import type { DocumentsService } from '../documents/documents.service.js';
import * as repo from './extractions.repo.js';

/** The documents module's side of the check: the candidates and the columns it writes. */
type DuplicateDocuments = Pick<DocumentsService, 'listInvoiceKeyCandidates' | 'setDuplicateState'>;

export const DUPLICATE_FINDING = 'duplicate_invoice';
/** Invoice numbers are keyed on at most this many characters (a longer one is not a number). */
const MAX_NUMBER_CHARS = 100;
/** Candidates read per check: the key is selective, so more than a few means a pathological tenant. */
export const MAX_DUPLICATE_CANDIDATES = 20;

/** "1210.00" = "1210" = "01210.0": amounts are decimal strings, compared as numbers without a float. */
function amountKey(value: string): string {
  const m = /^(-?)0*(\d*?)(?:\.(\d*?)0*)?$/.exec(value.trim());
  if (!m) return value.trim();
  const whole = m[2] || '0';
  return `${m[1] && (whole !== '0' || m[3]) ? '-' : ''}${whole}${m[3] ? `.${m[3]}` : ''}`;
}

/**
 * The indexed lookup key of an invoice: normalised number and gross total ("FV-2024/001" and
 * "FV 2024 001" are one number). Null when either is missing: such a document is never matched.
 */
export function invoiceKey(result: ExtractionResult): string | null {
  const number = idKey(result.fields.invoiceNumber?.value?.slice(0, MAX_NUMBER_CHARS));
  const gross = result.fields['totals.gross']?.value;
  if (!number || !gross) return null;
  return `${number}|${amountKey(gross)}`;
}

/** The earlier document `result` duplicates, or null: the oldest matching candidate. */
export async function findDuplicateOf(
  documents: DuplicateDocuments,
  tx: Tx,
  ctx: RequestContext,
  documentId: string,
  result: ExtractionResult,
): Promise<{ key: string | null; duplicateOf: string | null }> {
  const key = invoiceKey(result);
  if (!key) return { key, duplicateOf: null };
  // Two copies extracted at the same moment must not both miss each other: the check and the
  // write of the key are serialised per (tenant, key) until the caller's transaction ends.
  await repo.lockInvoiceKey(tx, ctx.tenantId, key);
  const identity = supplierIdentity(result.fields);
  const issueDate = result.fields.issueDate?.value;
  const candidates = await documents.listInvoiceKeyCandidates(
    tx,
    ctx,
    documentId,
    key,
    MAX_DUPLICATE_CANDIDATES,
  );
  const match = candidates.find(
    (c) =>
      isSameSupplier(identity, {
        vatId: idKey(c.vat_id ?? undefined),
        companyId: idKey(c.company_id ?? undefined),
        iban: idKey(c.iban ?? undefined),
        name: c.name ?? '',
      }) && !(issueDate && c.issue_date && issueDate !== c.issue_date),
  );
  return { key, duplicateOf: match?.id ?? null };
}

/**
 * `result` with its duplicate finding brought up to date (an earlier one is dropped, a current
 * one added) and `needsReview` recomputed from it.
 */
export function withDuplicateFinding(result: ExtractionResult, duplicateOf: string | null): ExtractionResult {
  const findings: Finding[] = result.findings.filter((f) => f.code !== DUPLICATE_FINDING);
  if (duplicateOf)
    findings.push({
      code: DUPLICATE_FINDING,
      severity: 'error',
      field: 'invoiceNumber',
      message: `the same invoice (supplier, number, gross total${result.fields.issueDate ? ', issue date' : ''}) is already document ${duplicateOf}; validate only with allowDuplicate and a reason`,
    });
  return { ...result, findings, needsReview: reviewNeeded(result.fields, findings) };
}

/**
 * Checks `result` of `documentId` for a duplicate, stores the document's key and duplicate state
 * (clearing an earlier override: a new extraction or correction must be validated anew) and
 * returns the result with its duplicate finding.
 */
export async function checkDuplicate(
  documents: DuplicateDocuments,
  tx: Tx,
  ctx: RequestContext,
  documentId: string,
  result: ExtractionResult,
): Promise<{ result: ExtractionResult; duplicateOf: string | null }> {
  const { key, duplicateOf } = await findDuplicateOf(documents, tx, ctx, documentId, result);
  await documents.setDuplicateState(tx, ctx, documentId, {
    invoiceKey: key,
    duplicateOf,
    duplicateOverrideReason: null,
  });
  return { result: withDuplicateFinding(result, duplicateOf), duplicateOf };
}
