/**
 * Confidence calibration: the rules score a value (a label's strength, OCR's doubt, a checksum);
 * calibration makes sure the score does not claim more than it should mean, the share of such
 * values that are right.
 * The table (`calibration-table.ts`) is measured on the dev corpus by `npm run bench:calibration`:
 * per source (xml, qr, text, ocr, learned) and, apart from them, per source for values confirmed
 * by an independent check (`text+confirmed`, ...: `ExtractedField.confirmedBy`), coarse buckets of
 * the rule score, each mapped to the accuracy measured in it, made monotone (a higher score never
 * means a lower confidence). A source without a table (`user`, or one the corpus has too few values
 * of) keeps its rule score.
 */
import type { ExtractedField, FieldSource } from './types.js';

/** Rule scores from `from` up to the next bucket's `from` get `confidence`. */
export interface CalibrationBucket {
  readonly from: number;
  readonly confidence: number;
}

/** A source, or a source's values that passed an independent check. */
export type CalibrationKey = FieldSource | `${FieldSource}+confirmed`;

/** Buckets per key, ascending by `from`. */
export type CalibrationTable = Partial<Record<CalibrationKey, readonly CalibrationBucket[]>>;

/**
 * The rule score of a value that passed an independent check: the check's claim, which only the
 * measured accuracy of confirmed values of its source can uphold (`calibrateField`).
 */
export const CONFIRMED_SCORE = 0.999;

/**
 * The calibrated confidence of a rule score: the score, lowered to the accuracy measured for its
 * bucket where that is less. It is never raised: a raise would be learned from the few low-scored
 * values of a source pooled across fields, and would hide from the review the doubt the rules had
 * about this particular value; the guarantee that matters (values at or above the automation
 * threshold are right as often as it says) needs only the lowering. Monotone, as both parts are.
 */
export function calibrateConfidence(table: CalibrationTable, key: CalibrationKey, score: number): number {
  const buckets = table[key];
  if (!buckets?.length) return score;
  let measured = buckets[0]!.confidence;
  for (const bucket of buckets) if (score >= bucket.from) measured = bucket.confidence;
  return Math.min(score, measured);
}

/**
 * The calibration key and rule score of a field. A confirmed value counts as confirmed, with the
 * check's score, only where the table has measured confirmed values of its source: a check whose
 * accuracy nobody measured must not lift a value above what its reading alone earned. Without a
 * table at all (the calibration benchmark fitting one) confirmed values are scored as confirmed.
 */
export function calibrationInput(
  table: CalibrationTable | null,
  field: Pick<ExtractedField, 'source' | 'confidence' | 'confirmedBy'>,
): { key: CalibrationKey; score: number } {
  const confirmed: CalibrationKey = `${field.source}+confirmed`;
  if (field.confirmedBy && (table === null || table[confirmed]?.length))
    return { key: confirmed, score: Math.max(field.confidence, CONFIRMED_SCORE) };
  return { key: field.source, score: field.confidence };
}

/** The calibrated confidence of one field. */
export function calibrateField(table: CalibrationTable, field: ExtractedField): number {
  const { key, score } = calibrationInput(table, field);
  return calibrateConfidence(table, key, score);
}

/** A copy of `fields` with every confidence calibrated. */
export function calibrateFields<F extends string>(
  table: CalibrationTable,
  fields: Partial<Record<F, ExtractedField>>,
): Partial<Record<F, ExtractedField>> {
  const out: Partial<Record<F, ExtractedField>> = {};
  for (const [name, field] of Object.entries(fields) as [F, ExtractedField | undefined][]) {
    if (field) out[name] = { ...field, confidence: calibrateField(table, field) };
  }
  return out;
}
