import { letterheadIssuer } from './issuer-block.js';
import { LEGAL_FORM } from './labels.js';
import type { PartyValue } from './parties.js';
import { buildCells, buildRows, type Cell, type Word } from './words.js';

/**
 * A second look at the letterhead of an OCRed page. The first OCR pass reads the whole page at one
 * scale; the issuer's name is often the largest, boldest or most stylised text there, which that
 * pass drops or misreads ("Gld Town" for "OLD TOWN", nothing at all for a bold banner). The OCR
 * layer re-reads only the top band of the page, enlarged, when the first pass found no issuer or
 * read it with low confidence; this module decides when, where, and which reading to keep. It
 * works on word boxes alone, so it stays pure.
 */

/** Below this recogniser confidence (0..100) a word of the issuer's name may be misread. */
export const DOUBTFUL_WORD = 85;

/** How far down the page the band may reach, as a share of its height. */
const MAX_BAND_SHARE = 1 / 3;

/** What a second reading costs in confidence: it was needed because the first one was unsure. */
const REREAD_PENALTY = 0.05;

/** The issuer's words with their recogniser confidence (a text layer has none: nothing to doubt). */
function confidences(value: PartyValue): number[] {
  return value.cell.words.map((w) => w.confidence ?? 100);
}

/** Whether the top band is worth a second OCR pass: no issuer, or one with a doubtful word. */
export function needsLetterheadReread(issuer: PartyValue | null): boolean {
  return !issuer || confidences(issuer).some((c) => c < DOUBTFUL_WORD);
}

/**
 * The band to re-read, from the top of the page to just below the first registration line or
 * document title the first pass found (the letterhead sits above both), at most the top third.
 */
export function letterheadBand(
  cells: Cell[],
  pageHeight: number,
  isBoundary: (text: string) => boolean,
): number {
  const limit = pageHeight * MAX_BAND_SHARE;
  const rows = new Map<number, Cell[]>();
  for (const c of cells) if (c.page === 1) rows.set(c.row, [...(rows.get(c.row) ?? []), c]);
  for (const row of rows.values()) {
    const y0 = Math.min(...row.map((c) => c.y0));
    if (y0 > limit) break;
    if (!isBoundary(row.map((c) => c.text).join(' '))) continue;
    const y1 = Math.max(...row.map((c) => c.y1));
    // Two line heights of margin: a name printed tight above the boundary stays whole.
    return Math.min(limit, y1 + 2 * (y1 - y0));
  }
  return limit;
}

function overlaps(a: Cell, b: Cell): boolean {
  const dx = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const dy = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  return dx > 0 && dy > 0.5 * Math.min(a.y1 - a.y0, b.y1 - b.y0);
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);

/**
 * The better of two readings of the letterhead. A reading where the first found nothing is taken
 * as it is. Two readings of the same line with the same words are merged word by word, each word
 * from the reading the recogniser was surer of (so "YHH" read at 75 gives way to "YHM" read at 82),
 * unless that would lose (part of) the legal form the first reading had. A second reading of another line
 * replaces the first only when the first was mostly doubtful and the second is not. Whatever the
 * second pass contributed costs a little confidence.
 */
export function chooseLetterheadReading(
  first: PartyValue | null,
  second: PartyValue | null,
): PartyValue | null {
  if (!second) return first;
  const reread = { ...second, score: second.score - REREAD_PENALTY };
  if (!first) return reread;
  const a = first.cell.words;
  const b = second.cell.words;
  const same = overlaps(first.cell, second.cell);
  // "BAKERIES (KL) SDN BHD" read again as "GARDERIA BAKERIES (KL) SDN BHD": the longer reading of
  // the same line has the word the first pass dropped.
  if (same && contains(tokens(second.value), tokens(first.value)) && b.length > a.length) return reread;
  if (same && a.length === b.length && a.length > 0) {
    const better = new Map<Word, Word>();
    a.forEach((w, i) => {
      const other = b[i]!;
      if ((other.confidence ?? 0) > (w.confidence ?? 100) && other.text !== w.text) better.set(w, other);
    });
    if (better.size === 0) return first;
    const merged = replaceWords(first, better);
    const form = LEGAL_FORM.exec(first.value)?.[0];
    return form && !merged.value.includes(form) ? first : merged;
  }
  return mean(confidences(first)) < 60 && mean(confidences(second)) >= DOUBTFUL_WORD ? reread : first;
}

