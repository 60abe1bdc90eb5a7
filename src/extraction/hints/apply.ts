/**
 * Applying a supplier profile to a new document: the profile is found by the seller identity the
 * general rules read (VAT ID, company id, IBAN, close name) or, when they read none that matches,
 * by its VAT ID or IBAN printed anywhere on the page. Its constant master data wins where it is
 * printed on the document; every field hint is tried before the general rules' value and, when
 * the new document does not fit it (label absent, nothing of the learned shape where it points),
 * the general rules' value stays. Values taken from the profile are `source: learned`.
 */
import {
  idKey,
  matchSupplier,
  NAME_SIMILARITY,
  nameSimilarity,
  type SupplierMatch,
} from '../suppliers/directory.js';
import { buildCells, buildRows, type Cell, type Word } from '../text/words.js';
import type { ExtractedField, FieldName, Finding } from '../types.js';
import { accept, type AcceptedIdentities } from '../validate/accepted.js';
import { FILLED_FROM_SUPPLIER_PROFILE, type FieldHint, type LearnedSupplier } from './types.js';
import {
  findSpans,
  kindOf,
  labelKey,
  lineBelow,
  MAX_VALUE_WORDS,
  readValue,
  shapeOf,
  spanText,
} from './values.js';

type Fields = Partial<Record<FieldName, ExtractedField>>;

/** Profiles compared per document (the caller bounds its query the same way). */
export const MAX_LEARNED_SUPPLIERS = 5_000;
/** Master data of a supplier that does not change from one invoice to the next. */
const MASTER_FIELDS = ['seller.name', 'seller.vatId', 'seller.companyId', 'payment.iban'] as const;
/** Words of a cell compared with an inline label. */
const MAX_LABEL_WORDS = 12;

/** A learned place is surer the more corrections taught it; a bare page position less so. */
function hintConfidence(hint: FieldHint): number {
  if (hint.anchor === 'page') return 0.8;
  return 0.9 + 0.02 * Math.min(2, hint.learned - 1);
}
const PRINTED_MASTER_CONFIDENCE = 0.95;
/** A value the page does not print, known only from earlier corrections: below the review threshold's comfort. */
const UNPRINTED_CONFIDENCE = 0.75;

const round = (n: number): number => Math.round(n * 10) / 10;
export const boxOf = (cell: Cell): ExtractedField['bbox'] => [
  round(cell.x0),
  round(cell.y0),
  round(cell.x1),
  round(cell.y1),
];

/**
 * Puts a learned value in place; the same value the rules read only gains the learned confidence.
 * `check` is what the value passed: `supplier` for the profile's master data found printed (either
 * way), `hint` for a hint's reading only when it agrees with the rules' own, independent one.
 */
function setLearned(
  fields: Fields,
  field: FieldName,
  value: string,
  confidence: number,
  cell: Cell,
  check: 'supplier' | 'hint',
): void {
  const current = fields[field];
  if (current && current.value === value) {
    current.confidence = Math.max(current.confidence, confidence);
    current.confirmedBy = check;
    return;
  }
  fields[field] = {
    value,
    confidence,
    source: 'learned',
    page: cell.page,
    bbox: boxOf(cell),
    ...(check === 'supplier' ? { confirmedBy: check } : {}),
  };
}

/** The profile whose VAT ID or IBAN is printed on the page (never the buyer's VAT ID). */
function printedMatch(cells: readonly Cell[], fields: Fields, suppliers: readonly LearnedSupplier[]) {
  const printed = new Set<string>();
  for (const cell of cells)
    for (let start = 0; start < cell.words.length; start++)
      for (let n = 1; n <= Math.min(MAX_VALUE_WORDS, cell.words.length - start); n++)
        printed.add(idKey(spanText(cell, start, n)));
  const buyer = idKey(fields['buyer.vatId']?.value);
  const has = (key: string): boolean => key.length >= 8 && key !== buyer && printed.has(key);
  for (const supplier of suppliers) {
    if (has(idKey(supplier.vatId))) return { supplier, by: 'vatId' } as const;
    const iban = supplier.ibans?.find((i) => has(idKey(i)));
    if (iban) return { supplier, by: 'iban' } as const;
  }
  return null;
}

