import { fromMinorUnits, toMinorUnits } from '../fields/amount.js';
import type { FieldName } from '../types.js';
import type { Candidate } from './label-candidates.js';
import { parseAmountIn } from './parsers.js';
import type { Cell } from './words.js';

/** Tender lines on receipts: what the customer handed over. */
const TENDER = /^(?:cash|tunai|tender(?:ed)?|paid|amount paid|cash paid)\b/iu;
/** Change given back; "cash - change" is what the receipt totalled. */
const CHANGE = /\b(?:change(?: due)?|baki|kembalian)\b/iu;
/** Rounding adjustment rows (cash payments are rounded to the smallest coin). */
const ROUNDING = /^round(?:ing)?\b(?!.*\btotal\b)/iu;
/**
 * Headings of the tax breakdown printed under the total; a "Total" row there sums the taxable
 * amounts and tax of one rate, not the amount paid.
 */
const SUMMARY_HEADING = /(?:gst|tax|vat|mwst)\s*summary|(?:gst|tax|vat) analysis/iu;

type ByField = Map<FieldName, Candidate[]>;

/** The amount printed on the same row as a label cell: in the cell after the label, or to its right. */
function rowAmount(cells: Cell[], index: number, label: RegExp): string | null {
  const cell = cells[index]!;
  const rest = cell.text.replace(label, '');
  const right = cells.slice(index + 1).filter((c) => c.row === cell.row);
  const text = [rest, ...right.map((c) => c.text)].join(' ');
  return parseAmountIn(text);
}

function firstRowAmount(cells: Cell[], label: RegExp): { value: string; cell: Cell } | null {
  for (const [i, cell] of cells.entries()) {
    if (!label.test(cell.text)) continue;
    const value = rowAmount(cells, i, label);
    // Tender and change are printed with decimals; a bare number there is a misread ("CHANGE 00").
    if (value !== null) return value.includes('.') ? { value, cell } : null;
  }
  return null;
}

/** Cash tendered minus change returned, when both are printed and the difference is positive. */
export function totalFromTender(cells: Cell[]): { value: string; cell: Cell } | null {
  const cash = firstRowAmount(cells, TENDER);
  const change = firstRowAmount(cells, CHANGE);
  if (!cash || !change) return null;
  const total = toMinorUnits(cash.value) - toMinorUnits(change.value);
  return total > 0n ? { value: fromMinorUnits(total), cell: cash.cell } : null;
}

/** Lowers totals read inside a tax summary block, which comes after the real total on receipts. */
function demoteSummaryTotals(byField: ByField, cells: Cell[]): void {
  const heading = cells.find((c) => SUMMARY_HEADING.test(c.text));
  if (!heading) return;
  for (const field of ['totals.gross', 'totals.due'] as const)
    for (const c of byField.get(field) ?? [])
      if (c.cell.page === heading.page && c.cell.row > heading.row && c.cell.row - heading.row <= 8)
        c.score *= 0.5;
}

/**
 * "Total 41.48 / Rounding 0.02 / … 41.50": the rounding-adjusted total is the amount paid; it is
 * accepted only when that amount is printed again below the rounding row (a tender or total line).
 */
function roundedTotals(byField: ByField, cells: Cell[]): Candidate[] {
  const rounding = firstRowAmount(cells, ROUNDING);
  if (!rounding || toMinorUnits(rounding.value) === 0n) return [];
  const below = new Set(
    cells
      .filter((c) => c.row > rounding.cell.row)
      .map((c) => parseAmountIn(c.text))
      .filter((v): v is string => v !== null)
      .map((v) => toMinorUnits(v)),
  );
  const out: Candidate[] = [];
  const step = toMinorUnits(rounding.value);
  for (const g of byField.get('totals.gross') ?? []) {
    if (g.cell.row > rounding.cell.row) continue;
    for (const adjusted of [toMinorUnits(g.value) + step, toMinorUnits(g.value) - step])
      if (below.has(adjusted)) out.push({ ...g, value: fromMinorUnits(adjusted), score: g.score + 0.1 });
  }
  return out;
}

/**
 * Receipt rules on top of the labelled totals: tax-summary rows are demoted, a rounding-adjusted
 * total confirmed on the page is added, and "cash - change" backs the total it equals (or stands
 * in when no total label was readable).
 */
export function applyReceiptRules(byField: ByField, cells: Cell[]): void {
  demoteSummaryTotals(byField, cells);
  const grosses = byField.get('totals.gross') ?? [];
  grosses.push(...roundedTotals(byField, cells));
  const tender = totalFromTender(cells);
  if (tender) {
    const units = toMinorUnits(tender.value);
    const agreeing = grosses.filter((g) => toMinorUnits(g.value) === units);
    for (const g of agreeing) g.score += 0.3;
    if (agreeing.length === 0) grosses.push({ field: 'totals.gross', ...tender, score: 0.6, order: 0 });
  }
  if (grosses.length) byField.set('totals.gross', grosses);
}
