import { normaliseId } from '../fields/ids.js';
import { checkVatId } from '../validate/vat-id.js';
import { BUYER_HEADING, LEGAL_FORM, SELLER_HEADING } from './labels.js';
import { VAT_ID_IN_TEXT } from './parsers.js';
import type { Cell } from './words.js';

export type Party = 'seller' | 'buyer' | 'unknown';

export interface PartyValue {
  value: string;
  party: Party;
  score: number;
  cell: Cell;
}

/**
 * Tracks which party's block each cell is in: a buyer heading ("Käufer", "Odběratel", "Bill to")
 * opens the buyer block until a seller heading, and vice versa. Headings in another column only
 * govern cells of that column (left/right address blocks side by side).
 */
export function assignParties(cells: Cell[]): Party[] {
  let section: Party = 'unknown';
  let sectionX = 0;
  let sectionPage = 0;
  return cells.map((cell) => {
    if (BUYER_HEADING.test(cell.text) && cell.text.length < 60) {
      section = 'buyer';
      sectionX = cell.x0;
      sectionPage = cell.page;
      return 'buyer';
    }
    if (SELLER_HEADING.test(cell.text) && cell.text.length < 60) {
      section = 'seller';
      sectionX = cell.x0;
      sectionPage = cell.page;
      return 'seller';
    }
    if (section === 'unknown' || cell.page !== sectionPage) return 'unknown';
    const width = Math.abs(cell.x0 - sectionX);
    return width < 200 ? section : 'unknown';
  });
}

/** VAT IDs printed anywhere, attributed to seller or buyer by label and block. */
export function findVatIds(cells: Cell[], parties: Party[]): PartyValue[] {
  const out: PartyValue[] = [];
  cells.forEach((cell, i) => {
    for (const m of cell.text.matchAll(VAT_ID_IN_TEXT)) {
      const value = normaliseId(m[0]);
      const before =
        cell.text.slice(0, m.index) + ' ' + (cells[i - 1]?.row === cell.row ? cells[i - 1]!.text : '');
      let party = parties[i] ?? 'unknown';
      if (BUYER_HEADING.test(before)) party = 'buyer';
      const valid = checkVatId(value.replace(/^CHE/, 'CH')) === null;
      const labelled = /ust|uid|vat|tva|dič|dph|nip|kmkr|steuer|mwst|btw|iva/i.test(before);
      out.push({ value, party, score: (valid ? 0.7 : 0.45) + (labelled ? 0.2 : 0), cell });
    }
  });
  return out;
}

const NAME_LABEL = /^(?:name|firma|název|názov|nazwa|nimi|raison sociale|company)\s*:?\s*/i;
const NOT_A_NAME =
  /\d{4,}|@|www\.|http|straße|strasse|str\.|tel|fax|iban|bic|ust|vat|steuer|amtsgericht|hrb|geschäftsführ/i;

/** Company names: a "Name:" value or a line with a legal form, scored by block and position. */
export function findNames(cells: Cell[], parties: Party[]): PartyValue[] {
  const out: PartyValue[] = [];
  cells.forEach((cell, i) => {
    const party = parties[i] ?? 'unknown';
    let text = cell.text;
    let score = 0;
    if (NAME_LABEL.test(text)) {
      text = text.replace(NAME_LABEL, '') || (cells[i + 1]?.row === cell.row ? cells[i + 1]!.text : '');
      score = 0.75;
    } else if (LEGAL_FORM.test(text) && text.length <= 70) {
      score = 0.6;
    } else if (
      i > 0 &&
      (parties[i - 1] ?? 'unknown') !== 'unknown' &&
      isHeading(cells[i - 1]!) &&
      cells[i - 1]!.row < cell.row
    ) {
      score = 0.5; // the first line under a party heading
    }
    text = text
      .replace(
        /^(?:sold by|verkäufer|lieferant|dodavatel|dodávateľ|sprzedawca|müüja|vendeur|seller|supplier)\s*:?\s*/i,
        '',
      )
      .trim();
    if (score === 0 || text.length < 3 || NOT_A_NAME.test(text)) return;
    out.push({ value: text, party, score: score - Math.min(0.2, i / cells.length / 2), cell });
  });
  return out;
}

function isHeading(cell: Cell): boolean {
  return (BUYER_HEADING.test(cell.text) || SELLER_HEADING.test(cell.text)) && cell.text.length < 40;
}
