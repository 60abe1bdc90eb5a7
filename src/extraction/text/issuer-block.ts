import { LEGAL_FORM } from './labels.js';
import type { PartyValue } from './parties.js';
import { VAT_ID_IN_TEXT } from './parsers.js';
import type { Cell } from './words.js';

/**
 * The issuer's letterhead: on receipts and on many invoices the seller is the first block of the
 * page (often the largest text), printed above its address and registration numbers, with no
 * label at all. This module finds that block from word boxes alone, so it works the same on a
 * text layer and on OCR.
 */

/** How many rows from the top of the first page can hold the letterhead. */
const TOP_ROWS = 12;

/**
 * Registration numbers that anchor the issuer's block: EU VAT IDs, national company and tax ids
 * (IČO/DIČ, IČ DPH, NIP, REGON, KRS, registrikood, KMKR, USt-IdNr, Steuernummer, HRB, SIREN/SIRET/RCS,
 * KvK), and common non-EU ones (GST / GSTIN, SST, ABN, EIN, a Malaysian "(123456-X)" company number).
 */
export const REGISTRATION_ANCHOR = new RegExp(
  [
    String.raw`(?<!\p{L})(?:i[cč]o|di[cč]|i[cč]\s?dph|nip|regon|krs|registrikood|reg\.?\s?kood|kmkr|ust\.?-?id(?:nr)?|uid|steuer-?nr|hr[ab]|siren|siret|rcs|kvk|btw|gst(?:in)?|sst|abn|ein|vat|tva|co\.?\s?(?:reg|no)|company\s?(?:reg|no)|reg(?:istration)?\.?\s?no)(?!\p{L})`,
    String.raw`\(?\b\d{4,12}[-\s]?[A-Z]\)?(?!\p{L})`,
  ].join('|'),
  'iu',
);

/** Address, contact and web lines: part of the block, never the name. */
const ADDRESS_OR_CONTACT =
  /\d{3,}|@|www\.|https?:|^no\.?\s*\d|(?<!\p{L})(?:tel|telefon|telephone|phone|fax|e-?mail|jalan|jln|lorong|taman|lot|road|rd\.|street|st\.|avenue|straße|strasse|str\.|ulice|ul\.|rue|iban|bic)(?!\p{L})/iu;

/** Titles and receipt headers printed above or below the letterhead. */
const DOCUMENT_TITLE =
  /^(?:(?:simplified\s+)?tax\s+invoice|invoice|factuur|receipt|official\s+receipt|cash\s+(?:bill|sale|receipt)|rechnung|quittung|kassenbon|beleg|faktura|faktúra|daňový doklad|paragon(?: fiskalny)?|arve|kviitung|facture|reçu|ticket)\b/iu;

const TRAILING_TITLE = /\s+(?:tax\s+)?(?:invoice|receipt|rechnung|faktura|factuur|facture)\.?$/iu;

/**
 * A company number printed after the name on its line ("GARDENIA BAKERIES (KL) SDN BHD (139386 X)"):
 * dropped when what stays before it carries a legal form, so the line still counts as a name.
 */
const TRAILING_COMPANY_NUMBER = /\s*\(\s*\d{4,8}(?:[-\s]?[A-Z])?\s*\)?$/u;

function dropCompanyNumber(text: string): string {
  const name = text.replace(TRAILING_COMPANY_NUMBER, '');
  return name !== text && LEGAL_FORM.test(name) ? name : text;
}

/** "Owned by:" / "Operated by:" in front of the company that runs a shop. */
const OWNER_PREFIX = /^(?:own(?:ed)?|operated|managed)\s+by\s*:?\s*/iu;

/** OCR confusions inside the Malaysian "Sdn Bhd" (8/E for B, I for N): a known legal form, repaired. */
function repairLegalForm(text: string): string {
  return text.replace(/\bSD[NI]\.?\s+[8BE]HD\b/gu, 'SDN BHD').replace(/\bSdn\.?\s+[8E]hd\b/gu, 'Sdn Bhd');
}

/**
 * Drops OCR noise at the ends of a line: rules and specks read as "|", "—", single letters, and
 * short tokens mixing digits and letters ("3E") next to the name.
 */
function trimNoise(text: string): string {
  const tokens = text.split(/\s+/).filter(Boolean);
  const noise = (t: string): boolean =>
    t.length <= 2 && !LEGAL_FORM.test(t) && (t.length === 1 || !/^\p{L}+$/u.test(t) || /\d/.test(t));
  while (tokens.length && noise(tokens[0]!)) tokens.shift();
  while (tokens.length && noise(tokens.at(-1)!)) tokens.pop();
  return tokens.join(' ');
}

/** A plausible company or shop name: mostly letters, at least one real word, not too long. */
export function looksLikeName(text: string): boolean {
  if (text.length < 4 || text.length > 70) return false;
  const letters = text.match(/\p{L}/gu)?.length ?? 0;
  if (letters < 4 || letters / text.replace(/\s/g, '').length < 0.6) return false;
  const words = text.split(/\s+/).filter((w) => /\p{L}{2,}/u.test(w));
  if (words.length < 2 && !/\p{L}{5,}/u.test(text)) return false;
  if (DOCUMENT_TITLE.test(text) || /^[^:]{1,30}:\s*\S/u.test(text)) return false;
  // A legal form makes a name of a line that also holds a place ("… (Taman Daya) Sdn Bhd").
  return LEGAL_FORM.test(text) ? !/\d{3,}|@|www\./u.test(text) : !ADDRESS_OR_CONTACT.test(text);
}

