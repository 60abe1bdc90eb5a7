/**
 * People's corrections of an extraction result: each corrected value is validated and normalised
 * the same way the engine normalises what it reads (dates YYYY-MM-DD, amounts with a dot, IDs
 * upper-case without spaces), recorded with source `user` and full confidence, and the findings
 * and the review decision are recomputed for the corrected data.
 */
import { parseAmount } from './fields/amount.js';
import { parseDate } from './fields/date.js';
import { ISO_4217_CODES } from './fields/currency-codes.js';
import { CURRENCY_SYMBOLS, normaliseId } from './fields/ids.js';
import { reviewNeeded } from './finalize.js';
import type { ExtractedField, ExtractionResult, FieldName, Finding } from './types.js';
import { FIELD_NAMES } from './types.js';
import { accept, isAcceptedCode, isIdentityField, type AcceptedIdentities } from './validate/accepted.js';
import { checkIban, validateExtraction } from './validate/index.js';
import { dropDoubtedConfirmations } from './validate/confirm.js';

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
/** Country prefixes of VAT IDs (the EU's, Greece as EL, and GB, CH, NO that print theirs the same way). */
const VAT_COUNTRIES = new Set(
  'AT BE BG CY CZ DE DK EE EL ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK GB CH NO'.split(' '),
);
/** Free text (numbers, names, references) is kept as typed, up to this length. */
const MAX_TEXT_CHARS = 200;
/** Tax ids of any scheme are at most this long once normalised (EU VAT IDs 4-15, GSTIN 15). */
const MAX_TAX_ID_CHARS = 30;

/**
 * A correction's normalised value, with a warning when the value is possible but unusual for the
 * field; or the reason it cannot be a value of the field at all. A person records what the
 * document says, so only the impossible is refused: a tax id of a country outside the EU VAT
 * scheme (a GSTIN, an ABN, a Malaysian SST number), an IBAN with a bad check digit or a currency
 * the engine does not read are kept, and the findings say what is odd about them.
 */
export function normaliseFieldValue(
  field: FieldName,
  raw: string,
): { value: string; warning?: string } | { problem: string } {
  const text = raw.trim();
  if (!text) return { problem: 'must not be empty (send null to remove the value)' };
  if (DATE_FIELDS.has(field)) {
    const value = parseDate(text);
    return value ? { value } : { problem: 'is not a date (e.g. 2024-03-14 or 14.03.2024)' };
  }
  if (AMOUNT_FIELDS.has(field)) {
    const value = parseAmount(text) ?? parseLakhAmount(text);
    return value ? { value } : { problem: 'is not an amount (e.g. 1210.00 or 1 210,00)' };
  }
  if (field === 'currency') return normaliseCurrency(text);
  if (field === 'payment.iban') {
    const value = normaliseId(text);
    // A printed IBAN with a wrong check digit (or of a country missing from the registry table)
    // is still what the document says: kept, and validation reports it as an error finding.
    const problem = checkIban(value);
    return problem === null || problem === 'checksum' || problem === 'country'
      ? { value }
      : { problem: 'is not an IBAN (country code, check digits and the length of that country)' };
  }
  if (VAT_FIELDS.has(field)) return normaliseTaxId(text);
  return text.length <= MAX_TEXT_CHARS
    ? { value: text }
    : { problem: `must be at most ${MAX_TEXT_CHARS} characters` };
}

/** Indian digit grouping ("1,23,456.00"), which the general amount parser reads as no amount. */
function parseLakhAmount(text: string): string | null {
  const m = /^(-?)(?:₹|Rs\.?|INR)?\s*(\d{1,2}(?:,\d{2})*,\d{3}(?:\.\d+)?)$/i.exec(text);
  return m ? `${m[1]}${m[2]!.replaceAll(',', '')}` : null;
}

function normaliseCurrency(text: string): { value: string; warning?: string } | { problem: string } {
  const value = CURRENCY_SYMBOLS[text] ?? text.toUpperCase();
  if (!/^[A-Z]{3}$/.test(value)) return { problem: 'is not a currency code (three letters, e.g. EUR)' };
  return ISO_4217_CODES.has(value)
    ? { value }
    : { value, warning: `${value} is not an ISO 4217 currency code` };
}

/**
 * Any scheme's tax id: letters and digits (at least one digit), at most 30 once spaces, dots and
 * dashes are gone; without an EU country prefix it is kept with a warning about its format.
 */
function normaliseTaxId(text: string): { value: string; warning?: string } | { problem: string } {
  const value = normaliseId(text);
  if (value.length > MAX_TAX_ID_CHARS || !/^[A-Z0-9+*/]+$/.test(value) || !/\d/.test(value))
    return { problem: `is not a tax id (letters and digits, at most ${MAX_TAX_ID_CHARS})` };
  const prefix = value.slice(0, 2) === 'EL' ? 'GR' : value.slice(0, 2);
  return VAT_COUNTRIES.has(prefix) && /^[A-Z]{2}[0-9A-Z+*]{2,13}$/.test(value)
    ? { value }
    : {
        value,
        warning: `${value} is not an EU VAT ID (no EU country prefix); kept as printed, check it is the right tax id`,
      };
}

/** The finding a correction's warning becomes, on the corrected field. */
function correctionFinding(field: FieldName, message: string): Finding {
  return { code: 'corrected_value_unusual_format', severity: 'warning', field, message };
}

/**
 * The identity values the engine's run found accepted before (`…_accepted_before` findings,
 * validate/accepted.ts), for the revalidation after a correction: a value the correction left as
 * it was stays accepted, a changed one is checked afresh.
 */
function acceptedIn(result: ExtractionResult): AcceptedIdentities {
  const accepted: AcceptedIdentities = new Map();
  for (const finding of result.findings) {
    if (!isAcceptedCode(finding.code) || !finding.field || !isIdentityField(finding.field)) continue;
    accept(accepted, finding.field, result.fields[finding.field]?.value, 'an earlier validation');
  }
  return accepted;
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
  const warnings: Finding[] = [];
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
    if (normalised.warning) warnings.push(correctionFinding(name, normalised.warning));
    if (before !== normalised.value) changes.push({ field: name, before, after: normalised.value });
  }
  if (problems.length > 0) return { problems };
  // Findings the engine derived from the old values are recomputed from the new ones; findings
  // about the document itself (format, profile, embedded data) stay.
  const accepted = acceptedIn(result);
  const keyOf = (f: Finding): string => `${f.code}|${f.field ?? ''}`;
  const derivedBefore = new Set(
    validateExtraction(result.fields, result.vatBreakdown, result.lines, false, accepted).map(keyOf),
  );
  const corrected = new Set(changes.map((c) => c.field as string));
  const kept = result.findings.filter(
    (f) => !derivedBefore.has(keyOf(f)) && !(f.field && corrected.has(f.field)),
  );
  // An acceptance found again keeps the engine's wording (which names where it was accepted).
  const previous = new Map(result.findings.filter((f) => isAcceptedCode(f.code)).map((f) => [keyOf(f), f]));
  const findings = [
    ...kept,
    ...warnings,
    ...validateExtraction(fields, result.vatBreakdown, result.lines, false, accepted).map(
      (f) => previous.get(keyOf(f)) ?? f,
    ),
  ];
  // A check the corrected values no longer pass (totals that stopped adding up) confirms nothing.
  dropDoubtedConfirmations(fields, findings);
  return { result: { ...result, fields, findings, needsReview: reviewNeeded(fields, findings) }, changes };
}
