import type { Candidate } from './label-candidates.js';
import { parseDateIn } from './parsers.js';
import type { Cell } from './words.js';

/** "Rechnung Nr. 471102 vom 05.03.2020", "Invoice # 42 issued at …", "Facture 7 du …". */
const DATE_AFTER_NUMBER =
  /^\s*(?:[,(]\s*)?(?:vom|von|from|of|du|dated|issued(?: at| on)?|z dnia|ze dne|date)?\s*:?\s*(\S+(?:\s\S+){0,2})/iu;

/**
 * The issue date printed in the title line right after the invoice number. Title lines carry
 * the number and date of the document itself, so this beats a loose "Datum" elsewhere.
 */
export function titleDateCandidates(numbers: Candidate[], cells: Cell[]): Candidate[] {
  const out: Candidate[] = [];
  for (const c of numbers) {
    const at = c.cell.text.indexOf(c.value);
    if (at < 0) continue;
    const after = c.cell.text.slice(at + c.value.length).match(DATE_AFTER_NUMBER);
    const date = after ? parseDateIn(after[1]!) : null;
    if (date) out.push({ ...c, field: 'issueDate', value: date, score: c.score * 0.95 });
    const below = dateBelowTitle(c.cell, cells);
    if (below)
      out.push({ ...c, field: 'issueDate', value: below.date, cell: below.cell, score: c.score * 0.9 });
  }
  return out;
}

/** A date standing alone in its cell ("24. Januar 2014", "February 17, 2026"), or null. */
function loneDate(cell: Cell): string | null {
  const date = parseDateIn(cell.text);
  const alone = date && cell.text.replace(/[\d.,/\s-]|\p{L}+/gu, '').length === 0 && cell.words.length <= 4;
  return alone ? date : null;
}

/**
 * "Invoice 103767" with the date alone on the next line under it: a title block names the
 * document and its date together.
 */
function dateBelowTitle(title: Cell, cells: Cell[]): { date: string; cell: Cell } | null {
  const next = cells.find(
    (c) => c.page === title.page && c.row === title.row + 1 && c.x0 < title.x1 && c.x1 > title.x0,
  );
  const date = next ? loneDate(next) : null;
  return next && date ? { date, cell: next } : null;
}

/**
 * A date standing alone in the top right of the first page: the date line of a letter-style
 * invoice ("24. Januar 2014"). Weak, it only beats dates found without any label.
 */
export function letterDateCandidates(cells: Cell[]): Candidate[] {
  const first = cells.filter((c) => c.page === 1);
  if (first.length === 0) return [];
  const bottom = Math.max(...first.map((c) => c.y1));
  const right = Math.max(...first.map((c) => c.x1));
  const out: Candidate[] = [];
  for (const cell of first) {
    if (cell.y0 > bottom * 0.45 || cell.x0 < right * 0.5) continue;
    const date = loneDate(cell);
    if (date) out.push({ field: 'issueDate', value: date, score: 0.6, cell, order: 0 });
  }
  return out.slice(0, 1);
}