/** Cells of one row joined where they are only a few text heights apart (spaced-out letterheads). */
function rowGroups(row: Cell[]): Cell[] {
  const groups: Cell[] = [];
  for (const cell of [...row].sort((a, b) => a.x0 - b.x0)) {
    const last = groups.at(-1);
    const height = Math.max(cell.y1 - cell.y0, 1);
    if (last && cell.x0 - last.x1 < 3 * height) {
      groups[groups.length - 1] = {
        ...last,
        text: `${last.text} ${cell.text}`,
        words: [...last.words, ...cell.words],
        x1: Math.max(last.x1, cell.x1),
        y0: Math.min(last.y0, cell.y0),
        y1: Math.max(last.y1, cell.y1),
      };
    } else groups.push(cell);
  }
  return groups;
}

function isRegistrationLine(text: string): boolean {
  return REGISTRATION_ANCHOR.test(text) || new RegExp(VAT_ID_IN_TEXT.source, 'u').test(text);
}

/** A line the letterhead sits above: a registration number or the document's title ("* TAX INVOICE *"). */
export function closesLetterhead(text: string): boolean {
  return isRegistrationLine(text) || DOCUMENT_TITLE.test(text.replace(/^[^\p{L}]+/u, ''));
}

function union(a: Cell, b: Cell): Cell {
  return {
    ...a,
    text: `${a.text} ${b.text}`,
    words: [...a.words, ...b.words],
    x0: Math.min(a.x0, b.x0),
    y0: Math.min(a.y0, b.y0),
    x1: Math.max(a.x1, b.x1),
    y1: Math.max(a.y1, b.y1),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

interface Line {
  cell: Cell;
  text: string;
  row: number;
}

/**
 * The issuer named by the letterhead: among the first rows of page 1, up to the first address or
 * registration line that follows a name, the line with a legal form, else the tallest name-like
 * line, else the one right above the anchor. The score says how much of that evidence was seen:
 * a legal form, an anchoring registration number under it, text larger than the page's body.
 */
export function letterheadIssuer(cells: Cell[]): PartyValue | null {
  const page = cells.filter((c) => c.page === 1);
  if (page.length === 0) return null;
  const bodyHeight = median(page.map((c) => c.y1 - c.y0));
  const rows = new Map<number, Cell[]>();
  for (const c of page) rows.set(c.row, [...(rows.get(c.row) ?? []), c]);
  const candidates: Line[] = [];
  let anchored = false;
  for (const [row, rowCells] of [...rows.entries()].slice(0, TOP_ROWS)) {
    const groups = rowGroups(rowCells);
    const rowText = groups.map((g) => g.text).join(' ');
    const names = groups
      .map((g) => ({
        cell: g,
        text: trimNoise(dropCompanyNumber(repairLegalForm(g.text))).replace(OWNER_PREFIX, ''),
        row,
      }))
      .filter((l) => looksLikeName(l.text));
    // The first registration or address line closes the letterhead; a name after it is part of
    // the address (the town) or of the document, not the issuer.
    if (names.length === 0 && isRegistrationLine(rowText)) {
      anchored = candidates.length > 0;
      break;
    }
    const letters = rowText.match(/\p{L}/gu)?.length ?? 0;
    const address = letters >= 4 && ADDRESS_OR_CONTACT.test(rowText);
    if (address && !names.some((l) => LEGAL_FORM.test(l.text))) break;
    candidates.push(...names);
  }
  if (candidates.length === 0) return null;
  const height = (l: Line): number => l.cell.y1 - l.cell.y0;
  const withForm = candidates.find((l) => LEGAL_FORM.test(l.text));
  const tallest = [...candidates].sort((a, b) => height(b) - height(a))[0]!;
  const large = height(tallest) >= 1.25 * bodyHeight && candidates.length > 1;
  let chosen = withForm ?? (large ? tallest : candidates.at(-1)!);
  // "MVM Musterhafter" / "Versicherungsverein Musterstadt a.G.": a name that wrapped before its
  // legal form is one name, when both lines start in the same column, one under the other.
  const above = withForm && candidates.find((l) => l.row === withForm.row - 1);
  if (
    above &&
    !LEGAL_FORM.test(above.text) &&
    Math.abs(above.cell.x0 - withForm.cell.x0) <= 3 &&
    withForm.cell.y0 - above.cell.y1 < height(withForm)
  )
    chosen = { ...withForm, text: `${above.text} ${withForm.text}`, cell: union(above.cell, withForm.cell) };
  const score =
    0.4 + (withForm ? 0.2 : 0) + (anchored ? 0.1 : 0) + (height(chosen) >= 1.25 * bodyHeight ? 0.05 : 0);
  const { cell } = chosen;
  // "Amazon Web Services Invoice": the title printed beside the brand is not part of it.
  const value = chosen.text.replace(TRAILING_TITLE, '').replace(/[\s,;:]+$/u, '');
  return { value, party: 'seller', score, cell };
}
