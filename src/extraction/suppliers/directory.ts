import { idKey } from '../fields/ids.js';
import { FILLED_FROM_SUPPLIER_PROFILE } from '../hints/types.js';
import type { ExtractedField, FieldName, Finding } from '../types.js';
import { accept, type AcceptedIdentities } from '../validate/accepted.js';

/** The directory compares ids as the rest of the engine does. */
export { idKey };

/**
 * The firm's own supplier directory as an engine input: suppliers it has booked before (built by
 * the caller from validated documents), matched against a new document by VAT ID, company id,
 * IBAN or a close name. A match fills the supplier's master data the page did not give
 * (`source: learned`) and every contradiction is a finding; an IBAN that changed for a known
 * supplier is an error, because a changed bank account is the classic invoice fraud.
 */
export interface KnownSupplier {
  name?: string | undefined;
  vatId?: string | undefined;
  companyId?: string | undefined;
  /** Every IBAN the supplier's validated documents were paid to. */
  ibans?: readonly string[] | undefined;
  /** How many validated documents the record comes from (more means surer). */
  documents?: number | undefined;
  /** `invoiceNumberShape` of the invoice numbers of its validated documents. */
  invoiceNumberShapes?: readonly string[] | undefined;
  /** Currencies its validated documents were in. */
  currencies?: readonly string[] | undefined;
  /** Buyers its validated documents were made out to. */
  buyers?: readonly string[] | undefined;
  /** The buyers' VAT IDs on its validated documents (a person accepted each of them). */
  buyerVatIds?: readonly string[] | undefined;
  /**
   * Its validated documents show that its payment reference is the invoice number: at least one
   * has a reference equal to its number, and none has another reference.
   */
  referenceIsInvoiceNumber?: boolean | undefined;
  /** Its payment terms: days from issue to due date on its validated documents. */
  paymentTermsDays?: readonly number[] | undefined;
  /**
   * Where its validated documents print their invoice number and dates, for each such value a
   * person left as the text layer read it (a corrected value has no place): its layout.
   */
  places?: Partial<Record<PlacedField, readonly FieldPlace[]>> | undefined;
}

/**
 * The per-invoice values a supplier's layout prints at one place (and that no other check
 * confirms: the totals reconcile, the master data is the supplier's own).
 */
export const PLACED_FIELDS = ['invoiceNumber', 'issueDate', 'dueDate'] as const;
export type PlacedField = (typeof PLACED_FIELDS)[number];

/** A value's place on a page of the text layer: its page and box, in PDF points. */
export interface FieldPlace {
  readonly page: number;
  readonly bbox: readonly [number, number, number, number];
}

/**
 * How far (PDF points, about 1 mm) a box may stand from a validated one and still be at its
 * place: the same template renders its cells at the same coordinates to a fraction of a point.
 * Its left or its right edge must be there (a number of another length moves the other edge of a
 * left- or right-aligned cell), and its top.
 */
const PLACE_TOLERANCE_PT = 3;

/**
 * The place of a stored field (a validated extraction's, read back from the database) when the
 * text layer gave it: a page number and a box of four finite numbers. Anything else (a corrected
 * value, an OCR reading, a malformed record) has none.
 */
export function placeOf(stored: unknown): FieldPlace | null {
  if (typeof stored !== 'object' || stored === null) return null;
  const { source, page, bbox } = stored as Partial<Record<string, unknown>>;
  if (source !== 'text' || !Number.isInteger(page) || !Array.isArray(bbox) || bbox.length !== 4) return null;
  if (!bbox.every((n) => typeof n === 'number' && Number.isFinite(n))) return null;
  return { page: page as number, bbox: bbox as [number, number, number, number] };
}

export type SupplierMatchKey = 'vatId' | 'companyId' | 'iban' | 'name';

export interface SupplierMatch {
  supplier: KnownSupplier;
  by: SupplierMatchKey;
}

/** A directory larger than this is cut: matching is linear and the caller bounds its query too. */
export const MAX_DIRECTORY_SUPPLIERS = 5_000;
/** Names are compared on at most this many characters. */
const MAX_NAME_CHARS = 200;
/** Character-bigram similarity from which two company names are the same supplier. */
export const NAME_SIMILARITY = 0.88;

type Fields = Partial<Record<FieldName, ExtractedField>>;

/**
 * Legal forms once dots are gone and case is folded ("G.m.b.H." = "gmbh", "s. r. o." = "s r o"):
 * "Muster GmbH" and "MUSTER G.m.b.H" are one company.
 */
