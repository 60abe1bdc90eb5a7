/**
 * What an export may claim. EN 16931 when every mandatory business term is there and the totals
 * add up exactly as the standard computes them; Peppol BIS Billing 3.0 when, on top, the buyer
 * reference (or order reference) and both electronic addresses are known. `missing` names the
 * absent business terms (BT-/BG- numbers) and `rules` the EN 16931 rules the data break, so a
 * caller can say precisely why a document cannot be exported as a conformant e-invoice.
 */
import { isDecimalString, toMinorUnits } from '../fields/amount.js';
import type { EIdentifier, EInvoice, EParty } from '../einvoice.js';

export interface Conformance {
  en16931: boolean;
  peppol: boolean;
  /** Business terms (BT-n / BG-n) the standard requires and the data lack. */
  missing: string[];
  /** EN 16931 rules (BR-…) the data break although the terms are present. */
  rules: string[];
  /** Peppol BIS 3 terms missing besides the EN 16931 ones (only informative). */
  peppolMissing: string[];
}

/** Categories whose rate is 0 and which need an exemption reason (BR-E-10, BR-AE-10, BR-IC-10, BR-G-10, BR-O-10). */
const EXEMPT_CATEGORIES = new Set(['E', 'AE', 'K', 'G', 'O']);
const CATEGORIES = new Set(['S', 'Z', 'E', 'AE', 'K', 'G', 'O', 'L', 'M']);

function cents(value: string | undefined): bigint | undefined {
  return value !== undefined && isDecimalString(value) ? toMinorUnits(value) : undefined;
}

function sum(values: Array<string | undefined>): bigint {
  return values.reduce((acc, v) => acc + (cents(v) ?? 0n), 0n);
}

function partyTerms(p: EParty, role: 'seller' | 'buyer'): string[] {
  const missing: string[] = [];
  if (!p.name) missing.push(role === 'seller' ? 'BT-27' : 'BT-44');
  if (!p.address?.country) missing.push(role === 'seller' ? 'BT-40' : 'BT-55');
  return missing;
}

function lineTerms(inv: EInvoice): string[] {
  const missing = new Set<string>();
  if (inv.lines.length === 0) missing.add('BG-25');
  for (const l of inv.lines) {
    if (!l.id) missing.add('BT-126');
    if (!isDecimalString(l.quantity)) missing.add('BT-129');
    if (!isDecimalString(l.net)) missing.add('BT-131');
    if (!isDecimalString(l.price)) missing.add('BT-146');
    if (!l.name) missing.add('BT-153');
    if (!CATEGORIES.has(l.category)) missing.add('BT-151');
  }
  return [...missing];
}

function vatTerms(inv: EInvoice): { missing: string[]; rules: string[] } {
  const missing = new Set<string>();
  const rules = new Set<string>();
  if (inv.vat.length === 0) missing.add('BG-23');
  for (const row of inv.vat) {
    if (!CATEGORIES.has(row.category)) missing.add('BT-118');
    if (row.category !== 'O' && row.rate === undefined) missing.add('BT-119');
    if (EXEMPT_CATEGORIES.has(row.category) && !row.exemptionReason && !row.exemptionReasonCode)
      missing.add('BT-120');
  }
  const categories = new Set([...inv.vat.map((r) => r.category), ...inv.lines.map((l) => l.category)]);
  const sellerVat = inv.seller.vatId ?? inv.seller.taxRegistrationId ?? inv.taxRepresentative?.vatId;
  if ([...categories].some((c) => ['S', 'Z', 'E', 'L', 'M'].includes(c)) && !sellerVat) missing.add('BT-31');
  if (categories.has('AE') || categories.has('K')) {
    if (!sellerVat) missing.add('BT-31');
    if (!inv.buyer.vatId && !inv.buyer.legalId) missing.add('BT-48');
  }
  if (categories.has('O') && [...categories].some((c) => c !== 'O')) rules.add('BR-O-11');
  // BR-CO-18 and the BR-x-08 family: every category of the lines has its breakdown row.
  for (const c of new Set(inv.lines.map((l) => l.category)))
    if (!inv.vat.some((r) => r.category === c)) rules.add('BR-CO-18');
  breakdownBases(inv).forEach((r) => rules.add(r));
  return { missing: [...missing], rules: [...rules] };
}

function rateKey(category: string, rate: string | undefined): string {
  if (category === 'O') return 'O';
  return `${category}|${rate !== undefined && isDecimalString(rate) ? toMinorUnits(rate, 4).toString() : ''}`;
}

/**
 * BR-S-08 and its siblings (BR-Z-08, BR-E-08, BR-AE-08, BR-IC-08, BR-G-08, BR-O-08, BR-AF-08,
 * BR-AG-08): each breakdown row's base is exactly the lines plus charges minus allowances of its
 * category and rate. The standard allows no tolerance here.
 */
