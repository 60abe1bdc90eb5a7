import { normaliseId } from '../fields/ids.js';
import { checkVatId } from '../validate/vat-id.js';
import { BUYER_HEADING, OTHER_HEADING, SELLER_HEADING } from './labels.js';
import { VAT_ID_IN_TEXT } from './parsers.js';
import type { Cell } from './words.js';

export type Party = 'seller' | 'buyer' | 'other' | 'unknown';

export interface PartyValue {
  value: string;
  party: Party;
  score: number;
  cell: Cell;
}

/** The party a heading cell opens, or null when the cell is not a heading. */
export function headingParty(cell: Cell): Party | null {
  // A heading holds no digits: "Odběratel 1" is a name that happens to be a heading word.
  if (cell.text.length >= 60 || /\d/.test(cell.text)) return null;
  // Headings open their line; "MUSTER-KUNDE GMBH" or "Ihre Kundennummer" are not headings.
  const opens = (heading: RegExp): boolean => (cell.text.match(heading)?.index ?? 99) <= 3;
  if (opens(OTHER_HEADING)) return 'other';
  if (opens(BUYER_HEADING)) return 'buyer';
  if (opens(SELLER_HEADING)) return 'seller';
  return null;
}

/**
 * Tracks which party's block each cell is in: a buyer heading ("Käufer", "Odběratel", "Bill to")
 * opens the buyer block until another heading, and so on. Headings in another column only govern
 * cells of that column (left/right address blocks side by side). Delivery addresses, payees and
 * tax representatives open an "other" block so their names and VAT IDs are not taken for either.
 */
export function assignParties(cells: Cell[]): Party[] {
  let section: Party = 'unknown';
  let sectionX = 0;
  let sectionPage = 0;
  let lastY = 0;
  return cells.map((cell) => {
    const heading = headingParty(cell);
    if (heading) {
      [section, sectionX, sectionPage, lastY] = [heading, cell.x0, cell.page, cell.y1];
      return heading;
    }
    if (section === 'unknown' || cell.page !== sectionPage) return 'unknown';
    if (Math.abs(cell.x0 - sectionX) >= 200) return 'unknown';
    // A blank line of more than about two text heights ends an address block.
    if (cell.y0 - lastY > 2 * (cell.y1 - cell.y0)) {
      section = 'unknown';
      return 'unknown';
    }
    lastY = Math.max(lastY, cell.y1);
    return section;
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
