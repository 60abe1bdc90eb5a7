import { calibrateFields } from './calibration.js';
import { CALIBRATION } from './calibration-table.js';
import { cleanStrings } from './text/clean-strings.js';
import type { ExtractedField, ExtractionResult, FieldName } from './types.js';
import type { AcceptedIdentities } from './validate/accepted.js';
import { confirmTotals, dropDoubtedConfirmations } from './validate/confirm.js';
import { validateExtraction } from './validate/index.js';

/** Fields without which a document cannot be booked; missing or doubtful means human review. */
export const KEY_FIELDS: FieldName[] = ['invoiceNumber', 'issueDate', 'totals.gross', 'currency'];

/** Below this confidence a key field is sent to review. */
export const REVIEW_THRESHOLD = 0.7;

type Draft = Omit<ExtractionResult, 'needsReview' | 'timings'>;

/**
 * A result needs a person when a key field is missing or doubtful, when neither the seller's name
 * nor VAT ID is sure, or when a finding is an error.
 */
export function reviewNeeded(
  fields: ExtractionResult['fields'],
  findings: readonly { severity: string }[],
): boolean {
  const weakKey = KEY_FIELDS.some((name) => (fields[name]?.confidence ?? 0) < REVIEW_THRESHOLD);
  const seller = fields['seller.name'] ?? fields['seller.vatId'];
  const weakSeller = (seller?.confidence ?? 0) < REVIEW_THRESHOLD;
  return weakKey || weakSeller || findings.some((f) => f.severity === 'error');
}

/** Formats whose XML went through the EN 16931 rules (`validate/en16931`). */
const EN16931_FORMATS = new Set(['ubl', 'cii', 'zugferd1', 'facturx-pdf']);

/**
 * Cleans a draft result's strings, validates it (findings lower confidences), confirms what the
 * totals reconcile and undoes the confirmations a finding doubts (validate/confirm.ts), calibrates
 * the confidences (calibration.ts; `calibrate: false` keeps the rule scores, which the calibration
 * benchmark fits on) and decides whether it needs review. `accepted`: identity values a person
 * already accepted for the document's supplier (validate/accepted.ts).
 */
export function finalizeResult(
  raw: Draft,
  timings: ExtractionResult['timings'],
  options: { calibrate?: boolean; accepted?: AcceptedIdentities } = {},
): ExtractionResult {
  // No control character or unpaired surrogate leaves the engine: PostgreSQL refuses U+0000 in
  // text and jsonb, and a failed insert would turn a readable document into an internal error.
  const draft = cleanStrings(raw);
  const scored = draft.fields as Partial<Record<string, ExtractedField>>;
  const findings = [
    ...draft.findings,
    ...validateExtraction(
      scored,
      draft.vatBreakdown,
      draft.lines,
      EN16931_FORMATS.has(draft.format),
      options.accepted,
    ),
  ];
  confirmTotals(scored);
  dropDoubtedConfirmations(scored, findings);
  const fields = (
    options.calibrate === false ? scored : calibrateFields(CALIBRATION, scored)
  ) as Draft['fields'];
  return { ...draft, fields, findings, needsReview: reviewNeeded(fields, findings), timings };
}
