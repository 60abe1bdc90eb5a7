import { fromMinorUnits, toMinorUnits } from '../fields/amount.js';
import { ibanShapedAfterLabel, parseDateIn, parseIbanIn, parseCurrencyIn } from './parsers.js';
import type { ExtractedField, FieldName, FieldSource } from '../types.js';
import { findLabelledCandidates, type Candidate } from './label-candidates.js';
import { letterDateCandidates, titleDateCandidates } from './date-candidates.js';
import { readLetterheadIssuer } from './letterhead-reread.js';
import { applyIssuerLineReading } from './issuer-line.js';
import { LEGAL_FORM } from './labels.js';
import { findNames } from './names.js';
import { applyReceiptRules } from './receipt-totals.js';
import { vatSummaryCandidates } from './vat-summary.js';
import { companyIdFromVatId } from '../fields/company-id-from-vat.js';
import { isSiretShaped } from '../validate/company-id.js';
import { assignParties, findVatIds, type Party, type PartyValue } from './parties.js';
import { buildCells, buildRows, type Cell, type Word } from './words.js';

export type TextFields = Partial<Record<FieldName, ExtractedField>>;

/** Text-layer values are good but not certain; OCR adds recognition errors on top. */
const SOURCE_CAP: Record<'text' | 'ocr', number> = { text: 0.92, ocr: 0.82 };

const AMOUNT_FIELDS: FieldName[] = ['totals.net', 'totals.tax', 'totals.gross', 'totals.due'];

function toField(value: string, score: number, cell: Cell, source: 'text' | 'ocr'): ExtractedField {
  return {
    value,
    confidence: Math.round(Math.min(SOURCE_CAP[source], score * SOURCE_CAP[source]) * 100) / 100,
    source: source as FieldSource,
    page: cell.page,
    bbox: [cell.x0, cell.y0, cell.x1, cell.y1].map((n) => Math.round(n * 10) / 10) as ExtractedField['bbox'],
  };
}

/** Totals sit at the end of an invoice: a later label of the same strength wins. */
function rank(c: Candidate): number {
  return c.score + (AMOUNT_FIELDS.includes(c.field) ? 0.1 * c.order : -0.05 * c.order);
}

/** Boosts amount candidates that agree: net + tax = gross, gross = due. */
function applyAgreement(byField: Map<FieldName, Candidate[]>): void {
  const nets = byField.get('totals.net') ?? [];
  const taxes = byField.get('totals.tax') ?? [];
  const grosses = byField.get('totals.gross') ?? [];
  const dues = byField.get('totals.due') ?? [];
  for (const g of grosses) {
    const gv = toMinorUnits(g.value);
    for (const n of nets) {
      const t = taxes.find((t) => toMinorUnits(n.value) + toMinorUnits(t.value) === gv);
      if (t) for (const c of [g, n, t]) c.score = Math.max(c.score, 1) + 0.15;
    }
    if (dues.some((d) => toMinorUnits(d.value) === gv)) g.score += 0.05;
  }
}

function bestParty(values: PartyValue[], party: 'seller' | 'buyer'): PartyValue | undefined {
  const adjusted = values
    .filter((v) => (party === 'seller' ? v.party === 'seller' || v.party === 'unknown' : v.party === 'buyer'))
    .map((v) => ({ v, s: v.score + (v.party === party ? 0.15 : 0) }));
  adjusted.sort((a, b) => b.s - a.s);
  return adjusted[0] ? { ...adjusted[0].v, score: adjusted[0].s } : undefined;
}

/**
 * A letterhead often prints the brand ("Free", "Amazon Web Services") and the footer or the
 * seller block the legal name ("Free SAS", "Amazon Web Services, Inc."): a legal-form name that
 * starts with the letterhead's first word is the same company, and the one to book. The same name
 * in the buyer's block means the top of the page was the recipient's address instead.
 */
function confirmIssuer(issuer: PartyValue, names: PartyValue[], cells: Cell[]): PartyValue {
  const key = (v: string): string =>
    v
      .toLowerCase()
      .replace(/[^\p{L}\d ]/gu, '')
      .trim();
  if (names.some((n) => n.party === 'buyer' && key(n.value) === key(issuer.value)))
    return { ...issuer, party: 'buyer', score: 0 };
  const first = key(issuer.value).split(' ')[0] ?? '';
  if (first.length < 3 || LEGAL_FORM.test(issuer.value)) return issuer;
  const legal = names.filter((n) => n.party !== 'buyer' && LEGAL_FORM.test(n.value));
  const same = legal.find((n) => key(n.value).split(' ')[0] === first);
  if (same) return { ...same, party: 'seller', score: issuer.score + 0.1 };
  return brandLedLegalName(issuer, legal, cells, key) ?? issuer;
}

/**
 * A legal name that lost its first word ("Web Services, Inc." where the line broke after
 * "Amazon") under a brand letterhead ("amazon", the logo): when the page prints the brand's first
 * word right before that name's words ("Amazon Web Services Invoice"), the brand belongs to it.
 * Built from two readings, so it gets a little less confidence than the letterhead.
 */