const LEGAL_WORDS =
  /(?<![\p{L}\d])(?:gmbh|mbh|ag|kg|ohg|ug|se|s ?r ?o|spol|a ?s|sa|sas|sarl|eurl|ltd|limited|llc|inc|plc|b ?v|n ?v|bvba|spa|srl|corp|corporation|pvt|pte|sdn|bhd|ou|sp z o ?o|kft|zrt|d ?o ?o|sl|sia|uab|aps|oy|ab|e ?v|e ?k)(?![\p{L}\d])/gu;

/** Lower case, no diacritics, legal form or punctuation: "Muster-Lieferant GmbH" ~ "MUSTER LIEFERANT". */
export function nameKey(name: string): string {
  return name
    .slice(0, MAX_NAME_CHARS)
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/\.\s?/gu, (m) => (m.length > 1 ? ' ' : ''))
    .replace(/[^\p{L}\d]+/gu, ' ')
    .replace(LEGAL_WORDS, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
}

function bigrams(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const s = ` ${text} `;
  for (let i = 0; i < s.length - 1; i++) out.set(s.slice(i, i + 2), (out.get(s.slice(i, i + 2)) ?? 0) + 1);
  return out;
}

/** Sørensen-Dice similarity of two name keys, 0..1. */
export function nameSimilarity(a: string, b: string): number {
  const ka = nameKey(a);
  const kb = nameKey(b);
  if (!ka || !kb) return 0;
  if (ka === kb) return 1;
  const ba = bigrams(ka);
  const bb = bigrams(kb);
  let common = 0;
  for (const [gram, n] of ba) common += Math.min(n, bb.get(gram) ?? 0);
  const total = [...ba.values(), ...bb.values()].reduce((x, y) => x + y, 0);
  return (2 * common) / total;
}

/** The supplier identities a document states ('' where it states none), strongest first. */
export interface SupplierIdentity {
  readonly vatId: string;
  readonly companyId: string;
  readonly iban: string;
  readonly name: string;
}

/** The identity keys of the seller of `fields`, normalised as the directory matches them. */
export function supplierIdentity(fields: Fields): SupplierIdentity {
  return {
    vatId: idKey(fields['seller.vatId']?.value),
    companyId: idKey(fields['seller.companyId']?.value),
    iban: idKey(fields['payment.iban']?.value),
    // As printed: `nameSimilarity` folds case, diacritics and legal forms itself.
    name: fields['seller.name']?.value ?? '',
  };
}

/**
 * Whether two documents come from the same supplier, decided by the strongest identity both state
 * (VAT ID, else company id, else IBAN, else a close name): the same order the directory matches
 * in. Two documents sharing no identity at all are not known to be from one supplier.
 */
export function isSameSupplier(a: SupplierIdentity, b: SupplierIdentity): boolean {
  for (const key of ['vatId', 'companyId', 'iban'] as const) {
    if (a[key] && b[key]) return a[key] === b[key];
  }
  return Boolean(a.name && b.name) && nameSimilarity(a.name, b.name) >= NAME_SIMILARITY;
}

/**
 * The known supplier the document is from: a VAT ID or company id printed on it, then an IBAN,
 * then a close name whose record carries no other VAT ID than the document's.
 */
export function matchSupplier(fields: Fields, suppliers: readonly KnownSupplier[]): SupplierMatch | null {
  const list = suppliers.slice(0, MAX_DIRECTORY_SUPPLIERS);
  const vat = idKey(fields['seller.vatId']?.value);
  const company = idKey(fields['seller.companyId']?.value);
  const iban = idKey(fields['payment.iban']?.value);
  const name = fields['seller.name']?.value;
  const byVat = vat && list.find((s) => idKey(s.vatId) === vat);
  if (byVat) return { supplier: byVat, by: 'vatId' };
  const byCompany = company && list.find((s) => idKey(s.companyId) === company);
  if (byCompany) return { supplier: byCompany, by: 'companyId' };
  const byIban = iban && list.find((s) => s.ibans?.some((i) => idKey(i) === iban));
  if (byIban) return { supplier: byIban, by: 'iban' };
  if (!name) return null;
  let best: { supplier: KnownSupplier; score: number } | null = null;
  for (const s of list) {
    if (!s.name || (vat && s.vatId && idKey(s.vatId) !== vat)) continue;
    const score = nameSimilarity(name, s.name);
    if (score >= NAME_SIMILARITY && (!best || score > best.score)) best = { supplier: s, score };
  }
  return best ? { supplier: best.supplier, by: 'name' } : null;
}

/** How much a learned value is trusted: an identifier match is near-certain, a name match less so. */
function learnedConfidence(by: SupplierMatchKey, supplier: KnownSupplier): number {
  const base = by === 'name' ? 0.75 : 0.9;
  return Math.min(0.95, base + Math.min(0.05, 0.01 * ((supplier.documents ?? 1) - 1)));
}

