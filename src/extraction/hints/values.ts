/**
 * Field values as the learning sees them: which kind of value a field holds, how a value is read
 * from printed words, and when a printed text is a given value (the comparison the corpus truth
 * uses too: amounts numerically, ids without spaces and punctuation, names without case, accents
 * and legal form).
 */
import { sameAmount } from '../fields/amount.js';
import { normaliseFieldValue } from '../corrections.js';
import { idKey, nameKey } from '../suppliers/directory.js';
import { parseAmountIn, parseCurrencyIn, parseDateIn } from '../text/parsers.js';
import type { Cell } from '../text/words.js';
import type { FieldName } from '../types.js';

export type ValueKind = 'date' | 'amount' | 'currency' | 'id' | 'name';

const KINDS: Record<FieldName, ValueKind> = {
  invoiceNumber: 'id',
  issueDate: 'date',
  dueDate: 'date',
  currency: 'currency',
  'seller.name': 'name',
  'seller.vatId': 'id',
  'seller.companyId': 'id',
  'buyer.name': 'name',
  'buyer.vatId': 'id',
  'totals.net': 'amount',
  'totals.tax': 'amount',
  'totals.gross': 'amount',
  'totals.due': 'amount',
  'payment.iban': 'id',
  'payment.reference': 'id',
};

export function kindOf(field: FieldName): ValueKind {
  return KINDS[field];
}

/** The field's normalised value in a printed text, or null when the text holds none. */
export function readValue(field: FieldName, text: string): string | null {
  switch (kindOf(field)) {
    case 'date':
      return parseDateIn(text);
    case 'amount':
      return parseAmountIn(text);
    case 'currency':
      return parseCurrencyIn(text);
    case 'name':
      return /\p{L}{2}/u.test(text) ? normalised(field, text) : null;
    case 'id':
      return /\d/.test(text) ? normalised(field, text) : null;
  }
}

function normalised(field: FieldName, text: string): string | null {
  const result = normaliseFieldValue(field, text);
  return 'value' in result ? result.value : null;
}

/** Whether two values of the field are the same value. */
export function sameValue(field: FieldName, a: string, b: string): boolean {
  switch (kindOf(field)) {
    case 'amount':
      return sameAmount(a, b);
    case 'id':
      return idKey(a) !== '' && idKey(a) === idKey(b);
    case 'name':
      return nameKey(a) !== '' && nameKey(a) === nameKey(b);
    default:
      return a === b;
  }
}

/** The printed shape of a value: letters A, digits 9, anything else as it is, runs collapsed. */
export function shapeOf(text: string): string {
  return text
    .trim()
    .replace(/\p{L}+/gu, 'A')
    .replace(/\d+/g, '9')
    .replace(/\s+/g, ' ');
}

/** A label as compared across documents: lower case, digits as 9, single spaces, no trailing colon. */
export function labelKey(text: string): string {
  return text
    .normalize('NFC')
    .toLowerCase()
    .replace(/\d+/g, '9')
    .replace(/\s+/g, ' ')
    .replace(/[\s:#.\-–]+$/u, '')
    .trim();
}

/** Words a value may take: a long name or a grouped IBAN ("DE02 1203 0000 0000 2020 51") at most. */
export const MAX_VALUE_WORDS = 10;

/** Where a value is printed: a cell and the range of its words. */
export interface Span {
  readonly cell: Cell;
  readonly start: number;
  readonly words: number;
  /** The next line's cell a name continues in (the whole of both cells). */
  readonly next?: Cell | undefined;
}

/** The cell starting the next row at the same left edge: a name's second line. */
export function lineBelow(cells: readonly Cell[], cell: Cell): Cell | undefined {
  const tolerance = Math.max(2, 0.3 * (cell.y1 - cell.y0));
  return cells.find(
    (c) => c.page === cell.page && c.row === cell.row + 1 && Math.abs(c.x0 - cell.x0) <= tolerance,
  );
}

/**
 * Every place the value is printed, as the shortest range of words of a cell that reads as it
 * (one per cell): "No. 2024-017" holds invoice number 2024-017 in its second word.
 */
export function findSpans(cells: readonly Cell[], field: FieldName, value: string): Span[] {
  const spans: Span[] = [];
  const kind = kindOf(field);
  const wanted = kind === 'id' ? idKey(value) : kind === 'name' ? nameKey(value) : '';
  for (const cell of cells) {
    // A cheap filter first: the value's characters must be in the cell at all.
    if (wanted && kind === 'id' && !idKey(cell.text).includes(wanted)) continue;
    const span =
      shortestSpan(cell, field, value) ?? (kind === 'name' ? twoLineSpan(cells, cell, field, value) : null);
    if (span) spans.push(span);
  }
  return spans;
}

/** A name printed over two lines: this cell and the one under it, whole. */
function twoLineSpan(cells: readonly Cell[], cell: Cell, field: FieldName, value: string): Span | null {
  const next = lineBelow(cells, cell);
  if (!next) return null;
  const read = readValue(field, `${cell.text} ${next.text}`);
  return read !== null && sameValue(field, read, value)
    ? { cell, start: 0, words: cell.words.length, next }
    : null;
}

function shortestSpan(cell: Cell, field: FieldName, value: string): Span | null {
  const n = cell.words.length;
  for (let words = 1; words <= Math.min(n, MAX_VALUE_WORDS); words++) {
    for (let start = 0; start + words <= n; start++) {
      const text = spanText(cell, start, words);
      const read = readValue(field, text);
      if (read !== null && sameValue(field, read, value)) return { cell, start, words };
    }
  }
  return null;
}

export function spanText(cell: Cell, start: number, words?: number): string {
  return cell.words
    .slice(start, words === undefined ? undefined : start + words)
    .map((w) => w.text)
    .join(' ');
}
