import { abs, add, cmp, dec, fromInt, mul, round, shift, sub, sum, type Dec } from './decimal.js';
import { ROOT, categoryOf, isVat, type UblDoc, type UblRule } from './ubl-engine.js';
import { at, descendants, has, indicator, norm, one, val, type El } from './tree.js';

/**
 * The VAT category rules of EN 16931, one family per UNTDID 5305 code: standard rate S (BR-S),
 * zero rate Z (BR-Z), exempt E (BR-E), reverse charge AE (BR-AE), intra-community supply K (BR-IC),
 * export G (BR-G), not subject O (BR-O), Canary Islands IGIC L (BR-AF), Ceuta / Melilla IPSI M
 * (BR-AG). Line-level rules look at lines, allowance rules at allowances, breakdown rules at the
 * breakdown row of the category: each where the standard evaluates it.
 */
interface Category {
  code: string;
  family: string;
  /** How the rate is constrained (BT-96 / BT-103 / BT-119 / BT-152). */
  rate: 'positive' | 'zero' | 'absent' | 'nonNegative';
  /** Identifiers the parties must (or, for O, must not) carry. */
  parties: 'sellerTax' | 'sellerVat' | 'reverseCharge' | 'intraCommunity' | 'none';
  /** Rates vary (S, L, M): the breakdown is per rate, with a one-unit tolerance. */
  perRate: boolean;
  /** An exemption reason (BT-120 / BT-121) is required (true) or forbidden (false). */
  reason: boolean;
}

const CATEGORIES: Category[] = [
  { code: 'S', family: 'BR-S', rate: 'positive', parties: 'sellerTax', perRate: true, reason: false },
  { code: 'Z', family: 'BR-Z', rate: 'zero', parties: 'sellerTax', perRate: false, reason: false },
  { code: 'E', family: 'BR-E', rate: 'zero', parties: 'sellerTax', perRate: false, reason: true },
  { code: 'AE', family: 'BR-AE', rate: 'zero', parties: 'reverseCharge', perRate: false, reason: true },
  { code: 'K', family: 'BR-IC', rate: 'zero', parties: 'intraCommunity', perRate: false, reason: true },
  { code: 'G', family: 'BR-G', rate: 'zero', parties: 'sellerVat', perRate: false, reason: true },
  { code: 'O', family: 'BR-O', rate: 'absent', parties: 'none', perRate: false, reason: true },
  { code: 'L', family: 'BR-AF', rate: 'nonNegative', parties: 'sellerTax', perRate: true, reason: false },
  { code: 'M', family: 'BR-AG', rate: 'nonNegative', parties: 'sellerTax', perRate: true, reason: false },
];

const NAMES: Record<string, string> = {
  S: 'standard rated',
  Z: 'zero rated',
  E: 'exempt',
  AE: 'reverse charge',
  K: 'intra-community supply',
  G: 'export outside the EU',
  O: 'not subject to VAT',
  L: 'IGIC (Canary Islands)',
  M: 'IPSI (Ceuta and Melilla)',
};

const num = (el: El | undefined, path: string): Dec | null => dec(one(el, path)?.text);

const vatSchemes = (party: El | undefined): El[] =>
  at(party, 'PartyTaxScheme').filter((s) =>
    at(s, 'TaxScheme').some((t) => norm(val(t, 'ID')).toUpperCase() === 'VAT'),
  );

interface Parties {
  sellerAnyTaxId: boolean;
  sellerVat: boolean;
  taxRepVat: boolean;
  buyerVat: boolean;
  buyerLegal: boolean;
}

function parties(d: UblDoc): Parties {
  const sellers = descendants(d.root, 'AccountingSupplierParty').flatMap((s) => at(s, 'Party'));
  const buyers = descendants(d.root, 'AccountingCustomerParty').flatMap((s) => at(s, 'Party'));
  const reps = descendants(d.root, 'TaxRepresentativeParty');
  return {
    sellerAnyTaxId: sellers.some((p) => has(p, 'PartyTaxScheme/CompanyID')),
    sellerVat: sellers.some((p) => vatSchemes(p).some((s) => has(s, 'CompanyID'))),
    taxRepVat: reps.some((p) => vatSchemes(p).some((s) => has(s, 'CompanyID'))),
    buyerVat: buyers.some((p) => vatSchemes(p).some((s) => has(s, 'CompanyID'))),
    buyerLegal: buyers.some((p) => has(p, 'PartyLegalEntity/CompanyID')),
  };
}