/**
 * Fills a field from the directory when the page gave none, or only a doubtful reading of it. A
 * page value that is the supplier's known one is confirmed by it (`confirms`: unless the match was
 * made by that very value, a name matched by its likeness). Returns whether it filled a field the
 * page gave no value for (`unprinted`), replaced a doubtful reading, or neither.
 */
function fill(
  fields: Fields,
  name: FieldName,
  value: string | undefined,
  confidence: number,
  confirms: boolean,
): 'unprinted' | 'replaced' | null {
  if (!value) return null;
  const current = fields[name];
  const same = current && idKeyOrName(name, current.value) === idKeyOrName(name, value);
  if (same) {
    current.confidence = Math.max(current.confidence, confidence);
    if (confirms && current.source !== 'learned') current.confirmedBy = 'supplier';
    return null;
  }
  if (current && current.confidence >= 0.7) return null;
  fields[name] = { value, confidence, source: 'learned' };
  return current ? 'replaced' : 'unprinted';
}

function idKeyOrName(name: FieldName, value: string): string {
  return name === 'seller.name' ? nameKey(value) : idKey(value);
}

/**
 * Matches the document against the directory, fills what the match knows and reports what the
 * document contradicts. Returns the findings; `fields` is completed in place, and `accepted`
 * receives the identity values the supplier's validated documents hold (a person validated each
 * of them: validate/accepted.ts).
 */
export function applySupplierDirectory(
  fields: Fields,
  suppliers: readonly KnownSupplier[],
  accepted: AcceptedIdentities = new Map(),
): Finding[] {
  if (suppliers.length === 0) return [];
  const match = matchSupplier(fields, suppliers);
  if (!match) return [];
  const { supplier, by } = match;
  const findings: Finding[] = [];
  const docVat = idKey(fields['seller.vatId']?.value);
  const docIban = idKey(fields['payment.iban']?.value);
  const knownIbans = (supplier.ibans ?? []).map(idKey).filter(Boolean);
  const label = supplier.name ?? supplier.vatId ?? supplier.companyId ?? 'a known supplier';
  const where = `the validated documents of ${label}`;
  accept(accepted, 'seller.vatId', supplier.vatId, where);
  accept(accepted, 'seller.companyId', supplier.companyId, where);
  for (const vatId of supplier.buyerVatIds ?? []) accept(accepted, 'buyer.vatId', vatId, where);
  if (docVat && supplier.vatId && idKey(supplier.vatId) !== docVat)
    findings.push({
      code: 'supplier_vat_id_mismatch',
      severity: 'warning',
      field: 'seller.vatId',
      message: `the document matches ${label} by ${by}, whose validated documents carry VAT ID ${supplier.vatId}, not ${fields['seller.vatId']!.value}`,
    });
  if (by !== 'iban' && docIban && knownIbans.length > 0 && !knownIbans.includes(docIban))
    findings.push({
      code: 'supplier_iban_changed',
      severity: 'error',
      field: 'payment.iban',
      message: `${label} was paid to ${knownIbans.join(', ')} before; this document asks for ${fields['payment.iban']!.value}: confirm the new account with the supplier before paying`,
    });
  const confidence = learnedConfidence(by, supplier);
  const filled: string[] = [];
  for (const [name, value, confirms] of [
    ['seller.name', supplier.name, by !== 'name'],
    ['seller.vatId', supplier.vatId, true],
    ['seller.companyId', supplier.companyId, true],
  ] as const) {
    const outcome = fill(fields, name, value, confidence, confirms);
    if (outcome) filled.push(name);
    // The supplier's name or company id where its page prints none, found by an identifier the
    // page prints: the firm's data, as a profile's fill is (hints/apply.ts), and marked alike. Not
    // its VAT ID: a VAT invoice must carry the supplier's VAT ID (VAT Directive art. 226), not its
    // register number, so a person must see one that lacks it. A likeness of names is no
    // identity, and a doubtful reading replaced stays a reading.
    if (outcome === 'unprinted' && by !== 'name' && name !== 'seller.vatId')
      findings.push({
        code: FILLED_FROM_SUPPLIER_PROFILE,
        severity: 'info',
        field: name,
        message: `${name} is not printed on this document: ${value} is the value of ${where}, not read from this page`,
      });
  }
  // The bank account the supplier was paid to before (its checksum is checked in validation).
  if (docIban && knownIbans.includes(docIban)) fields['payment.iban']!.confirmedBy = 'supplier';
  confirmHistory(fields, supplier);
  findings.push({
    code: 'supplier_known',
    severity: 'info',
    message: `the seller is ${label} from the supplier directory (matched by ${by}${filled.length ? `; filled ${filled.join(', ')}` : ''})`,
  });
  return findings;
}

