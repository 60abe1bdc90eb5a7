/**
 * Label variants learned across firms: where the general rules know no label for a field on a
 * page, a label that people at several firms placed before that field's value in their
 * corrections is tried as one more label (the value in the rest of its cell, the next cell of its
 * row, or the cell below, read by the field's own parser). What crosses firms is only the label's
 * words (`labelKey`); which firms may contribute, and how many must agree, is decided where the
 * labels are gathered (modules/suppliers/suppliers.shared-labels.ts). A shared label only fills a
 * field the page's rules, the supplier's profile and the firm's directory left empty, at a
 * confidence that sends the document to a person, who sees the info finding saying where the
 * value came from.
 */
import { LABELS } from '../text/labels.js';
import { cellsBelow, cellsByRow, cellsRightOf } from '../text/label-candidates.js';
import { PARSERS } from '../text/parsers.js';
import { buildCells, buildRows, type Cell, type Word } from '../text/words.js';
import type { ExtractedField, FieldName, Finding } from '../types.js';
import { boxOf } from './apply.js';
import type { SharedLabel } from './types.js';
import { labelKey, spanText } from './values.js';

type Fields = Partial<Record<FieldName, ExtractedField>>;

/** Below the review threshold: a value found by another firm's label is a suggestion to confirm. */
export const SHARED_LABEL_CONFIDENCE = 0.7;
/** Words a shared label may have ("datum der leistung"): longer texts are sentences, not labels. */
export const MAX_SHARED_LABEL_WORDS = 4;
/** Labels the engine takes per field, and in all (the gathering job keeps to the same bounds). */
export const MAX_SHARED_LABELS_PER_FIELD = 20;
export const MAX_SHARED_LABELS = 200;

/** Fields read next to a label by a parser of their own: a shared label can only name those. */
export function isShareableField(field: FieldName): boolean {
  return PARSERS[field] !== undefined;
}

/**
 * Labels that head a phone, fax, e-mail, web, tax or bank identifier: never a number, date, amount,
 * reference or register entry of the fields a label can be shared for. A correction can still
 * place such a value beside one where a page's truth differs from its print (the dev corpus has a
 * company id "corrected" to the VAT ID printed after "VAT-ID"); shared, it would be wrong for
 * every firm (bench:shared-labels).
 */
const IDENTIFIER_LABEL =
  /^(?:tel|telefon|telephone|phone|fon|fax|mobil|mobile|e-?mail|mail|web|www|url|vat|ust|tax|uid|dič|dic|nip|iban|bic|swift)(?![\p{L}])/u;

/**
 * Whether a label key may cross firms: words of letters only (no digits, which `labelKey` writes
 * as 9, no e-mail or web address), short, not a label the general rules already know for any
 * field (for this field there is nothing to add; for another, a second meaning), and not one
 * heading a contact, tax or bank identifier. A label is the supplier's layout, never a value, but
 * these bounds keep out whatever a person's correction might have placed a value next to.
 */
export function isShareableLabel(field: FieldName, label: string): boolean {
  if (!isShareableField(field) || label !== labelKey(label)) return false;
  if (label.length < 3 || label.length > 40 || label.split(' ').length > MAX_SHARED_LABEL_WORDS) return false;
  if (!/^[\p{L}][\p{L} .:/&()'°-]*$/u.test(label) || !/\p{L}{3}/u.test(label)) return false;
  if (IDENTIFIER_LABEL.test(label)) return false;
  return !Object.values(LABELS).some((labels) => labels.some((known) => known.pattern.test(label)));
}

/**
 * `isShareableLabel`, remembered: every document of a worker gets the same published labels, and
 * testing one against all of the general rules' labels costs more than reading the page for it.
 * Bounded like the labels themselves (a full memo starts over).
 */
const shareableMemo = new Map<string, boolean>();
function shareable(field: FieldName, label: string): boolean {
  const key = `${field}\u0000${label}`;
  let known = shareableMemo.get(key);
  if (known === undefined) {
    if (shareableMemo.size >= 4 * MAX_SHARED_LABELS) shareableMemo.clear();
    known = isShareableLabel(field, label);
    shareableMemo.set(key, known);
  }
  return known;
}

/** The field's value beside a label that opens `cells[index]` with `words` words, if one is printed there. */
function valueBeside(
  field: FieldName,
  cells: Cell[],
  index: number,
  words: number,
  byRow: Map<number, Cell[]>,
): { value: string; cell: Cell } | null {
  const parse = PARSERS[field]!;
  const cell = cells[index]!;
  const rest = spanText(cell, words);
  const places: Array<{ text: string; cell: Cell }> = rest ? [{ text: rest, cell }] : [];
  // Beside or below only a label that is its whole cell, as the general rules read a table.
  if (!rest) {
    for (const c of [...cellsRightOf(cells, index), ...cellsBelow(cells, index, byRow)])
      places.push({ text: c.text, cell: c });
  }
  for (const place of places) {
    const value = parse(place.text);
    if (value !== null) return { value, cell: place.cell };
  }
  return null;
}

/**
 * Fills the fields still empty from the shared labels printed on the page, in place, and returns
 * an info finding per filled field.
 */
export function applySharedLabels(
  fields: Fields,
  words: readonly Word[],
  labels: readonly SharedLabel[],
): Finding[] {
  const wanted = new Map<string, FieldName[]>();
  const perField = new Map<FieldName, number>();
  for (const { field, label } of labels.slice(0, MAX_SHARED_LABELS)) {
    if (fields[field] || !shareable(field, label)) continue;
    const count = perField.get(field) ?? 0;
    if (count >= MAX_SHARED_LABELS_PER_FIELD) continue;
    perField.set(field, count + 1);
    wanted.set(label, [...(wanted.get(label) ?? []), field]);
  }
  if (wanted.size === 0 || words.length === 0) return [];
  const cells = buildCells(buildRows([...words]));
  const byRow = cellsByRow(cells);
  const findings: Finding[] = [];
  cells.forEach((cell, index) => {
    for (let n = 1; n <= Math.min(MAX_SHARED_LABEL_WORDS, cell.words.length); n++) {
      const label = labelKey(spanText(cell, 0, n));
      for (const field of wanted.get(label) ?? []) {
        if (fields[field]) continue;
        const found = valueBeside(field, cells, index, n, byRow);
        if (!found) continue;
        fields[field] = {
          value: found.value,
          confidence: SHARED_LABEL_CONFIDENCE,
          source: 'learned',
          page: found.cell.page,
          bbox: boxOf(found.cell),
        };
        findings.push({
          code: 'read_by_shared_label',
          severity: 'info',
          field,
          message: `${field} was read beside the label "${label}", which people at several firms labelled it with; the general rules know no such label, so please confirm it`,
        });
      }
    }
  });
  return findings;
}