function partiesOk(c: Category, p: Parties): boolean {
  switch (c.parties) {
    case 'sellerTax':
      return p.sellerAnyTaxId || p.taxRepVat;
    case 'sellerVat':
      return p.sellerVat || p.taxRepVat;
    case 'reverseCharge':
      return (p.sellerAnyTaxId || p.taxRepVat) && (p.buyerVat || p.buyerLegal);
    case 'intraCommunity':
      return (p.sellerVat || p.taxRepVat) && p.buyerVat;
    case 'none':
      return !p.sellerVat && !p.taxRepVat && !p.buyerVat;
  }
}

function rateOk(c: Category, taxCategory: El): boolean {
  const rate = num(taxCategory, 'Percent');
  switch (c.rate) {
    case 'positive':
      return rate !== null && rate.units > 0n;
    case 'zero':
      return rate !== null && rate.units === 0n;
    case 'nonNegative':
      return rate !== null && rate.units >= 0n;
    case 'absent':
      return !has(taxCategory, 'Percent');
  }
}

const of =
  (code: string, vatOnly = true) =>
  (tc: El) =>
    categoryOf(tc) === code && (!vatOnly || isVat(tc));

/** Tax categories of allowances (false) or charges (true) at any depth (XPath //cac:AllowanceCharge). */
const allowanceCategories = (d: UblDoc, charge: boolean): El[] =>
  descendants(d.root, 'AllowanceCharge')
    .filter((a) => indicator(a) === charge)
    .flatMap((a) => at(a, 'TaxCategory'));
const rootAllowances = (d: UblDoc, charge: boolean): El[] =>
  at(d.root, 'AllowanceCharge').filter((a) => indicator(a) === charge);
const breakdownCategories = (d: UblDoc): El[] => at(d.root, 'TaxTotal/TaxSubtotal/TaxCategory');

/**
 * The taxable amount the lines, charges and allowances of a category (and rate) add up to. Lines
 * are those of the document's own kind (InvoiceLine in an Invoice, CreditNoteLine in a CreditNote).
 */
function categoryBase(d: UblDoc, code: string, rate: Dec | null): Dec | null {
  const rated = (tc: El): boolean => {
    if (rate === null) return true;
    const r = num(tc, 'Percent');
    return r !== null && cmp(r, rate) === 0;
  };
  const lines = d.lines.filter(
    (l) =>
      at(l, 'Item/ClassifiedTaxCategory').some((tc) => categoryOf(tc) === code) &&
      (rate === null || at(l, 'Item/ClassifiedTaxCategory').some(rated)),
  );
  const matching = (charge: boolean): El[] =>
    rootAllowances(d, charge).filter(
      (a) =>
        at(a, 'TaxCategory').some((tc) => categoryOf(tc) === code) &&
        (rate === null || at(a, 'TaxCategory').some(rated)),
    );
  const lineSum = sum(lines.map((l) => num(l, 'LineExtensionAmount')));
  const charges = sum(matching(true).map((a) => num(a, 'Amount')));
  const allowances = sum(matching(false).map((a) => num(a, 'Amount')));
  if (lineSum === null || charges === null || allowances === null) return null;
  return sub(add(lineSum, charges), allowances);
}

function lineKindPresent(d: UblDoc): boolean {
  return descendants(d.root, d.credit ? 'CreditNoteLine' : 'InvoiceLine').length > 0;
}

/** BR-x-08: the breakdown's taxable amount is what its lines, charges and allowances add up to. */
function baseOk(c: Category, tc: El, d: UblDoc): boolean {
  const row = tc.parent!;
  const taxable = num(row, 'TaxableAmount');
  if (!c.perRate) {
    const expected = categoryBase(d, c.code, null);
    return lineKindPresent(d) && taxable !== null && expected !== null && cmp(taxable, expected) === 0;
  }
  const rate = num(tc, 'Percent');
  // `every $rate in xs:decimal(cbc:Percent)`: nothing to check without a rate.
  if (rate === null) return true;
  const expected = categoryBase(d, c.code, rate);
  if (taxable === null || expected === null) return false;
  const within = cmp(abs(sub(taxable, expected)), fromInt(1)) < 0;
  if (c.code !== 'S') return lineKindPresent(d) && within;
  const used =
    d.lines.some((l) =>
      at(l, 'Item/ClassifiedTaxCategory').some((x) => categoryOf(x) === 'S' && eqRate(x, rate)),
    ) ||
    descendants(d.root, 'AllowanceCharge').some((a) =>
      at(a, 'TaxCategory').some((x) => categoryOf(x) === 'S' && eqRate(x, rate)),
    );
  return used && within;
}

function eqRate(tc: El, rate: Dec): boolean {
  const r = num(tc, 'Percent');
  return r !== null && cmp(r, rate) === 0;
}