/**
 * An invoice number or date read from the text layer at the place where the supplier's validated
 * documents print that field is that field of its layout: the rules found it by its label, and a
 * person's validation of the supplier's earlier invoice located the same field there. Only text
 * layers are compared: their points mean the same on every page of a template, an OCR render's
 * pixels do not.
 */
function confirmPlaces(fields: Fields, supplier: KnownSupplier): void {
  for (const name of PLACED_FIELDS) {
    const field = fields[name];
    const places = supplier.places?.[name];
    if (field?.source !== 'text' || !field.bbox || field.page === undefined || !places) continue;
    const here: FieldPlace = { page: field.page, bbox: field.bbox };
    if (places.some((place) => atPlace(here, place))) field.confirmedBy ??= 'supplier';
  }
}

function atPlace(here: FieldPlace, place: FieldPlace): boolean {
  const near = (a: number, b: number) => Math.abs(a - b) <= PLACE_TOLERANCE_PT;
  const [x0, y0, x1] = here.bbox;
  const [px0, py0, px1] = place.bbox;
  return here.page === place.page && near(y0, py0) && (near(x0, px0) || near(x1, px1));
}

const DAY_MS = 86_400_000;

/**
 * Days from an issue date to a due date (ISO dates), or null when either is missing or they are
 * not whole days apart. The directory records a supplier's payment terms with it, and a new
 * document's dates are compared by it, so the two always measure alike.
 */
export function termsDays(issue: string | null | undefined, due: string | null | undefined): number | null {
  if (!issue || !due) return null;
  const days = (Date.parse(`${due}T00:00:00Z`) - Date.parse(`${issue}T00:00:00Z`)) / DAY_MS;
  return Number.isInteger(days) ? days : null;
}

/** A value read from the page (not one the directory or a profile filled in). */
function printed(field: ExtractedField | undefined): field is ExtractedField {
  return field !== undefined && field.source !== 'learned' && field.source !== 'user';
}

/**
 * The numbering scheme an invoice number follows: letters kept (upper case), every digit a 9, other
 * characters as they are ("RE-20171118/506" → "RE-99999999/999"). '' for a number of digits only
 * or shorter than 4 characters: such a shape is shared by too many other numbers on a page (an
 * order or customer number) to say anything.
 */
export function invoiceNumberShape(value: string): string {
  const shape = value.trim().toUpperCase().replace(/\d/g, '9');
  return shape.length >= 4 && /[^9]/.test(shape) && /9/.test(shape) ? shape : '';
}

/**
 * What the supplier's validated documents confirm beyond its identity: an invoice number in the
 * supplier's numbering scheme, a payment reference that is that confirmed number where the
 * supplier's references are its invoice numbers, a currency it billed in before, a buyer it billed
 * before, and an issue and a due date whose distance is one of its payment terms (two dates
 * misread by the same number of days are not a coincidence to expect).
 */
function confirmHistory(fields: Fields, supplier: KnownSupplier): void {
  const number = fields.invoiceNumber;
  const shape = number ? invoiceNumberShape(number.value) : '';
  if (printed(number) && shape && supplier.invoiceNumberShapes?.includes(shape))
    number.confirmedBy = 'supplier';
  // The text rules make the reference out to the invoice number when none is printed (a guess at
  // 0.5); for a supplier whose validated references were its invoice numbers it is its scheme. The
  // reference is only as right as the number, so the number must be confirmed first.
  const reference = fields['payment.reference'];
  if (
    printed(reference) &&
    number?.confirmedBy &&
    supplier.referenceIsInvoiceNumber &&
    idKey(reference.value) === idKey(number.value)
  )
    reference.confirmedBy = 'supplier';
  const currency = fields.currency;
  if (printed(currency) && supplier.currencies?.includes(currency.value)) currency.confirmedBy = 'supplier';
  const buyer = fields['buyer.name'];
  if (printed(buyer) && supplier.buyers?.some((b) => nameKey(b) === nameKey(buyer.value)))
    buyer.confirmedBy = 'supplier';
  confirmPlaces(fields, supplier);
  const issue = fields.issueDate;
  const due = fields.dueDate;
  if (!printed(issue) || !printed(due)) return;
  const days = termsDays(issue.value, due.value);
  if (days !== null && supplier.paymentTermsDays?.includes(days)) {
    issue.confirmedBy = 'supplier';
    due.confirmedBy = 'supplier';
  }
}