type Read = { value: string; cell: Cell } | { reason: string };

const distance = (cell: Cell, x: number, y: number): number => Math.hypot(cell.x0 - x, cell.y0 - y);

function byDistance<T extends Cell>(cells: readonly T[], x: number, y: number): T[] {
  return [...cells].sort((a, b) => distance(a, x, y) - distance(b, x, y));
}

/** Places tried per hint, nearest first: enough for a block that moved by a line or two. */
const MAX_PLACES = 4;

type Place = { cell: Cell; start: number };

/**
 * Where the hint points on this document, nearest first: the value's cell and the word it starts
 * at. More than one, because a layout moves (an extra address line pushes a block down): the
 * nearest place that holds a value of the learned kind and shape is the value. A label missing
 * from the learned page is looked for on the other pages, nearest page first: a longer invoice
 * prints its totals on a later page, a shorter one on an earlier page. A bare page position is
 * only tried on its page.
 */
function locate(cells: readonly Cell[], hint: FieldHint, units: 'pt' | 'px'): Place[] | string {
  const sameUnits = units === hint.units;
  const onPage = (n: number) => cells.filter((c) => c.page === n);
  if (hint.anchor === 'page') {
    const page = onPage(hint.page);
    if (page.length === 0) return `the document has no page ${hint.page}`;
    if (!sameUnits) return 'the page position was learned on another kind of text layer';
    const near = byDistance(page, hint.x, hint.y).filter(
      (c) => distance(c, hint.x, hint.y) <= 3 * (c.y1 - c.y0),
    );
    return near.length > 0
      ? near.slice(0, MAX_PLACES).map((cell) => ({ cell, start: hint.skip }))
      : 'nothing is printed where the value was';
  }
  const pages = [...new Set(cells.map((c) => c.page))].sort(
    (a, b) => Math.abs(a - hint.page) - Math.abs(b - hint.page) || a - b,
  );
  for (const n of pages) {
    // Positions compare only on the page they were learned on.
    const found = besideLabel(onPage(n), hint, sameUnits && n === hint.page);
    if (found !== null) return found;
  }
  return `the label "${hint.label}" is not on page ${hint.page} nor on another page`;
}

/** The places beside the hint's label on one page, or null when the label is not on it. */
function besideLabel(page: readonly Cell[], hint: FieldHint, byPosition: boolean): Place[] | string | null {
  if (hint.anchor === 'label-inline') {
    const hits: Place[] = [];
    for (const cell of page)
      for (let k = 1; k < Math.min(cell.words.length, MAX_LABEL_WORDS + 1); k++)
        if (labelKey(spanText(cell, 0, k)) === hint.label) hits.push({ cell, start: k });
    const ordered = byPosition
      ? [...hits].sort((a, b) => distance(a.cell, hint.x, hint.y) - distance(b.cell, hint.x, hint.y))
      : hits;
    return ordered.length > 0 ? ordered.slice(0, MAX_PLACES) : null;
  }
  const labels = page.filter((c) => labelKey(c.text) === hint.label);
  const label = byPosition ? byDistance(labels, hint.x, hint.y)[0] : labels[0];
  if (!label) return null;
  const h = label.y1 - label.y0;
  const ex = label.x0 + hint.dx;
  const ey = label.y0 + hint.dy;
  const candidates =
    hint.anchor === 'label-right'
      ? page.filter(
          (c) =>
            c.row === label.row &&
            c.x0 >= label.x1 - 1 &&
            Math.abs(c.x0 - ex) <= Math.max(3 * h, 0.25 * Math.abs(hint.dx)),
        )
      : page.filter(
          (c) =>
            c.row > label.row &&
            Math.abs(c.x0 - ex) <= Math.max(3 * h, 0.25 * Math.abs(hint.dx)) &&
            Math.abs(c.y0 - ey) <= Math.max(2 * h, 0.5 * Math.abs(hint.dy)),
        );
  return candidates.length > 0
    ? byDistance(candidates, ex, ey)
        .slice(0, MAX_PLACES)
        .map((cell) => ({ cell, start: hint.skip }))
    : `nothing is printed where the value was beside "${hint.label}"`;
}