/** BR-x-09: the breakdown's VAT amount (zero, or taxable amount x rate within one unit). */
function amountOk(c: Category, tc: El): boolean {
  const row = tc.parent!;
  const tax = num(row, 'TaxAmount');
  if (tax === null) return false;
  if (!c.perRate) return tax.units === 0n;
  const base = num(row, 'TaxableAmount');
  const rate = num(tc, 'Percent');
  if (base === null || rate === null) return false;
  const expected = round(mul(abs(base), shift(rate, 2)), 2);
  const one_ = fromInt(1);
  return cmp(sub(abs(tax), one_), expected) < 0 && cmp(add(abs(tax), one_), expected) > 0;
}

const hasExemption = (tc: El): boolean => has(tc, 'TaxExemptionReason') || has(tc, 'TaxExemptionReasonCode');

function categoryRules(c: Category): UblRule[] {
  const f = c.family;
  const name = `${NAMES[c.code]} (${c.code})`;
  const lineCats = (d: UblDoc): El[] =>
    d.lines.flatMap((l) => at(l, 'Item/ClassifiedTaxCategory')).filter(of(c.code));
  // -06 / -07 match cac:AllowanceCharge/cac:TaxCategory at any depth, as the standard's context does.
  const docAllowanceCats = (charge: boolean) => (d: UblDoc) =>
    allowanceCategories(d, charge).filter(of(c.code));
  const rowCats = (d: UblDoc): El[] => breakdownCategories(d).filter(of(c.code));
  const partyMessage =
    c.parties === 'none'
      ? 'must not carry seller, tax representative or buyer VAT identifiers'
      : c.parties === 'reverseCharge'
        ? 'needs the seller VAT or tax identifier and the buyer VAT or legal identifier'
        : c.parties === 'intraCommunity'
          ? 'needs the seller and the buyer VAT identifiers'
          : c.parties === 'sellerVat'
            ? 'needs the seller VAT identifier (BT-31 / BT-63)'
            : 'needs the seller VAT or tax identifier (BT-31 / BT-32 / BT-63)';
  const rateMessage = {
    positive: 'needs a rate above zero',
    zero: 'needs rate 0',
    absent: 'must not carry a rate',
    nonNegative: 'needs a rate of zero or more',
  }[c.rate];
  const usedWith = (cats: (d: UblDoc) => El[]) => (root: El, d: UblDoc) =>
    cats(d).length === 0 || partiesOk(c, parties(d));
  const lineUse = (d: UblDoc): El[] => descendants(d.root, 'ClassifiedTaxCategory').filter(of(c.code));
  // BR-O-03 / 04 look at document-level allowances only; the other families at any depth.
  const allowanceUse = (charge: boolean) => (d: UblDoc) =>
    (c.code === 'O'
      ? rootAllowances(d, charge).flatMap((a) => at(a, 'TaxCategory'))
      : allowanceCategories(d, charge)
    ).filter(of(c.code));
  return [
    {
      id: `${f}-01`,
      context: ROOT,
      test: (_r, d) => {
        const rows = breakdownCategories(d);
        if (c.perRate) {
          const used =
            descendants(d.root, 'AllowanceCharge')
              .flatMap((a) => at(a, 'TaxCategory'))
              .filter(of(c.code, false)).length +
            descendants(d.root, 'ClassifiedTaxCategory').filter(of(c.code, false)).length;
          return used > 0 === rows.some(of(c.code, false));
        }
        const anywhere =
          descendants(d.root, 'TaxCategory').some(of(c.code)) ||
          descendants(d.root, 'ClassifiedTaxCategory').some(of(c.code));
        return !anywhere || rows.filter(of(c.code)).length === 1;
      },
      message: c.perRate
        ? `lines, allowances or charges of category ${name} need a VAT breakdown row of that category, and only then`
        : `an invoice with category ${name} needs exactly one VAT breakdown row of that category`,
    },
    {
      id: `${f}-02`,
      context: ROOT,
      test: usedWith(lineUse),
      message: `a line of category ${name} ${partyMessage}`,
    },
    {
      id: `${f}-03`,
      context: ROOT,
      test: usedWith(allowanceUse(false)),
      message: `an allowance of category ${name} ${partyMessage}`,
    },
    {
      id: `${f}-04`,
      context: ROOT,
      test: usedWith(allowanceUse(true)),
      message: `a charge of category ${name} ${partyMessage}`,
    },
    {
      id: `${f}-05`,
      context: lineCats,
      test: (tc) => rateOk(c, tc),
      message: `a line of category ${name} ${rateMessage}`,
    },
    {
      id: `${f}-06`,
      context: docAllowanceCats(false),
      test: (tc) => rateOk(c, tc),
      message: `an allowance of category ${name} ${rateMessage}`,
    },
    {
      id: `${f}-07`,
      context: docAllowanceCats(true),
      test: (tc) => rateOk(c, tc),
      message: `a charge of category ${name} ${rateMessage}`,
    },
    {
      id: `${f}-08`,
      context: rowCats,
      test: (tc, d) => baseOk(c, tc, d),
      message: `the ${name} breakdown taxable amount (BT-116) is not the sum of its lines, charges and allowances`,
    },
    {
      id: `${f}-09`,
      context: rowCats,
      test: (tc) => amountOk(c, tc),
      message: c.perRate
        ? `the ${name} breakdown VAT amount (BT-117) is not taxable amount x rate`
        : `the ${name} breakdown VAT amount (BT-117) must be 0`,
    },
    {
      id: `${f}-10`,
      context: rowCats,
      test: (tc) => hasExemption(tc) === c.reason,
      message: c.reason
        ? `the ${name} breakdown needs an exemption reason (BT-120 / BT-121)`
        : `the ${name} breakdown must not carry an exemption reason (BT-120 / BT-121)`,
    },
  ];
}

