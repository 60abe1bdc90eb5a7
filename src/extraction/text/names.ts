import { LEGAL_FORM } from './labels.js';
import { headingParty, type Party, type PartyValue } from './parties.js';
import type { Cell } from './words.js';

/** A "Name:" label opening its cell: a whole word ("Namesti 5" is a street, "Firmament" a name). */
const NAME_LABEL = /^(?:name|firma|název|názov|nazwa|nimi|raison sociale|company)(?!\p{L})\s*:?\s*/iu;
/** A party heading in front of the name on the same line ("Verkäufer: Lieferant GmbH"). */
const PARTY_PREFIX =
  /^(?:sold by\s*:?|(?:verkäufer|lieferant|dodavatel|dodávateľ|sprzedawca|müüja|vendeur|seller|supplier)\s*:)\s*/iu;
const SOLD_BY_IN_SENTENCE = /^.{0,80}?\b(?:sold|issued|operated|provided|invoiced) by\s+/iu;
/** Address, contact and register lines: never a company or person name. */
const NOT_A_NAME =
  /\d{3,}|@|www\.|https?:|straße|strasse|str\.|(?<!\p{L})(?:tel|fax|iban|bic|ust|vat|steuer|amtsgericht|hrb|geschäftsführ|postfach|rue|ul\.)(?!\p{L})/iu;
/** A line that is only a form of address; the name continues on the next line. */
const SALUTATION = /^(?:herrn?|frau|firma|mr\.?|mrs\.?|ms\.?|monsieur|madame|mme\.?|pan|paní|pani)$/iu;
/** "Label: value" lines inside an address block (customer number, GLN, contact). */
const LABEL_LINE = /^[^:]{1,30}:/u;
/** The sender line printed above the address window: name ● street ● postcode town. */
const RETURN_LINE_SEPARATOR = /\s+[●•·|]\s+|\s+[-–—−]\s+/u;

/** Cells grouped by row index, for looking at the lines above and below a cell. */
function rowsOf(cells: Cell[]): Map<number, Cell[]> {
  const rows = new Map<number, Cell[]>();
  for (const c of cells) rows.set(c.row, [...(rows.get(c.row) ?? []), c]);
  return rows;
}

/** True when the cell is the label of a "label : value" row (the value cell starts with a colon). */
function isRowLabel(cell: Cell, rows: Map<number, Cell[]>): boolean {
  const row = rows.get(cell.row) ?? [];
  return row[row.indexOf(cell) + 1]?.text.startsWith(':') ?? false;
}

/**
 * A heading stands on its own: "N° TVA client  FR903…" is a label with its value, not the
 * heading of an address block.
 */
function isBlockHeading(cell: Cell, rows: Map<number, Cell[]>): boolean {
  const row = rows.get(cell.row) ?? [];
  const next = row[row.indexOf(cell) + 1];
  return cell.text.length <= 40 && !(next && /\d/.test(next.text) && next.x0 - cell.x1 < 200);
}

function isNameLike(text: string): boolean {
  return /\p{L}{2}/u.test(text) && text.length <= 70 && !NOT_A_NAME.test(text) && !LABEL_LINE.test(text);
}

/** The cell of a row that sits in the column starting at `x` (within `slack` points). */
function cellAt(rows: Map<number, Cell[]>, row: number, x: number, slack: number): Cell | undefined {
  return rows.get(row)?.find((c) => Math.abs(c.x0 - x) <= slack);
}

/**
 * Joins a name with the line below when the first line is only a salutation ("Herrn") or when the
 * name wrapped and the legal form sits on the second line ("MVM Musterhafter" / "… a.G.").
 */
function joinWrappedName(first: Cell, rows: Map<number, Cell[]>): string {
  const next = cellAt(rows, first.row + 1, first.x0, 3);
  const close = next && next.page === first.page && next.y0 - first.y1 < (first.y1 - first.y0) * 1.2;
  if (!next || !close || !isNameLike(next.text)) return first.text;
  const wrapped = LEGAL_FORM.test(next.text) && !LEGAL_FORM.test(first.text);
  return SALUTATION.test(first.text) || wrapped ? `${first.text} ${next.text}` : first.text;
}

/** "Name: value" rows; a value that wrapped upwards (label beside its last line) is joined. */
function labelledNames(cells: Cell[], rows: Map<number, Cell[]>, parties: Party[]): PartyValue[] {
  const out: PartyValue[] = [];
  cells.forEach((cell, i) => {
    if (!NAME_LABEL.test(cell.text)) return;
    const rest = cell.text.replace(NAME_LABEL, '');
    const valueCell = rest ? cell : cells[i + 1]?.row === cell.row ? cells[i + 1]! : undefined;
    if (!valueCell) return;
    let value = rest || valueCell.text;
    const above = rows.get(valueCell.row - 1);
    const lineAbove = above?.length === 1 ? cellAt(rows, valueCell.row - 1, valueCell.x0, 3) : undefined;
    if (lineAbove && valueCell.y0 - lineAbove.y1 < valueCell.y1 - valueCell.y0 && isNameLike(lineAbove.text))
      value = `${lineAbove.text} ${value}`;
    if (isNameLike(value)) out.push({ value, party: parties[i] ?? 'unknown', score: 0.8, cell: valueCell });
  });
  return out;
}