function breakdownBases(inv: EInvoice): string[] {
  const expected = new Map<string, bigint>();
  const add = (key: string, amount: bigint) => expected.set(key, (expected.get(key) ?? 0n) + amount);
  for (const l of inv.lines) add(rateKey(l.category, l.rate), cents(l.net) ?? 0n);
  for (const a of inv.allowanceCharges)
    if (a.category) add(rateKey(a.category, a.rate), (a.charge ? 1n : -1n) * (cents(a.amount) ?? 0n));
  const ruleOf: Record<string, string> = { K: 'BR-IC-08', L: 'BR-AF-08', M: 'BR-AG-08' };
  const broken = new Set<string>();
  for (const row of inv.vat) {
    const key = rateKey(row.category, row.rate);
    if ((expected.get(key) ?? 0n) !== cents(row.base))
      broken.add(ruleOf[row.category] ?? `BR-${row.category}-08`);
  }
  return [...broken];
}

function totalsRules(inv: EInvoice): { missing: string[]; rules: string[] } {
  const t = inv.totals;
  const missing: string[] = [];
  const rules: string[] = [];
  if (cents(t.tax) === undefined) missing.push('BT-110');
  for (const [term, value] of [
    ['BT-106', t.lineNet],
    ['BT-109', t.net],
    ['BT-112', t.gross],
    ['BT-115', t.due],
  ] as const)
    if (cents(value) === undefined) missing.push(term);
  if (missing.length) return { missing, rules };
  const allowances = inv.allowanceCharges.filter((a) => !a.charge);
  const charges = inv.allowanceCharges.filter((a) => a.charge);
  if (sum(inv.lines.map((l) => l.net)) !== cents(t.lineNet)) rules.push('BR-CO-10');
  if (allowances.length && sum(allowances.map((a) => a.amount)) !== cents(t.allowances))
    rules.push('BR-CO-11');
  if (charges.length && sum(charges.map((a) => a.amount)) !== cents(t.charges)) rules.push('BR-CO-12');
  if (cents(t.lineNet)! - (cents(t.allowances) ?? 0n) + (cents(t.charges) ?? 0n) !== cents(t.net))
    rules.push('BR-CO-13');
  if (sum(inv.vat.map((r) => r.tax)) !== cents(t.tax)) rules.push('BR-CO-14');
  if (cents(t.net)! + cents(t.tax)! !== cents(t.gross)) rules.push('BR-CO-15');
  if (cents(t.gross)! - (cents(t.prepaid) ?? 0n) + (cents(t.rounding) ?? 0n) !== cents(t.due))
    rules.push('BR-CO-16');
  return { missing, rules };
}

/**
 * The shape of the code lists the scheme identifiers and reason codes must come from. ISO 6523
 * ICD values are four digits starting 0; CEF EAS values are ICD-like, 99xx national schemes, or
 * the two-letter AN, AQ, AS, AU, EM; allowance reasons are UNTDID 5189 (numeric), charge reasons
 * UNTDID 7161 (letters). EAS 9958 (the Leitweg-ID) was withdrawn in favour of ICD 0204 and is
 * refused by the current EN 16931 artefacts. Full code lists are the validator's; this catches
 * what a source from another syntax or an older list version carries most often.
 */
const ICD = /^0\d{3}$/;
const EAS = /^(0\d{3}|99\d{2}|AN|AQ|AS|AU|EM)$/;
const WITHDRAWN_EAS = new Set(['9958']);

function codeListRules(inv: EInvoice): string[] {
  const rules = new Set<string>();
  const parties = [inv.seller, inv.buyer];
  for (const p of [...parties, ...(inv.payee ? [inv.payee] : [])])
    if (p.ids.some((i) => i.scheme !== undefined && !ICD.test(i.scheme))) rules.add('BR-CL-10');
  for (const p of [...parties, ...(inv.payee ? [inv.payee] : [])])
    if (p.legalId?.scheme !== undefined && !ICD.test(p.legalId.scheme)) rules.add('BR-CL-11');
  if (inv.delivery?.locationId?.scheme !== undefined && !ICD.test(inv.delivery.locationId.scheme))
    rules.add('BR-CL-26');
  for (const p of parties) {
    const scheme = p.electronicAddress?.scheme;
    if (p.electronicAddress && (!scheme || !EAS.test(scheme) || WITHDRAWN_EAS.has(scheme)))
      rules.add('BR-CL-25');
  }
  for (const l of inv.lines)
    if (l.standardItemId?.scheme !== undefined && !ICD.test(l.standardItemId.scheme)) rules.add('BR-CL-21');
  const allowances = [...inv.allowanceCharges, ...inv.lines.flatMap((l) => l.allowances)];
  for (const a of allowances) {
    if (a.reasonCode === undefined) continue;
    if (!a.charge && !/^\d{1,3}$/.test(a.reasonCode)) rules.add('BR-CL-19');
    if (a.charge && !/^[A-Z]{1,3}$/.test(a.reasonCode)) rules.add('BR-CL-20');
  }
  return [...rules];
}

