/**
 * People's corrections of an extraction result: each corrected value is validated and normalised
 * the same way the engine normalises what it reads (dates YYYY-MM-DD, amounts with a dot, IDs
 * upper-case without spaces), recorded with source `user` and full confidence, and the findings
 * and the review decision are recomputed for the corrected data.
 */
import { parseAmount } from './fields/amount.js';
import { parseDate } from './fields/date.js';
import { KNOWN_CURRENCIES, normaliseId } from './fields/ids.js';
import { reviewNeeded } from './finalize.js';
import type { ExtractedField, ExtractionResult, FieldName } from './types.js';
import { FIELD_NAMES } from './types.js';
import { checkIban, validateExtraction } from './validate/index.js';

export interface FieldChange {
  readonly field: FieldName;
  readonly before: string | null;
  readonly after: string | null;
}

export interface CorrectionProblem {
  readonly field: string;
  readonly message: string;
}

const DATE_FIELDS = new Set(['issueDate', 'dueDate']);
const AMOUNT_FIELDS = new Set(['totals.net', 'totals.tax', 'totals.gross', 'totals.due']);
const VAT_FIELDS = new Set(['seller.vatId', 'buyer.vatId']);

/** The normalised value, or a message saying why the input is not acceptable for the field. */
export function normaliseFieldValue(field: FieldName, raw: string): { value: string } | { problem: string } {
  const text = raw.trim();
  if (!text) return { problem: 'must not be empty (send null to remove the value)' };
  if (DATE_FIELDS.has(field)) {
    const value = parseDate(text);
    return value ? { value } : { problem: 'is not a date (e.g. 2024-03-14 or 14.03.2024)' };
  }
  if (AMOUNT_FIELDS.has(field)) {
    const value = parseAmount(text);
    return value ? { value } : { problem: 'is not an amount (e.g. 1210.00 or 1 210,00)' };
  }
  if (field === 'currency') {
    const value = text.toUpperCase();
    return KNOWN_CURRENCIES.has(value) ? { value } : { problem: 'is not an ISO 4217 currency code' };
  }
  if (field === 'payment.iban') {
    const value = normaliseId(text);
    return checkIban(value) ? { problem: 'is not a valid IBAN (country, length or checksum)' } : { value };
  }
  if (VAT_FIELDS.has(field)) {
    const value = normaliseId(text);
    return /^[A-Z]{2}[0-9A-Z+*]{2,13}$/.test(value)
      ? { value }
      : { problem: 'is not a VAT ID with its country prefix' };
  }
  return text.length <= 200 ? { value: text } : { problem: 'must be at most 200 characters' };
}

export function isFieldName(name: string): name is FieldName {
  return (FIELD_NAMES as readonly string[]).includes(name);
}

/**
 * Applies corrections (`null` removes a value) to a result. Returns every problem instead of a
 * result when any correction is unacceptable, so nothing is half-applied.
 */
export function applyCorrections(
  result: ExtractionResult,
  corrections: Readonly<Record<string, string | null>>,
): { result: ExtractionResult; changes: FieldChange[] } | { problems: CorrectionProblem[] } {
  const problems: CorrectionProblem[] = [];
  const fields: Partial<Record<FieldName, ExtractedField>> = { ...result.fields };
  const changes: FieldChange[] = [];
  for (const [name, raw] of Object.entries(corrections)) {
    if (!isFieldName(name)) {
      problems.push({ field: name, message: 'is not a known field' });
      continue;
    }
    const before = fields[name]?.value ?? null;
    if (raw === null) {
      delete fields[name];
      if (before !== null) changes.push({ field: name, before, after: null });
      continue;
    }
    const normalised = normaliseFieldValue(name, raw);
    if ('problem' in normalised) {
      problems.push({ field: name, message: normalised.problem });
      continue;
    }
    fields[name] = { value: normalised.value, confidence: 1, source: 'user' };
    if (before !== normalised.value) changes.push({ field: name, before, after: normalised.value });
  }
  if (problems.length > 0) return { problems };
  // Findings the engine derived from the old values are recomputed from the new ones; findings
  // about the document itself (format, profile, embedded data) stay.
  const derivedBefore = new Set(
    validateExtraction(result.fields, result.vatBreakdown, result.lines).map(
      (f) => `${f.code}|${f.field ?? ''}`,
    ),
  );
  const corrected = new Set(changes.map((c) => c.field as string));
  const kept = result.findings.filter(
    (f) => !derivedBefore.has(`${f.code}|${f.field ?? ''}`) && !(f.field && corrected.has(f.field)),
  );
  const findings = [...kept, ...validateExtraction(fields, result.vatBreakdown, result.lines)];
  return { result: { ...result, fields, findings, needsReview: reviewNeeded(fields, findings) }, changes };
}