/** The first name-like line under a party heading ("Verkäufer:", "Bill to"), skipping "Nr.: …" lines. */
function namesUnderHeadings(cells: Cell[], rows: Map<number, Cell[]>): PartyValue[] {
  const out: PartyValue[] = [];
  for (const heading of cells) {
    const party = headingParty(heading);
    if (!party || party === 'unknown') continue;
    // "Sold By : WS Retail Services Pvt. Ltd.," names the party on the heading's own line.
    const inline = heading.text.replace(PARTY_PREFIX, '');
    if (inline !== heading.text && isNameLike(inline) && LEGAL_FORM.test(inline)) {
      out.push({ value: inline, party, score: 0.75, cell: heading });
      continue;
    }
    if (!isBlockHeading(heading, rows)) continue;
    for (let r = heading.row + 1; r <= heading.row + 5; r++) {
      const line = rows.get(r)?.find((c) => c.page === heading.page && c.x0 > heading.x0 - 20);
      if (!line || line.x0 > heading.x0 + 250 || headingParty(line)) break;
      if (NAME_LABEL.test(line.text)) break;
      if (!isNameLike(line.text) || isRowLabel(line, rows)) continue;
      out.push({ value: joinWrappedName(line, rows), party, score: 0.7, cell: line });
      break;
    }
  }
  return out;
}

/**
 * The address window of a letter: under the sender's one-line return address sits the
 * recipient (the buyer); the return line itself starts with the sender's name.
 */
function windowAddress(cells: Cell[], rows: Map<number, Cell[]>): PartyValue[] {
  const out: PartyValue[] = [];
  for (const cell of cells.slice(0, 80)) {
    const parts = cell.text.split(RETURN_LINE_SEPARATOR);
    if (parts.length < 3 || cell.text.length > 110 || !/\b\d{4,5}\b/.test(cell.text)) continue;
    if (isNameLike(parts[0]!)) out.push({ value: parts[0]!.trim(), party: 'seller', score: 0.65, cell });
    for (let r = cell.row + 1; r <= cell.row + 2; r++) {
      const line = cellAt(rows, r, cell.x0, 40);
      if (line && isNameLike(line.text)) {
        out.push({ value: joinWrappedName(line, rows), party: 'buyer', score: 0.75, cell: line });
        break;
      }
    }
    break;
  }
  return out;
}

/** Lines carrying a legal form ("GmbH", "s.r.o.", "SAS"); in a one-line address, only the name part. */
function legalFormNames(cells: Cell[], parties: Party[]): PartyValue[] {
  const out: PartyValue[] = [];
  cells.forEach((cell, i) => {
    // "All services are sold by Nordwind Services, Inc.": the seller named inside a sentence.
    const text = cell.text.replace(PARTY_PREFIX, '').replace(SOLD_BY_IN_SENTENCE, '');
    const part = text
      .split(RETURN_LINE_SEPARATOR)
      .map(stripLegalStatement)
      .find((p) => LEGAL_FORM.test(p))
      ?.trim();
    if (!part || part.length < 3 || !isNameLike(part)) return;
    // A bare legal form ("GmbH") is a fragment of a name split across cells, not a name.
    if (part.replace(LEGAL_FORM, '').trim().length < 2) return;
    out.push({
      value: part,
      party: parties[i] ?? 'unknown',
      score: 0.6 - Math.min(0.2, i / cells.length / 2),
      cell,
    });
  });
  return out;
}

/** "Free SAS au capital de 3.441.812 Euros": the capital statement is not part of the name. */
function stripLegalStatement(text: string): string {
  return text.replace(/\s+au capital (?:social )?de\b.*$/iu, '');
}

/** Drops a heading in front, a trailing comma and a French "au capital de …" legal statement. */
function cleanName(text: string): string {
  return text
    .replace(PARTY_PREFIX, '')
    .replace(/\s+au capital (?:social )?de\b.*$/iu, '')
    .replace(/[\s,;:]+$/u, '')
    .trim();
}

/**
 * Company and person names for seller and buyer: "Name:" values, the first line under a party
 * heading, the letter's address window, and lines with a legal form. Names printed more than
 * once (letterhead and footer) are slightly preferred.
 */
export function findNames(cells: Cell[], parties: Party[]): PartyValue[] {
  const rows = rowsOf(cells);
  const found = [
    ...labelledNames(cells, rows, parties),
    ...namesUnderHeadings(cells, rows),
    ...windowAddress(cells, rows),
    ...legalFormNames(cells, parties),
  ].map((v) => ({ ...v, value: cleanName(v.value) }));
  const counts = new Map<string, number>();
  for (const v of found) counts.set(v.value.toLowerCase(), (counts.get(v.value.toLowerCase()) ?? 0) + 1);
  return found.map((v) => ({
    ...v,
    score: v.score + Math.min(0.1, 0.03 * ((counts.get(v.value.toLowerCase()) ?? 1) - 1)),
  }));
}