/** Peppol participant schemes: EAS codes of registries (not EM e-mail or the AN..AU service ids). */
const PEPPOL_EAS = /^(0\d{3}|99\d{2})$/;
/** Invoice type codes Peppol BIS 3 profile 01 takes (PEPPOL-EN16931-P0100/P0101, the common ones). */
const PEPPOL_TYPE_CODES = new Set(['380', '381', '383', '384', '386', '326']);

/** GS1 check digit of a GLN (ICD / EAS 0088), PEPPOL-COMMON-R040. */
function validGln(id: string): boolean {
  if (!/^\d{13}$/.test(id)) return false;
  const digits = [...id].map(Number);
  const sum = digits.slice(0, 12).reduce((acc, d, i) => acc + d * (i % 2 === 0 ? 1 : 3), 0);
  return (10 - (sum % 10)) % 10 === digits[12];
}

function peppolTerms(inv: EInvoice): string[] {
  const missing: string[] = [];
  if (!inv.buyerReference && !inv.orderReference) missing.push('BT-10');
  if (!inv.seller.electronicAddress?.scheme || !PEPPOL_EAS.test(inv.seller.electronicAddress.scheme))
    missing.push('BT-34');
  if (!inv.buyer.electronicAddress?.scheme || !PEPPOL_EAS.test(inv.buyer.electronicAddress.scheme))
    missing.push('BT-49');
  if (!PEPPOL_TYPE_CODES.has(inv.typeCode)) missing.push('BT-3');
  const glns: EIdentifier[] = [inv.seller, inv.buyer].flatMap((p) => [
    ...p.ids,
    ...(p.legalId ? [p.legalId] : []),
    ...(p.electronicAddress ? [p.electronicAddress] : []),
  ]);
  if (inv.payee) glns.push(...inv.payee.ids, ...(inv.payee.legalId ? [inv.payee.legalId] : []));
  if (inv.delivery?.locationId) glns.push(inv.delivery.locationId);
  if (glns.some((i) => i.scheme === '0088' && !validGln(i.id))) missing.push('PEPPOL-COMMON-R040');
  return missing;
}

/**
 * Peppol BIS 3 in CII allows one document note without subject code (PEPPOL-EN16931-R002 CII);
 * in UBL several notes are allowed only between German parties.
 */
export function claimsPeppol(inv: EInvoice, conformance: Conformance, syntax: 'ubl' | 'cii'): boolean {
  if (!conformance.peppol) return false;
  if (syntax === 'cii') return inv.notes.length <= 1 && !inv.notes.some((n) => n.subject);
  const german = inv.seller.address?.country === 'DE' && inv.buyer.address?.country === 'DE';
  return inv.notes.length <= 1 || german;
}

/** Decides what the data allow an export to claim. */
export function checkConformance(inv: EInvoice): Conformance {
  const missing = new Set<string>();
  if (!inv.number) missing.add('BT-1');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(inv.issueDate)) missing.add('BT-2');
  if (!/^\d{3}$/.test(inv.typeCode)) missing.add('BT-3');
  if (!/^[A-Z]{3}$/.test(inv.currency)) missing.add('BT-5');
  partyTerms(inv.seller, 'seller').forEach((m) => missing.add(m));
  partyTerms(inv.buyer, 'buyer').forEach((m) => missing.add(m));
  lineTerms(inv).forEach((m) => missing.add(m));
  const vat = vatTerms(inv);
  vat.missing.forEach((m) => missing.add(m));
  const totals = totalsRules(inv);
  totals.missing.forEach((m) => missing.add(m));
  // BR-CO-25: an amount due needs a due date or payment terms.
  if ((cents(inv.totals.due) ?? 0n) > 0n && !inv.dueDate && !inv.paymentTerms) missing.add('BT-9');
  const rules = [...vat.rules, ...totals.rules, ...codeListRules(inv)];
  const en16931 = missing.size === 0 && rules.length === 0;
  const peppolMissing = peppolTerms(inv);
  return {
    en16931,
    peppol: en16931 && peppolMissing.length === 0,
    missing: [...missing].sort(compareTerms),
    rules,
    peppolMissing,
  };
}

function compareTerms(a: string, b: string): number {
  const n = (t: string) => Number(t.replace(/\D/g, ''));
  return a.slice(0, 2) === b.slice(0, 2) ? n(a) - n(b) : a.localeCompare(b);
}
