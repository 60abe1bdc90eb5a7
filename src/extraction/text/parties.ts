import { normaliseId } from '../fields/ids.js';
import { checkVatId } from '../validate/vat-id.js';
import { BUYER_HEADING, LEGAL_FORM, OTHER_HEADING, SELLER_HEADING } from './labels.js';
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
  // "Lieferant GmbH" is a company called Lieferant, not a heading; "Lieferant: Muster GmbH" and
  // "Sold by X Ltd" are headings with the name on their line.
  if (LEGAL_FORM.test(cell.text) && !/^(?:\S+\s+){0,2}?\S+\s*:|^sold by\b/iu.test(cell.text)) return null;
  // Headings open their line; "MUSTER-KUNDE GMBH" or "Ihre Kundennummer" are not headings.
  const opens = (heading: RegExp): boolean => (cell.text.match(heading)?.index ?? 99) <= 3;
  if (opens(OTHER_HEADING)) return 'other';
  if (opens(BUYER_HEADING)) return 'buyer';
  if (opens(SELLER_HEADING)) return 'seller';
  return null;
}

/** An open party block: the heading's column, page and the bottom of its last line. */
interface Section {
  party: Party;
  x: number;
  page: number;
  lastY: number;
}

/**
 * Tracks which party's block each cell is in: a buyer heading ("Käufer", "Odběratel", "Bill to")
 * opens the buyer block until another heading in its column, and so on. Blocks side by side
 * (seller left, delivery address and buyer right) stay open at once: a cell belongs to the
 * nearest open heading at or left of it. Delivery addresses, payees and tax representatives open
 * an "other" block so their names and VAT IDs are not taken for either.
 */
export function assignParties(cells: Cell[]): Party[] {
  let sections: Section[] = [];
  return cells.map((cell) => {
    const heading = headingParty(cell);
    if (heading) {
      sections = sections.filter((s) => s.page === cell.page && Math.abs(s.x - cell.x0) >= 100);
      sections.push({ party: heading, x: cell.x0, page: cell.page, lastY: cell.y1 });
      return heading;
    }
    const owner = sections
      .filter((s) => s.page === cell.page && s.x <= cell.x0 + 20 && cell.x0 - s.x < 260)
      .sort((a, b) => b.x - a.x)[0];
    if (!owner) return 'unknown';
    // A blank line of more than about two text heights ends an address block.
    if (cell.y0 - owner.lastY > 2 * (cell.y1 - cell.y0)) {
      sections = sections.filter((s) => s !== owner);
      return 'unknown';
    }
    owner.lastY = Math.max(owner.lastY, cell.y1);
    return owner.party;
  });
}

/**
 * Tax ids printed after their label without an EU country prefix: the Polish NIP (stored with its
 * PL prefix once its checksum holds), India's GSTIN, Australia's ABN, the US EIN and Malaysia's
 * GST / SST registration numbers. They stand where a VAT ID stands on those countries' invoices.
 */
const LABELLED_TAX_IDS: Array<{ pattern: RegExp; value: (m: RegExpMatchArray) => string | null }> = [
  {
    pattern: /(?<!\p{L})NIP\s*:?\s*(\d{3}-?\d{3}-?\d{2}-?\d{2}|\d{3}-?\d{2}-?\d{2}-?\d{3})(?!\d)/iu,
    value: (m) => {
      const vat = `PL${m[1]!.replace(/-/g, '')}`;
      return checkVatId(vat) === null ? vat : null;
    },
  },
  {
    pattern: /(?<!\p{L})GSTIN\s*(?:no\.?|number)?\s*:?\s*(\d{2}[A-Z]{5}\d{4}[A-Z][0-9A-Z]Z[0-9A-Z])\b/iu,
    value: (m) => m[1]!.toUpperCase(),
  },
  {
    pattern: /(?<!\p{L})ABN\s*:?\s*(\d{2}\s?\d{3}\s?\d{3}\s?\d{3})(?!\d)/iu,
    value: (m) => m[1]!.replace(/\s/g, ''),
  },
  {
    pattern: /(?<!\p{L})(?:EIN|federal tax id)\s*(?:no\.?|#)?\s*:?\s*(\d{2}-\d{7})(?!\d)/iu,
    value: (m) => m[1]!.replace('-', ''),
  },
  {
    pattern:
      /(?<!\p{L})(?:GST|SST)\s*(?:ID|REG(?:\.|istration)?)?\s*(?:NO\.?)?\s*:?\s*(\d{12}|[A-Z]\d{2}-\d{4}-\d{8})(?!\d)/iu,
    value: (m) => m[1]!.replace(/-/g, '').toUpperCase(),
  },
];

/** Tax ids without an EU prefix, after their label (see `LABELLED_TAX_IDS`). */
function labelledTaxIds(cells: Cell[], parties: Party[]): PartyValue[] {
  const out: PartyValue[] = [];
  cells.forEach((cell, i) => {
    const next = cells[i + 1]?.row === cell.row ? cells[i + 1]!.text : '';
    const text = `${cell.text} ${next}`;
    for (const { pattern, value } of LABELLED_TAX_IDS) {
      const m = text.match(pattern);
      const id = m && value(m);
      if (!id || (m.index ?? 0) >= cell.text.length) continue;
      const before = cell.text.slice(0, m.index);
      const party = BUYER_HEADING.test(before) ? 'buyer' : (parties[i] ?? 'unknown');
      out.push({ value: id, party, score: 0.8, cell });
    }
  });
  return out;
}

/** VAT IDs printed anywhere, attributed to seller or buyer by label and block. */
export function findVatIds(cells: Cell[], parties: Party[]): PartyValue[] {
  const out: PartyValue[] = labelledTaxIds(cells, parties);
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