/** The field's value at one place, or why it is not the learned value. */
function readPlace(cells: readonly Cell[], hint: FieldHint, { cell, start }: Place): Read {
  const kind = kindOf(hint.field);
  // Amounts, dates and codes are read by their parser from the rest of the cell; ids and names
  // take the learned number of words unless they ran to the cell's end.
  const open = hint.toEnd || kind === 'amount' || kind === 'date' || kind === 'currency';
  const next = hint.lines === 2 ? lineBelow(cells, cell) : undefined;
  if (hint.lines === 2 && !next) return { reason: 'the second line of the value is missing' };
  const text = spanText(cell, start, open ? undefined : hint.words) + (next ? ` ${next.text}` : '');
  const value = text ? readValue(hint.field, text) : null;
  if (value === null) return { reason: `no ${kind} is printed where the hint points` };
  if (kind === 'id' && shapeOf(text) !== hint.pattern)
    return { reason: `the value there has another shape (${shapeOf(text)}, learned ${hint.pattern})` };
  // A name reads as almost any text, so its shape is checked loosely: one learned without digits
  // does not read a text with digits, which is where a layout that moved puts an address line.
  if (kind === 'name' && !/9/.test(hint.pattern) && /\d/.test(text))
    return { reason: `the text there has digits, the learned ${hint.field} had none` };
  return { value, cell };
}

/** The field's value where the hint points (the nearest place that fits), or why none fits. */
export function readHint(cells: readonly Cell[], hint: FieldHint, units: 'pt' | 'px'): Read {
  const places = locate(cells, hint, units);
  if (typeof places === 'string') return { reason: places };
  let first: Read | undefined;
  for (const place of places) {
    const read = readPlace(cells, hint, place);
    if ('value' in read) return read;
    first ??= read;
  }
  return first!;
}

/**
 * Applies the profile of the document's supplier (if the tenant has one) to `fields` in place and
 * returns an info finding saying what was learned and where the document did not fit a hint.
 * `accepted` receives the identity values a person gave the profile (validate/accepted.ts).
 */
export function applyLearnedSuppliers(
  fields: Fields,
  words: readonly Word[],
  units: 'pt' | 'px',
  suppliers: readonly LearnedSupplier[],
  accepted: AcceptedIdentities = new Map(),
): Finding[] {
  if (suppliers.length === 0 || words.length === 0) return [];
  const list = suppliers.slice(0, MAX_LEARNED_SUPPLIERS);
  const cells = buildCells(buildRows([...words]));
  const match: SupplierMatch | null = matchSupplier(fields, list) ?? printedMatch(cells, fields, list);
  if (!match) return [];
  const supplier = match.supplier as LearnedSupplier;
  const learned: string[] = [];
  const fellBack: string[] = [];
  const settled = new Set<FieldName>();
  const master: Record<(typeof MASTER_FIELDS)[number], string | undefined> = {
    'seller.name': supplier.name,
    'seller.vatId': supplier.vatId,
    'seller.companyId': supplier.companyId,
    'payment.iban': supplier.ibans?.[0],
  };
  for (const field of MASTER_FIELDS) {
    const value = master[field];
    const span = value ? findSpans(cells, field, value)[0] : undefined;
    if (!value || !span) continue;
    setLearned(fields, field, value, PRINTED_MASTER_CONFIDENCE, span.cell, 'supplier');
    settled.add(field);
    learned.push(field);
  }
  for (const hint of supplier.hints ?? []) {
    if (settled.has(hint.field)) continue;
    const read = readHint(cells, hint, units);
    if ('reason' in read) {
      fellBack.push(`${hint.field} (${read.reason})`);
      continue;
    }
    setLearned(fields, hint.field, read.value, hintConfidence(hint), read.cell, 'hint');
    settled.add(hint.field);
    learned.push(hint.field);
  }
  const name = supplier.name ?? supplier.vatId ?? supplier.companyId ?? 'a known supplier';
  // The buyer VAT ID the profile holds for this document's buyer (its buyer reads as `forBuyer`).
  const buyerVatId = isForBuyer(fields, supplier) ? supplier.constants?.['buyer.vatId'] : undefined;
  const filled = fillUnprinted(fields, supplier, name, buyerVatId);
  acceptProfile(accepted, supplier, name, buyerVatId);
  learned.push(...filled.map((f) => `${f.field} (not printed: from the supplier profile)`));
  return [
    {
      code: 'supplier_profile_applied',
      severity: 'info',
      message:
        `what was learned from corrections of ${name} (matched by ${match.by}) gave ${learned.length ? learned.join(', ') : 'no value'}` +
        (fellBack.length ? `; the general rules read ${fellBack.join('; ')}` : ''),
    },
    ...filled,
  ];
}