const breakdownHas = (r: El, code: string): boolean =>
  at(r, 'TaxTotal/TaxSubtotal/TaxCategory').some((tc) => categoryOf(tc) === code);

/** Rules of one category that are not of the common shape. */
const SPECIAL: UblRule[] = [
  {
    id: 'BR-IC-11',
    context: ROOT,
    test: (r) =>
      !breakdownHas(r, 'K') || val(r, 'Delivery/ActualDeliveryDate').length > 1 || has(r, 'InvoicePeriod/*'),
    message: 'an intra-community supply needs the delivery date (BT-72) or the invoicing period (BG-14)',
  },
  {
    id: 'BR-IC-12',
    context: ROOT,
    test: (r) =>
      !breakdownHas(r, 'K') ||
      val(r, 'Delivery/DeliveryLocation/Address/Country/IdentificationCode').length > 1,
    message: 'an intra-community supply needs the deliver-to country (BT-80)',
  },
  {
    id: 'BR-O-11',
    context: ROOT,
    test: (r) =>
      !breakdownHas(r, 'O') ||
      at(r, 'TaxTotal/TaxSubtotal/TaxCategory').every((tc) => categoryOf(tc) === 'O'),
    message: 'an invoice with a "not subject to VAT" breakdown must have no other breakdown category',
  },
  {
    id: 'BR-O-12',
    context: ROOT,
    test: (r) =>
      !breakdownHas(r, 'O') || descendants(r, 'ClassifiedTaxCategory').every((tc) => categoryOf(tc) === 'O'),
    message: 'an invoice with a "not subject to VAT" breakdown must have no line of another category',
  },
  {
    id: 'BR-O-13',
    context: ROOT,
    test: (r, d) =>
      !breakdownHas(r, 'O') || allowanceCategories(d, false).every((tc) => categoryOf(tc) === 'O'),
    message: 'an invoice with a "not subject to VAT" breakdown must have no allowance of another category',
  },
  {
    id: 'BR-O-14',
    context: ROOT,
    test: (r, d) =>
      !breakdownHas(r, 'O') || allowanceCategories(d, true).every((tc) => categoryOf(tc) === 'O'),
    message: 'an invoice with a "not subject to VAT" breakdown must have no charge of another category',
  },
  {
    id: 'BR-B-01',
    context: ROOT,
    test: (r) => {
      const split =
        descendants(r, 'TaxCategory').some((tc) => val(tc, 'ID') === 'B') ||
        descendants(r, 'ClassifiedTaxCategory').some((tc) => val(tc, 'ID') === 'B');
      return !split || descendants(r, 'IdentificationCode').every((c) => c.text === 'IT');
    },
    message: 'split payment (category B) is only for Italian domestic invoices',
  },
  {
    id: 'BR-B-02',
    context: ROOT,
    test: (r) => {
      const codes = [
        ...at(r, 'TaxTotal/TaxSubtotal/TaxCategory'),
        ...at(r, 'AllowanceCharge/TaxCategory'),
        ...descendants(r, 'ClassifiedTaxCategory'),
      ].map((tc) => val(tc, 'ID'));
      return !codes.includes('B') || !codes.includes('S');
    },
    message: 'an invoice with split payment (category B) must not also have standard rated (S) VAT',
  },
];

export const VAT_RULES: UblRule[] = [...CATEGORIES.flatMap(categoryRules), ...SPECIAL];