function brandLedLegalName(
  issuer: PartyValue,
  legal: PartyValue[],
  cells: Cell[],
  key: (v: string) => string,
): PartyValue | null {
  const brand = key(issuer.value).split(' ')[0]!;
  const page = cells.map((c) => c.text);
  for (const n of legal) {
    const stem = key(n.value.slice(0, n.value.search(LEGAL_FORM)));
    if (!stem || stem.split(' ')[0] === brand) continue;
    const printed = page
      .map((text) =>
        new RegExp(`(?<!\\p{L})(${brand})[\\s,]+${stem.split(' ').join('[\\s,]+')}(?!\\p{L})`, 'iu').exec(
          text,
        ),
      )
      .find(Boolean);
    if (printed)
      return { ...n, value: `${printed[1]} ${n.value}`, party: 'seller', score: issuer.score - 0.05 };
  }
  return null;
}

/** Fallback currency: the code or symbol printed most often. */
function dominantCurrency(cells: Cell[]): { value: string; cell: Cell } | null {
  const counts = new Map<string, { n: number; cell: Cell }>();
  for (const cell of cells) {
    const code = parseCurrencyIn(cell.text);
    if (code) counts.set(code, { n: (counts.get(code)?.n ?? 0) + 1, cell: counts.get(code)?.cell ?? cell });
  }
  const best = [...counts.entries()].sort((a, b) => b[1].n - a[1].n)[0];
  return best ? { value: best[0], cell: best[1].cell } : null;
}

/**
 * A company ID printed in the buyer's block is not the seller's. ("Other" blocks are not
 * excluded: one heading per row is tracked, so a delivery-address heading beside the seller's
 * block would otherwise swallow the seller's IČO.)
 */
function isOtherPartysId(c: Candidate, cells: Cell[], parties: Party[]): boolean {
  return c.field === 'seller.companyId' && parties[cells.indexOf(c.cell)] === 'buyer';
}

/**
 * A SIRET printed in the seller's block under a label the label search does not know (a
 * stylesheet's "Handelsname: 99999999800010", a bare line of the address block): 14 digits,
 * optionally grouped 3-3-3-5, alone after the label, whose SIREN passes its check digit. A number
 * of that shape and check is a French establishment id wherever it stands; outside the seller's
 * block it may be the buyer's.
 */
function siretInSellerBlock(cells: Cell[], parties: Party[]): { value: string; cell: Cell } | null {
  for (const [i, cell] of cells.entries()) {
    if (parties[i] !== 'seller') continue;
    const m = /^(?:[^\d:]{1,30}:\s*)?(\d{3}\s?\d{3}\s?\d{3}\s?\d{5})$/u.exec(cell.text.trim());
    const digits = m?.[1]!.replace(/\s/g, '');
    if (digits && isSiretShaped(digits)) return { value: digits, cell };
  }
  return null;
}

export interface TextFieldOptions {
  /** OCR: a second reading of the page's top band (`ocr/letterhead-pass.ts`), page coordinates. */
  letterheadWords?: Word[] | null;
  /** OCR: the issuer's line and the line above it read once more as strips (`issuer-line.ts`). */
  issuerLineWords?: Word[] | null;
}

/** The issuer named by the letterhead, its readings combined (`letterhead-reread.ts`, `issuer-line.ts`). */
function readIssuer(cells: Cell[], words: Word[], options: TextFieldOptions): PartyValue | null {
  const issuer = readLetterheadIssuer(cells, words, options.letterheadWords);
  return issuer && options.issuerLineWords?.length
    ? applyIssuerLineReading(issuer, options.issuerLineWords)
    : issuer;
}

/**
 * Layout-aware field extraction from positioned words (a PDF text layer or OCR): values next to
 * printed labels, VAT IDs and names attributed to seller or buyer, amounts cross-checked.
 */
