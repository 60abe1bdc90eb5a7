import { fromMinorUnits, toMinorUnits } from '../fields/amount.js';
import type { Finding } from '../types.js';
import type { Candidate } from './label-candidates.js';
import { parseAmountIn } from './parsers.js';
import type { Cell } from './words.js';

/**
 * The VAT summary table under the items ("Bez DPH | DPH | Celkem s DPH", "Netto | MwSt | Brutto",
 * "Montant HT | Montant TVA | Montant TTC", "Netto | VAT | Brutto" on Polish paragony, "Maksustatav |
 * Käibemaks" on Estonian receipts): one row per VAT rate and usually a total row. Net and tax are
 * read by column, under the header that names them, not from the nearest label.
 */

/** A column header for the taxable base. */
const NET_HEADER =
  /(?<!\p{L})(?:bez dph|bez dane|základ|zaklad|netto|net|ht|excl\.?|excluding|base|taxable|maksustatav|km-?ta|wartość netto|kwota netto|sans tva)(?!\p{L})/iu;
/** A column header for the tax amount (checked after the net and the gross headers). */
const TAX_HEADER =
  /(?<!\p{L})(?:dph|daň|mwst|ust|vat|tva|tax|gst|sst|btw|käibemaks|km|podatek|kwota vat|steuer)(?!\p{L})/iu;
/** Gross columns mention tax too ("Celkem s DPH", "TTC", "inkl. MwSt"): never the tax column. */
const GROSS_HEADER =
  /(?<!\p{L})(?:celkem|spolu|total|gesamt|brutto|ttc|s dph|incl\.?|inkl\.?|including|summe|razem|kokku|ogółem|with)(?!\p{L})/iu;
/** The total row of the table. */
const TOTAL_ROW = /^(?:total|celkem|spolu|summe|gesamt|razem|suma|kokku|summa|somme|insgesamt)\b/iu;
/** A rate row: a percentage in the row, and no item description (a few letters at most). */
const RATE = /\d{1,2}(?:[.,]\d{1,2})?\s?%/u;

const MAX_ROWS_UNDER_HEADER = 8;

function overlaps(a: Cell, b: Cell): boolean {
  return Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0) > -2;
}

function amountUnder(header: Cell, row: Cell[]): string | null {
  const cell = row.find((c) => overlaps(c, header) && !RATE.test(c.text));
  return cell ? parseAmountIn(cell.text) : null;
}

function isHeader(cell: Cell, kind: 'net' | 'tax'): boolean {
  if (cell.text.length > 40 || /\d{2,}/u.test(cell.text.replace(RATE, ''))) return false;
  if (kind === 'net') return NET_HEADER.test(cell.text) && !/\bbrutto|ttc|incl|inkl/iu.test(cell.text);
  return TAX_HEADER.test(cell.text) && !NET_HEADER.test(cell.text) && !GROSS_HEADER.test(cell.text);
}

/** Net and tax read from every VAT summary table on the pages, as label candidates. */
export function vatSummaryCandidates(cells: Cell[]): Candidate[] {
  const rows = new Map<number, Cell[]>();
  for (const c of cells) rows.set(c.row, [...(rows.get(c.row) ?? []), c]);
  const out: Candidate[] = [];
  for (const [rowIndex, row] of rows) {
    const net = row.find((c) => isHeader(c, 'net'));
    // The tax column follows the base; a "MwSt" rate column before it is not the tax amount.
    const tax = net && row.find((c) => c.x0 > net.x1 && isHeader(c, 'tax'));
    if (!net || !tax) continue;
    const gross = row.find((c) => c.x0 > tax.x1 && GROSS_HEADER.test(c.text) && c.text.length <= 40);
    let sumNet = 0n;
    let sumTax = 0n;
    let sumGross: bigint | null = gross ? 0n : null;
    let rates = 0;
    for (let r = rowIndex + 1; r <= rowIndex + MAX_ROWS_UNDER_HEADER; r++) {
      const below = rows.get(r);
      if (!below || below[0]!.page !== net.page) break;
      const n = amountUnder(net, below);
      const t = amountUnder(tax, below);
      if (n === null || t === null) {
        if (rates > 0) break;
        continue;
      }
      const order = cells.indexOf(below[0]!) / cells.length;
      if (TOTAL_ROW.test(below[0]!.text)) {
        const cellOf = (h: Cell): Cell => below.find((c) => overlaps(c, h))!;
        out.push({ field: 'totals.net', value: n, score: 1, cell: cellOf(net), order });
        out.push({ field: 'totals.tax', value: t, score: 1, cell: cellOf(tax), order });
        rates = -1;
        break;
      }
      const letters =
        below
          .map((c) => c.text.replace(RATE, ''))
          .join(' ')
          .match(/\p{L}/gu)?.length ?? 0;
      // Group rows between header and total ("Abonnements 24.99 5.00 29.99") are not rates.
      if (!below.some((c) => RATE.test(c.text)) || letters > 25) {
        if (rates > 0) break;
        continue;
      }
      sumNet += toMinorUnits(n);
      sumTax += toMinorUnits(t);
      const g = gross && amountUnder(gross, below);
      sumGross = sumGross !== null && g ? sumGross + toMinorUnits(g) : null;
      rates++;
    }
    if (rates > 0) {
      // Without a total row the rates add up; a sum is less sure than a printed total.
      const cell = row[0]!;
      const order = cells.indexOf(cell) / cells.length;
      out.push({ field: 'totals.net', value: fromMinorUnits(sumNet), score: 0.8, cell: net, order });
      out.push({ field: 'totals.tax', value: fromMinorUnits(sumTax), score: 0.8, cell: tax, order });
      // The gross column of a rate row is that rate's share, not the total: only their sum is.
      if (gross && sumGross !== null)
        out.push({ field: 'totals.gross', value: fromMinorUnits(sumGross), score: 0.75, cell: gross, order });
    }
  }
  return out;
}

/**
 * A receipt or simple invoice that shows only what was paid: net and tax are left empty, not
 * guessed from the gross (a rate cannot be assumed), and the result says why they are missing.
 */
export function missingBreakdownFinding(fields: Partial<Record<string, unknown>>): Finding | null {
  if (!fields['totals.gross'] || fields['totals.net'] || fields['totals.tax']) return null;
  return {
    code: 'vat_breakdown_missing',
    severity: 'info',
    message: 'no VAT breakdown was printed or readable: net and tax are not derived from the gross',
  };
}
