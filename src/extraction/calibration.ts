/**
 * Confidence calibration: the rules score a value (a label's strength, OCR's doubt, a checksum);
 * calibration makes sure the score does not claim more than it should mean, the share of such
 * values that are right.
 * The table (`calibration-table.ts`) is measured on the dev corpus by `npm run bench:calibration`:
 * per source (xml, qr, text, ocr, learned), coarse buckets of the rule score, each mapped to the
 * accuracy measured in it, made monotone (a higher score never means a lower confidence). A source
 * without a table (`user`, or one the corpus has too few values of) keeps its rule score.
 */
import type { ExtractedField, FieldSource } from './types.js';

/** Rule scores from `from` up to the next bucket's `from` get `confidence`. */
export interface CalibrationBucket {
  readonly from: number;
  readonly confidence: number;
}

/** Buckets per source, ascending by `from`. */
export type CalibrationTable = Partial<Record<FieldSource, readonly CalibrationBucket[]>>;

/**
 * The calibrated confidence of a rule score: the score, lowered to the accuracy measured for its
 * bucket where that is less. It is never raised: a raise would be learned from the few low-scored
 * values of a source pooled across fields, and would hide from the review the doubt the rules had
 * about this particular value; the guarantee that matters (values at or above the automation
 * threshold are right as often as it says) needs only the lowering. Monotone, as both parts are.
 */
export function calibrateConfidence(table: CalibrationTable, source: FieldSource, score: number): number {
  const buckets = table[source];
  if (!buckets?.length) return score;
  let measured = buckets[0]!.confidence;
  for (const bucket of buckets) if (score >= bucket.from) measured = bucket.confidence;
  return Math.min(score, measured);
}

/** A copy of `fields` with every confidence calibrated. */
export function calibrateFields<F extends string>(
  table: CalibrationTable,
  fields: Partial<Record<F, ExtractedField>>,
): Partial<Record<F, ExtractedField>> {
  const out: Partial<Record<F, ExtractedField>> = {};
  for (const [name, field] of Object.entries(fields) as [F, ExtractedField | undefined][]) {
    if (field)
      out[name] = { ...field, confidence: calibrateConfidence(table, field.source, field.confidence) };
  }
  return out;
}
