import { looksLikeName } from './issuer-block.js';
import { LEGAL_FORM } from './labels.js';
import { needsLetterheadReread, replaceWords } from './letterhead-reread.js';
import type { PartyValue } from './parties.js';
import { buildRows, type Word } from './words.js';

/**
 * The letterhead's third look, for an OCR issuer that is still doubtful after the band was read
 * again: the issuer's line, and the line above it, are read once more as strips of the page at
 * the first pass's scale. A strip holds one line, so the recogniser's layout analysis cannot merge
 * it with the logo or the address around it, and the words it reads come out surer where the
 * page read them poorly ("CoO." read as "CO."). This module says which strips to read and how to
 * combine what they gave; the OCR layer (`ocr/letterhead-pass.ts`) reads them. Pure: word boxes in,
 * a reading out.
 */

/** What a name joined from the line above costs in confidence (a word-for-word reread costs nothing). */
const LINE_PENALTY = 0.05;

/** A horizontal, full-width strip of the page (rows y0..y1), in the page's pixel coordinates. */
export interface Strip {
  y0: number;
  y1: number;
}

/**
 * The strips to read: none when the issuer is sure; else the issuer's line with a third of a line
 * height above and below, and the line height and a half above it (where a name that wrapped
 * before its legal form starts: "POPULAR BOOK" over "CO. (M) SDN BHD").
 */
export function issuerLineStrips(issuer: PartyValue | null): Strip[] {
  // Still doubtful after the first pass and the band: the same test as for the band.
  if (!issuer || !needsLetterheadReread(issuer)) return [];
  const { y0, y1 } = issuer.cell;
  const height = y1 - y0;
  return [
    { y0: Math.max(0, y0 - 0.35 * height), y1: y1 + 0.35 * height },
    { y0: Math.max(0, y0 - 1.6 * height), y1: y0 - 0.1 * height },
  ].filter((s) => s.y1 - s.y0 >= 4);
}

const middle = (w: Word): number => (w.y0 + w.y1) / 2;
const width = (w: Word): number => Math.max(1, w.x1 - w.x0);
const overlapX = (a: Word, b: Word): number => Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);

/**
 * The issuer with each of its words taken from the strip reading where that reading has the
 * same place (more than half of the narrower word overlapping) and the recogniser was surer of
 * it; a reading that would lose (part of) the legal form is not taken. Then a name that wrapped
 * before its legal form gets its first line back (`joinWrappedName`).
 */
export function applyIssuerLineReading(issuer: PartyValue, stripWords: Word[]): PartyValue {
  const { cell } = issuer;
  const onLine = stripWords.filter((w) => middle(w) >= cell.y0 && middle(w) <= cell.y1);
  const better = new Map<Word, Word>();
  for (const word of cell.words) {
    const other = onLine
      .filter((o) => overlapX(word, o) > 0.5 * Math.min(width(word), width(o)))
      .sort((a, b) => (b.confidence ?? 0) - (a.confidence ?? 0))[0];
    if (other && other.text !== word.text && (other.confidence ?? 0) > (word.confidence ?? 100))
      better.set(word, other);
  }
  let read = better.size ? replaceWords(issuer, better) : issuer;
  const form = LEGAL_FORM.exec(issuer.value)?.[0];
  if (form && !read.value.includes(form)) read = issuer;
  return joinWrappedName(
    read,
    stripWords.filter((w) => middle(w) < cell.y0),
  );
}

/**
 * A line that opens with what can only end a name ("& Co.", "Co.", "Company", a suffix legal form
 * such as "Sdn Bhd" or "Ltd") continues the line above it: receipts centre a long name over two
 * lines.
 */
const CONTINUES_NAME =
  /^(?:&|and\s|co\.?(?=\s|$)|company\b|corp(?:oration)?\b|sdn\.?\s*bhd\b|bhd\b|ltd\b|limited\b|llc\b|inc\b|gmbh\b|plc\b|pvt\b|pte\b)/iu;

/**
 * "POPULAR BOOK" over "CO. (M) SDN BHD": the issuer line continues the name, and the nearest line
 * above it in the strip reading, under the same stretch of the page and close above, holds the
 * name's beginning. Joined only when that line reads as a name itself (letters, no address).
 */
function joinWrappedName(issuer: PartyValue, above: Word[]): PartyValue {
  if (!CONTINUES_NAME.test(issuer.value)) return issuer;
  const { cell } = issuer;
  const height = cell.y1 - cell.y0;
  const near = above.filter(
    (w) => w.x1 > cell.x0 - height && w.x0 < cell.x1 + height && cell.y0 - w.y1 < height,
  );
  const line = buildRows(near).at(-1);
  if (!line) return issuer;
  const text = line.words.map((w) => w.text).join(' ');
  if (!looksLikeName(text) || /\d/.test(text)) return issuer;
  const words = [...line.words, ...cell.words];
  return {
    ...issuer,
    value: `${text} ${issuer.value}`,
    score: issuer.score - LINE_PENALTY,
    cell: {
      ...cell,
      words,
      text: `${text} ${cell.text}`,
      x0: Math.min(cell.x0, ...line.words.map((w) => w.x0)),
      y0: Math.min(cell.y0, line.y0),
      x1: Math.max(cell.x1, ...line.words.map((w) => w.x1)),
    },
  };
}