/** Whether the document's buyer reads as the buyer the profile's buyer VAT ID was entered for. */
function isForBuyer(fields: Fields, supplier: LearnedSupplier): boolean {
  const forBuyer = supplier.constants?.forBuyer;
  const buyer = fields['buyer.name']?.value;
  return forBuyer !== undefined && buyer !== undefined && nameSimilarity(buyer, forBuyer) >= NAME_SIMILARITY;
}

/**
 * The identity values of the profile a person entered or kept in a correction: the supplier's VAT
 * ID and company id, and the buyer VAT ID for the buyer it was entered for (as `fillUnprinted`).
 */
function acceptProfile(
  accepted: AcceptedIdentities,
  supplier: LearnedSupplier,
  name: string,
  buyerVatId: string | undefined,
): void {
  const where = `the corrections learned for ${name}`;
  accept(accepted, 'seller.vatId', supplier.vatId, where);
  accept(accepted, 'seller.companyId', supplier.companyId, where);
  accept(accepted, 'buyer.vatId', buyerVatId, where);
}

/**
 * What the page does not print at all, only where neither the rules nor a hint found a value:
 * the supplier's name (a receipt's logo is an image), the currency it bills in, and the VAT ID of
 * a buyer it bills, only when this document's buyer reads as the buyer it was entered for. Never
 * the supplier's VAT ID or company id: that an invoice lacks them matters for the tax checks, so a
 * profile must not hide it. Each filled value has no place on the page (no `bbox`), `source:
 * learned`, a confidence below a printed value's, and its own info finding, so a reviewer and an
 * ERP can tell it was not read from the document.
 */
function fillUnprinted(
  fields: Fields,
  supplier: LearnedSupplier,
  name: string,
  buyerVatId: string | undefined,
): Finding[] {
  const constants = supplier.constants ?? {};
  const unprinted: [FieldName, string | undefined][] = [
    ['seller.name', supplier.name],
    ['currency', constants.currency],
    ['buyer.vatId', buyerVatId],
  ];
  const findings: Finding[] = [];
  for (const [field, value] of unprinted) {
    if (!value || fields[field]) continue;
    fields[field] = { value, confidence: UNPRINTED_CONFIDENCE, source: 'learned' };
    findings.push({
      code: FILLED_FROM_SUPPLIER_PROFILE,
      severity: 'info',
      field,
      message: `${field} is not printed on this document: ${value} is the value known for ${name} from earlier documents${field === 'buyer.vatId' ? ` billed to ${constants.forBuyer}` : ''}, not read from this page`,
    });
  }
  return findings;
}