export function extractTextFields(
  words: Word[],
  source: 'text' | 'ocr',
  options: TextFieldOptions = {},
): TextFields {
  const cells = buildCells(buildRows(words));
  const parties = assignParties(cells);
  const byField = new Map<FieldName, Candidate[]>();
  const labelled = findLabelledCandidates(cells).filter((c) => !isOtherPartysId(c, cells, parties));
  const numbers = labelled.filter((c) => c.field === 'invoiceNumber');
  // A lone date that is the value of a due-date label is not the letter's date line.
  const dueCells = new Set(labelled.filter((c) => c.field === 'dueDate').map((c) => c.cell));
  const letterDates = letterDateCandidates(cells).filter((c) => !dueCells.has(c.cell));
  const summary = vatSummaryCandidates(cells);
  for (const c of [...labelled, ...summary, ...titleDateCandidates(numbers, cells), ...letterDates])
    byField.set(c.field, [...(byField.get(c.field) ?? []), c]);
  applyAgreement(byField);
  applyReceiptRules(byField, cells);
  const fields: TextFields = {};
  for (const [field, candidates] of byField) {
    if (field === 'seller.vatId') continue;
    const best = [...candidates].sort((a, b) => rank(b) - rank(a))[0];
    if (best) fields[field] = toField(best.value, best.score, best.cell, source);
  }
  addFallbacks(fields, cells, source);
  const vatIds = findVatIds(cells, parties);
  const names = findNames(cells, parties);
  const issuer = readIssuer(cells, words, options);
  if (issuer) names.push(confirmIssuer(issuer, names, cells));
  for (const party of ['seller', 'buyer'] as const) {
    const vat = bestParty(vatIds, party);
    if (vat) fields[`${party}.vatId`] = toField(vat.value, vat.score, vat.cell, source);
    const name = bestParty(names, party);
    if (name) fields[`${party}.name`] = toField(name.value, name.score, name.cell, source);
  }
  if (fields['seller.vatId'] && fields['seller.vatId'].value === fields['buyer.vatId']?.value)
    delete fields['buyer.vatId'];
  const derived = fields['seller.vatId'] && companyIdFromVatId(fields['seller.vatId'].value);
  if (derived && !fields['seller.companyId'])
    fields['seller.companyId'] = { ...fields['seller.vatId']!, value: derived, confidence: 0.6 };
  const siret = fields['seller.companyId'] ? null : siretInSellerBlock(cells, parties);
  if (siret) fields['seller.companyId'] = toField(siret.value, 0.7, siret.cell, source);
  return fields;
}

/**
 * The first IBAN that passes mod-97; else one printed after an "IBAN" label that has the right
 * shape but a bad checksum, kept with low confidence so validation reports it instead of hiding it.
 */
function findIban(cells: Cell[]): { value: string; score: number; cell: Cell } | null {
  for (const cell of cells) {
    const iban = parseIbanIn(cell.text.replace(/^IBAN\s*:?\s*/i, ''));
    if (iban) return { value: iban, score: 0.95, cell };
  }
  for (const [i, cell] of cells.entries()) {
    if (!/\bIBAN\b/.test(cell.text)) continue;
    const next = cells[i + 1];
    const text = `${cell.text} ${next?.row === cell.row || next?.row === cell.row + 1 ? next.text : ''}`;
    const iban = ibanShapedAfterLabel(text);
    if (iban) return { value: iban, score: 0.5, cell };
  }
  return null;
}

/**
 * Net + tax = gross: when two of the three are printed the third follows by arithmetic (no rate is
 * assumed), with the weaker confidence of the two and lower still, since nothing printed confirms it.
 */
function completeTotals(fields: TextFields): void {
  const net = fields['totals.net'];
  const tax = fields['totals.tax'];
  const gross = fields['totals.gross'];
  const derived = (value: bigint, a: ExtractedField, b: ExtractedField): ExtractedField | null =>
    value < 0n
      ? null
      : {
          ...a,
          value: fromMinorUnits(value),
          confidence: Math.round(Math.min(a.confidence, b.confidence) * 80) / 100,
        };
  const units = (f: ExtractedField): bigint => toMinorUnits(f.value);
  if (!net && tax && gross) {
    const f = derived(units(gross) - units(tax), gross, tax);
    if (f) fields['totals.net'] = f;
  } else if (net && !tax && gross) {
    const f = derived(units(gross) - units(net), gross, net);
    if (f) fields['totals.tax'] = f;
  }
}

function addFallbacks(fields: TextFields, cells: Cell[], source: 'text' | 'ocr'): void {
  if (!fields.issueDate) {
    const cell = cells.find((c) => parseDateIn(c.text));
    if (cell) fields.issueDate = toField(parseDateIn(cell.text)!, 0.5, cell, source);
  }
  if (!fields.currency) {
    const currency = dominantCurrency(cells);
    if (currency) fields.currency = toField(currency.value, 0.7, currency.cell, source);
  }
  if (!fields['payment.iban']) {
    const iban = findIban(cells);
    if (iban) fields['payment.iban'] = toField(iban.value, iban.score, iban.cell, source);
  }
  completeTotals(fields);
  if (!fields['totals.gross'] && fields['totals.due']) {
    fields['totals.gross'] = { ...fields['totals.due'], confidence: fields['totals.due'].confidence * 0.7 };
  }
  // Without a printed amount due, nothing was prepaid: the grand total is what is owed.
  if (!fields['totals.due'] && fields['totals.gross']) {
    fields['totals.due'] = { ...fields['totals.gross'], confidence: fields['totals.gross'].confidence * 0.8 };
  }
  // A transfer without a printed reference is made out to the invoice number (EN 16931 BT-83 usage).
  if (!fields['payment.reference'] && fields.invoiceNumber && fields['payment.iban']) {
    fields['payment.reference'] = { ...fields.invoiceNumber, confidence: 0.5 };
  }
}
