import type { FieldName } from '../types.js';
import { LABELS } from './labels.js';
import { PARSERS } from './parsers.js';
import type { Cell } from './words.js';

/** One possible value for a field, with where it was found and how much we believe it. */
export interface Candidate {
  field: FieldName;
  value: string;
  score: number;
  cell: Cell;
  /** Position of the label in reading order, 0..1 (amount totals sit near the end). */
  order: number;
}

const AMOUNT_FIELDS = new Set<FieldName>(['totals.net', 'totals.tax', 'totals.gross', 'totals.due']);

const GRAND_TOTAL_FIELDS = new Set<FieldName>(['totals.gross', 'totals.due']);

/** Fields whose value is the last column of a summary row ("VAT 19 % | base | tax"). */
const LAST_COLUMN_FIELDS = new Set<FieldName>(['totals.gross', 'totals.due', 'totals.tax']);

/** How much each place relative to the label is trusted. */
const PLACE_WEIGHT = { same: 1, right: 0.95, right2: 0.8, below: 0.8, below2: 0.6, sameFar: 0.7 } as const;

/** The next cells on the label's row, at most two (where a value stands right of its label). */
export function cellsRightOf(cells: Cell[], index: number): Cell[] {
  const label = cells[index]!;
  const out: Cell[] = [];
  for (let i = index + 1; i < cells.length && out.length < 2; i++) {
    const c = cells[i]!;
    if (c.row !== label.row) break;
    out.push(c);
  }
  return out;
}

/** The page's cells grouped by row, in reading order: what `cellsBelow` looks up. */
export function cellsByRow(cells: readonly Cell[]): Map<number, Cell[]> {
  const byRow = new Map<number, Cell[]>();
  for (const c of cells) {
    const row = byRow.get(c.row);
    if (row) row.push(c);
    else byRow.set(c.row, [c]);
  }
  return byRow;
}

/** The cells under the label in the next two rows (a table header over its value). */
export function cellsBelow(cells: Cell[], index: number, byRow: Map<number, Cell[]>): Cell[] {
  const label = cells[index]!;
  const height = label.y1 - label.y0;
  const out: Cell[] = [];
  for (let r = label.row + 1; r <= label.row + 2; r++) {
    const hit = (byRow.get(r) ?? []).find(
      (c) =>
        c.page === label.page && c.x0 < label.x1 + 2 && c.x1 > label.x0 - 2 && c.y0 - label.y1 < height * 3.5,
    );
    if (hit) out.push(hit);
  }
  return out;
}

/**
 * How much a label match inside a cell is trusted: a label that opens its cell is a label; one
 * deep inside a sentence ("… bitte Ihre Belegnummer 123 angeben") is only a hint.
 */
function labelPositionWeight(text: string, index: number): number {
  const wordsBefore = text.slice(0, index).trim().split(/\s+/).filter(Boolean).length;
  return wordsBefore > 3 ? 0.8 : 1;
}

function describesItem(row: Cell[] | undefined): boolean {
  return (row ?? []).some((c) => /\p{L}{3,}/u.test(c.text.replace(/\b[A-Z]{3}\b/g, '')));
}

/**
 * The places a value may sit relative to a label: the words straight after it in the same cell,
 * the next cells of the row, the cells below; the rest of a long cell only as a last resort, since
 * the value belongs right after its label ("Währung der Umsatzsteuerbuchung: EUR" is not the
 * invoice currency).
 */