const tokens = (value: string): string[] => value.toLowerCase().split(/\s+/).filter(Boolean);

/** Whether `part` occurs in `whole` as a run of consecutive tokens. */
function contains(whole: string[], part: string[]): boolean {
  if (part.length === 0 || part.length >= whole.length) return false;
  for (let i = 0; i + part.length <= whole.length; i++)
    if (part.every((t, j) => whole[i + j] === t)) return true;
  return false;
}

/** Levenshtein distance; lengths two or more apart answer 2 at once (only "one apart" matters). */
function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 1) return 2;
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** "OLD" written in the case of "Gld": "Old". */
function inCaseOf(template: string, text: string): string {
  if (template === template.toUpperCase()) return text.toUpperCase();
  if (template === template.toLowerCase()) return text.toLowerCase();
  return text.charAt(0).toUpperCase() + text.slice(1).toLowerCase();
}

/**
 * Corrects a doubtful word of the issuer's name from the page itself: the same name is often
 * printed twice (a brand line above the legal name, a footer, "Gardenia's products"), and a word one
 * character away that the recogniser read more surely elsewhere on the page is the better reading.
 * Only doubtful words of three letters or more, and only with that evidence: nothing is corrected
 * from a dictionary.
 */
export function correctFromPage(issuer: PartyValue, words: Word[]): PartyValue {
  const own = new Set(issuer.cell.words);
  const better = new Map<Word, Word>();
  // Witnesses: the page's other words, without their punctuation or possessive ("Gardenia's").
  const witnesses = words
    .filter((o) => !own.has(o))
    .map((o) => ({ word: o, text: o.text.replace(/['’]s$/u, '').replace(/^\P{L}+|\P{L}+$/gu, '') }))
    .filter((o) => /^\p{L}{3,}$/u.test(o.text));
  for (const w of issuer.cell.words) {
    if ((w.confidence ?? 100) >= DOUBTFUL_WORD || !/^\p{L}{3,}$/u.test(w.text)) continue;
    const lower = w.text.toLowerCase();
    const witness = witnesses.find(
      (o) =>
        (o.word.confidence ?? 100) > (w.confidence ?? 100) &&
        o.text.toLowerCase() !== lower &&
        distance(o.text.toLowerCase(), lower) === 1,
    );
    if (witness)
      better.set(w, { ...w, text: inCaseOf(w.text, witness.text), confidence: witness.word.confidence });
  }
  return better.size ? replaceWords(issuer, better) : issuer;
}

/**
 * The issuer with some of its words read differently. The value is rebuilt token by token, so what
 * the letterhead rules did to it (an owner prefix dropped, a legal form repaired, a title cut) stays.
 */
export function replaceWords(issuer: PartyValue, better: Map<Word, Word>): PartyValue {
  const byText = new Map([...better].map(([from, to]) => [from.text, to.text]));
  const value = issuer.value
    .split(' ')
    .map((token) => byText.get(token) ?? token)
    .join(' ');
  const words = issuer.cell.words.map((w) => better.get(w) ?? w);
  return {
    ...issuer,
    value,
    score: issuer.score - REREAD_PENALTY,
    cell: { ...issuer.cell, words, text: words.map((w) => w.text).join(' ') },
  };
}

/**
 * The issuer named by the letterhead: the first reading, or the better of two readings (`band`,
 * the top band read again), with a doubtful OCR word corrected from the rest of the page where it
 * prints the same word clearly.
 */
export function readLetterheadIssuer(
  cells: Cell[],
  words: Word[],
  band: Word[] | null | undefined,
): PartyValue | null {
  const first = letterheadIssuer(cells);
  const issuer = band?.length
    ? chooseLetterheadReading(first, letterheadIssuer(buildCells(buildRows(band))))
    : first;
  return issuer && correctFromPage(issuer, words);
}