function valuePlaces(
  field: FieldName,
  cells: Cell[],
  index: number,
  rest: string,
  byRow: Map<number, Cell[]>,
): Array<[Cell | string, number]> {
  // Amounts are read from the whole rest (the rightmost amount with decimals wins there).
  const head = AMOUNT_FIELDS.has(field)
    ? rest
    : rest
        .replace(/^[\s:#.]+/, '')
        .split(/\s+/)
        .slice(0, 4)
        .join(' ');
  const places: Array<[Cell | string, number]> = [[head, PLACE_WEIGHT.same]];
  const row = byRow.get(cells[index]!.row) ?? [];
  // In a totals row "Total | net | tax | gross" the grand total is the last column.
  if (LAST_COLUMN_FIELDS.has(field) && row.length > 2 && row.at(-1) !== cells[index])
    places.push([row.at(-1)!, PLACE_WEIGHT.right]);
  const right = cellsRightOf(cells, index);
  right.forEach((c, i) => places.push([c, i === 0 ? PLACE_WEIGHT.right : PLACE_WEIGHT.right2]));
  // A label in the header row of the item table heads a column of line amounts, not a total: the
  // row below describes an item. Under a totals table header ("Netto | MwSt | Endbetrag") are
  // only numbers.
  const headerRow = AMOUNT_FIELDS.has(field) && row.length >= 3 && describesItem(byRow.get(row[0]!.row + 1));
  if (!headerRow)
    cellsBelow(cells, index, byRow).forEach((c, i) =>
      places.push([c, i === 0 ? PLACE_WEIGHT.below : PLACE_WEIGHT.below2]),
    );
  if (head !== rest.trim()) places.push([rest, PLACE_WEIGHT.sameFar]);
  return places;
}

/**
 * Totals are printed with decimals and are rarely zero: a bare integer next to a total label is
 * more often a count or a misread, and "Total savings 0.00" is not the amount paid.
 */
function amountPlausibility(field: FieldName, value: string): number {
  if (!AMOUNT_FIELDS.has(field)) return 1;
  if (GRAND_TOTAL_FIELDS.has(field) && /^-?0(?:\.0+)?$/.test(value)) return 0.5;
  return value.includes('.') ? 1 : 0.85;
}

/**
 * The value in the first place that holds one; for amounts a later place wins when its value is
 * more plausible ("Total (incl. tax 7%) | 2.40": the bare 7 inside the label is not the total).
 */
function bestPlace(
  field: FieldName,
  places: Array<[Cell | string, number]>,
  parse: (text: string) => string | null,
  labelCell: Cell,
): { value: string; score: number; cell: Cell } | null {
  let best: { value: string; score: number; cell: Cell } | null = null;
  for (const [place, placeWeight] of places) {
    const value = parse(typeof place === 'string' ? place : place.text);
    if (value === null) continue;
    const score = placeWeight * amountPlausibility(field, value);
    if (!best || score > best.score)
      best = { value, score, cell: typeof place === 'string' ? labelCell : place };
    if (!AMOUNT_FIELDS.has(field) || value.includes('.')) break;
  }
  return best;
}

/**
 * A bare "Total" whose next cell on the row qualifies it ("Total | Excluded Tax", "Total | Qty")
 * is not the grand total: OCR split the label at a wide gap, so the label's own exclusions did
 * not see the qualifier.
 */
const TOTAL_QUALIFIER =
  /^(?:excl\w*|net\w*|tax\w*|before|ht|gst|vat|qty|quantity|items?|discount|savings?|round\w*)\b/iu;

function qualifiedAway(field: FieldName, cell: Cell, next: Cell | undefined): boolean {
  if (!GRAND_TOTAL_FIELDS.has(field) || !/^total\s*:?$/iu.test(cell.text.trim())) return false;
  return next !== undefined && next.row === cell.row && TOTAL_QUALIFIER.test(next.text);
}

/** Finds values next to printed labels for every field that has labels and a parser. */
export function findLabelledCandidates(cells: Cell[]): Candidate[] {
  const byRow = cellsByRow(cells);
  const out: Candidate[] = [];
  cells.forEach((cell, index) => {
    for (const [field, labels] of Object.entries(LABELS) as Array<[FieldName, typeof LABELS.currency]>) {
      const parse = PARSERS[field];
      if (!parse || !labels) continue;
      const label = labels.find((l) => l.pattern.test(cell.text));
      if (!label) continue;
      if (qualifiedAway(field, cell, cells[index + 1])) continue;
      const match = cell.text.match(label.pattern)!;
      const at = match.index ?? 0;
      const rest = cell.text.slice(at + match[0].length);
      const weight = label.weight * labelPositionWeight(cell.text, at);
      const found = bestPlace(field, valuePlaces(field, cells, index, rest, byRow), parse, cell);
      if (found) out.push({ ...found, field, score: weight * found.score, order: index / cells.length });
    }
  });
  return out;
}
