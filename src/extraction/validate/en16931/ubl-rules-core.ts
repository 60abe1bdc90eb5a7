import { COUNTRIES } from './code-lists/index.js';
import { abs, add, cmp, dec, fromInt, mul, round, shift, sub, sum, type Dec } from './decimal.js';
import {
  ROOT,
  anywhere,
  below,
  matching,
  categoryOf,
  isVat,
  type UblDoc,
  type UblRule,
} from './ubl-engine.js';
import { at, descendants, filled, has, indicator, norm, one, val, type El } from './tree.js';

/** xs:decimal of the first element at the path; null when absent or not a decimal. */
const num = (el: El | undefined, path: string): Dec | null => dec(one(el, path)?.text);
/** round(x * 100) div 100 */
const cents = (x: Dec): Dec => round(x, 2);
const eq = (a: Dec | null, b: Dec | null): boolean => a !== null && b !== null && cmp(a, b) === 0;
/** XPath `(x) >= 0` on an untyped value: false when absent. */
const nonNegative = (el: El, path: string): boolean => {
  const v = num(el, path);
  return v !== null && v.units >= 0n;
};
const sumAt = (els: El[], path: string): Dec | null => sum(els.map((e) => num(e, path)));

const allowances = (parent: El, charge: boolean): El[] =>
  at(parent, 'AllowanceCharge').filter((a) => indicator(a) === charge);

/** The VAT identifier prefixes: ISO 3166 codes plus EL (Greece), as one string the rule searches. */
const VAT_PREFIXES = ` ${[...COUNTRIES, 'EL'].join(' ')} `;

/** Invoice lines anywhere (XPath //cac:InvoiceLine | //cac:CreditNoteLine). */
const allLines = (d: UblDoc): El[] => descendants(d.root, 'InvoiceLine', 'CreditNoteLine');

const LINES = (d: UblDoc): El[] => d.lines;
const TOTALS = matching('LegalMonetaryTotal');
const SELLER = matching('AccountingSupplierParty');
const DOC_ALLOWANCES = (d: UblDoc): El[] => allowances(d.root, false);
const DOC_CHARGES = (d: UblDoc): El[] => allowances(d.root, true);
const LINE_ALLOWANCES = (d: UblDoc): El[] => d.lines.flatMap((l) => allowances(l, false));
const LINE_CHARGES = (d: UblDoc): El[] => d.lines.flatMap((l) => allowances(l, true));
const BREAKDOWN = matching('TaxTotal/TaxSubtotal');

const hasVatCategory = (el: El, path: string): boolean => at(el, path).some((c) => isVat(c) && has(c, 'ID'));
const hasReason = (el: El): boolean =>
  has(el, 'AllowanceChargeReason') || has(el, 'AllowanceChargeReasonCode');
/** `string-length(substring-after(x, '.')) <= 2` */
const twoDecimalsText = (v: string | undefined): boolean =>
  v === undefined || !v.includes('.') || v.split('.')[1]!.length <= 2;
const twoDecimals = (el: El, name: string): boolean => twoDecimalsText(one(el, name)?.text);

/** xs:date comparison of an end and a start date; true when either is absent or unreadable. */
function endNotBeforeStart(period: El): boolean {
  const start = val(period, 'StartDate');
  const end = val(period, 'EndDate');
  const date = /^\d{4}-\d{2}-\d{2}/;
  if (!has(period, 'StartDate') || !has(period, 'EndDate') || !date.test(start) || !date.test(end))
    return true;
  return end.slice(0, 10) >= start.slice(0, 10);
}

/** BR-CO-13: TaxExclusiveAmount = LineExtensionAmount + charges - allowances, exactly (to the cent). */
function taxExclusiveMatches(t: El): boolean {
  let expected = num(t, 'LineExtensionAmount');
  if (expected === null) return false;
  if (has(t, 'ChargeTotalAmount')) {
    const c = num(t, 'ChargeTotalAmount');
    if (c === null) return false;
    expected = add(expected, c);
  }
  if (has(t, 'AllowanceTotalAmount')) {
    const a = num(t, 'AllowanceTotalAmount');
    if (a === null) return false;
    expected = sub(expected, a);
  }
  const stated = num(t, 'TaxExclusiveAmount');
  const ruled = has(t, 'ChargeTotalAmount') || has(t, 'AllowanceTotalAmount') ? cents(expected) : expected;
  return eq(stated, ruled);
}

/** BR-CO-16: PayableAmount = TaxInclusiveAmount - PrepaidAmount + PayableRoundingAmount. */
function payableMatches(t: El): boolean {
  const payable = num(t, 'PayableAmount');
  const inclusive = num(t, 'TaxInclusiveAmount');
  if (payable === null || inclusive === null) return false;
  const prepaid = has(t, 'PrepaidAmount') ? num(t, 'PrepaidAmount') : null;
  const rounding = has(t, 'PayableRoundingAmount') ? num(t, 'PayableRoundingAmount') : null;
  if ((has(t, 'PrepaidAmount') && prepaid === null) || (has(t, 'PayableRoundingAmount') && rounding === null))
    return false;
  const left = rounding ? cents(sub(payable, rounding)) : payable;
  const right = prepaid ? cents(sub(inclusive, prepaid)) : inclusive;
  return cmp(left, right) === 0;
}

/** BR-CO-17: VAT amount = taxable amount x rate, within one unit (the standard's own tolerance). */
function breakdownAmountMatches(sub_: El): boolean {
  const category = at(sub_, 'TaxCategory').find(isVat);
  const rate = num(category, 'Percent');
  const tax = num(sub_, 'TaxAmount');
  if (tax === null) return false;
  if (rate === null) return has(category, 'Percent') ? false : round(tax).units === 0n;
  if (round(rate).units === 0n) return round(tax).units === 0n;
  const base = num(sub_, 'TaxableAmount');
  if (base === null) return false;
  const expected = cents(mul(abs(base), shift(rate, 2)));
  const one_ = fromInt(1);
  return cmp(sub(abs(tax), one_), expected) < 0 && cmp(add(abs(tax), one_), expected) > 0;
}

/** BR-CO-15: TaxInclusiveAmount = TaxExclusiveAmount + the VAT total in the invoice currency. */
function grossMatches(root: El): boolean {
  for (const currency of at(root, 'DocumentCurrencyCode')) {
    const taxes = at(root, 'TaxTotal/TaxAmount').filter((t) => t.attrs.currencyID === currency.text);
    if (taxes.length !== 1) return false;
    const exclusive = num(root, 'LegalMonetaryTotal/TaxExclusiveAmount');
    const inclusive = num(root, 'LegalMonetaryTotal/TaxInclusiveAmount');
    const tax = dec(taxes[0]!.text);
    if (exclusive === null || tax === null || !eq(inclusive, cents(add(exclusive, tax)))) return false;
  }
  return true;
}

const vatIdOf = (party: El | undefined): El[] =>
  at(party, 'PartyTaxScheme').filter((s) =>
    at(s, 'TaxScheme').some((t) => val(t, 'ID').toUpperCase() === 'VAT'),
  );

/** EN 16931 core rules (BR-01..65, BR-CO, BR-DEC) bound to UBL 2.1. */
export const CORE_RULES: UblRule[] = [
  {
    id: 'BR-01',
    context: ROOT,
    test: (r) => filled(r, 'CustomizationID'),
    message: 'the specification identifier (BT-24) is missing',
  },
  {
    id: 'BR-02',
    context: ROOT,
    test: (r) => filled(r, 'ID'),
    message: 'the invoice number (BT-1) is missing',
  },
  {
    id: 'BR-03',
    context: ROOT,
    test: (r) => filled(r, 'IssueDate'),
    message: 'the issue date (BT-2) is missing',
  },
  {
    id: 'BR-04',
    context: ROOT,
    test: (r) => filled(r, 'InvoiceTypeCode') || filled(r, 'CreditNoteTypeCode'),
    message: 'the invoice type code (BT-3) is missing',
  },
  {
    id: 'BR-05',
    context: ROOT,
    test: (r) => filled(r, 'DocumentCurrencyCode'),
    message: 'the invoice currency (BT-5) is missing',
  },
  {
    id: 'BR-06',
    context: ROOT,
    test: (r) => filled(r, 'AccountingSupplierParty/Party/PartyLegalEntity/RegistrationName'),
    message: 'the seller name (BT-27) is missing',
  },
  {
    id: 'BR-07',
    context: ROOT,
    test: (r) => filled(r, 'AccountingCustomerParty/Party/PartyLegalEntity/RegistrationName'),
    message: 'the buyer name (BT-44) is missing',
  },
  {
    id: 'BR-08',
    context: ROOT,
    test: (r) => has(r, 'AccountingSupplierParty/Party/PostalAddress'),
    message: 'the seller postal address (BG-5) is missing',
  },
  {
    id: 'BR-09',
    context: matching('AccountingSupplierParty/Party/PostalAddress'),
    test: (a) => filled(a, 'Country/IdentificationCode'),
    message: 'the seller country code (BT-40) is missing',
  },
  {
    id: 'BR-10',
    context: ROOT,
    test: (r) => has(r, 'AccountingCustomerParty/Party/PostalAddress'),
    message: 'the buyer postal address (BG-8) is missing',
  },
  {
    id: 'BR-11',
    context: matching('AccountingCustomerParty/Party/PostalAddress'),
    test: (a) => filled(a, 'Country/IdentificationCode'),
    message: 'the buyer country code (BT-55) is missing',
  },
  {
    id: 'BR-12',
    context: TOTALS,
    test: (t) => has(t, 'LineExtensionAmount'),
    message: 'the sum of line net amounts (BT-106) is missing',
  },
  {
    id: 'BR-13',
    context: TOTALS,
    test: (t) => has(t, 'TaxExclusiveAmount'),
    message: 'the total without VAT (BT-109) is missing',
  },
  {
    id: 'BR-14',
    context: TOTALS,
    test: (t) => has(t, 'TaxInclusiveAmount'),
    message: 'the total with VAT (BT-112) is missing',
  },
  {
    id: 'BR-15',
    context: TOTALS,
    test: (t) => has(t, 'PayableAmount'),
    message: 'the amount due (BT-115) is missing',
  },
  {
    id: 'BR-16',
    context: ROOT,
    test: (r) => has(r, 'InvoiceLine') || has(r, 'CreditNoteLine'),
    message: 'the invoice has no lines (BG-25)',
  },
  {
    id: 'BR-17',
    context: matching('PayeeParty'),
    test: (p) => {
      const seller = one(p.parent, 'AccountingSupplierParty/Party');
      const names = new Set(at(seller, 'PartyName/Name').map((n) => n.text));
      const ids = new Set(at(seller, 'PartyIdentification/ID').map((n) => n.text));
      return (
        has(p, 'PartyName/Name') &&
        !at(p, 'PartyName/Name').some((n) => names.has(n.text)) &&
        !at(p, 'PartyIdentification/ID').some((n) => ids.has(n.text))
      );
    },
    message: 'a payee (BG-10) other than the seller needs its own name (BT-59)',
  },
  {
    id: 'BR-18',
    context: matching('TaxRepresentativeParty'),
    test: (p) => filled(p, 'PartyName/Name'),
    message: 'the tax representative name (BT-62) is missing',
  },
  {
    id: 'BR-19',
    context: matching('TaxRepresentativeParty'),
    test: (p) => has(p, 'PostalAddress'),
    message: 'the tax representative postal address (BG-12) is missing',
  },
  {
    id: 'BR-20',
    context: matching('TaxRepresentativeParty/PostalAddress'),
    test: (a) => filled(a, 'Country/IdentificationCode'),
    message: 'the tax representative country code (BT-69) is missing',
  },
  {
    id: 'BR-21',
    context: LINES,
    test: (l) => filled(l, 'ID'),
    message: 'an invoice line has no identifier (BT-126)',
  },
  {
    id: 'BR-22',
    context: LINES,
    test: (l) => has(l, 'InvoicedQuantity') || has(l, 'CreditedQuantity'),
    message: 'an invoice line has no quantity (BT-129)',
  },
  {
    id: 'BR-23',
    context: LINES,
    test: (l) =>
      [...at(l, 'InvoicedQuantity'), ...at(l, 'CreditedQuantity')].some((q) => 'unitCode' in q.attrs),
    message: 'an invoice line has no unit of measure (BT-130)',
  },
  {
    id: 'BR-24',
    context: LINES,
    test: (l) => has(l, 'LineExtensionAmount'),
    message: 'an invoice line has no net amount (BT-131)',
  },
  {
    id: 'BR-25',
    context: LINES,
    test: (l) => filled(l, 'Item/Name'),
    message: 'an invoice line has no item name (BT-153)',
  },
  {
    id: 'BR-26',
    context: LINES,
    test: (l) => has(l, 'Price/PriceAmount'),
    message: 'an invoice line has no item net price (BT-146)',
  },
  {
    id: 'BR-27',
    context: LINES,
    test: (l) => nonNegative(l, 'Price/PriceAmount'),
    message: 'an item net price (BT-146) is negative',
  },
  {
    id: 'BR-28',
    context: LINES,
    test: (l) =>
      !has(l, 'Price/AllowanceCharge/BaseAmount') || nonNegative(l, 'Price/AllowanceCharge/BaseAmount'),
    message: 'an item gross price (BT-148) is negative',
  },
  {
    id: 'BR-29',
    context: below('InvoicePeriod'),
    test: endNotBeforeStart,
    message: 'the invoicing period ends before it starts (BT-73 / BT-74)',
  },
  {
    id: 'BR-30',
    context: (d) => d.lines.flatMap((l) => at(l, 'InvoicePeriod')),
    test: endNotBeforeStart,
    message: 'a line period ends before it starts (BT-134 / BT-135)',
  },
  {
    id: 'BR-31',
    context: DOC_ALLOWANCES,
    test: (a) => has(a, 'Amount'),
    message: 'a document allowance has no amount (BT-92)',
  },
  {
    id: 'BR-32',
    context: DOC_ALLOWANCES,
    test: (a) => hasVatCategory(a, 'TaxCategory'),
    message: 'a document allowance has no VAT category (BT-95)',
  },
  {
    id: 'BR-33',
    context: DOC_ALLOWANCES,
    test: hasReason,
    message: 'a document allowance has no reason (BT-97 / BT-98)',
  },
  {
    id: 'BR-36',
    context: DOC_CHARGES,
    test: (a) => has(a, 'Amount'),
    message: 'a document charge has no amount (BT-99)',
  },
  {
    id: 'BR-37',
    context: DOC_CHARGES,
    test: (a) => hasVatCategory(a, 'TaxCategory'),
    message: 'a document charge has no VAT category (BT-102)',
  },
  {
    id: 'BR-38',
    context: DOC_CHARGES,
    test: hasReason,
    message: 'a document charge has no reason (BT-104 / BT-105)',
  },
  {
    id: 'BR-41',
    context: LINE_ALLOWANCES,
    test: (a) => has(a, 'Amount'),
    message: 'a line allowance has no amount (BT-136)',
  },
  {
    id: 'BR-42',
    context: LINE_ALLOWANCES,
    test: hasReason,
    message: 'a line allowance has no reason (BT-139 / BT-140)',
  },
  {
    id: 'BR-43',
    context: LINE_CHARGES,
    test: (a) => has(a, 'Amount'),
    message: 'a line charge has no amount (BT-141)',
  },
  {
    id: 'BR-44',
    context: LINE_CHARGES,
    test: hasReason,
    message: 'a line charge has no reason (BT-144 / BT-145)',
  },
  {
    id: 'BR-45',
    context: BREAKDOWN,
    test: (s) => has(s, 'TaxableAmount'),
    message: 'a VAT breakdown has no taxable amount (BT-116)',
  },
  {
    id: 'BR-46',
    context: BREAKDOWN,
    test: (s) => has(s, 'TaxAmount'),
    message: 'a VAT breakdown has no VAT amount (BT-117)',
  },
  {
    id: 'BR-47',
    context: BREAKDOWN,
    test: (s) => hasVatCategory(s, 'TaxCategory'),
    message: 'a VAT breakdown has no category code (BT-118)',
  },
  {
    id: 'BR-48',
    context: BREAKDOWN,
    test: (s) => {
      const vat = at(s, 'TaxCategory').filter(isVat);
      return vat.some((c) => has(c, 'Percent')) || vat.some((c) => categoryOf(c) === 'O');
    },
    message: 'a VAT breakdown has no rate (BT-119)',
  },
  {
    id: 'BR-49',
    context: matching('PaymentMeans'),
    test: (p) => has(p, 'PaymentMeansCode'),
    message: 'payment instructions have no payment means code (BT-81)',
  },
  {
    id: 'BR-50',
    context: (d) =>
      at(d.root, 'PaymentMeans')
        .filter((p) => at(p, 'PaymentMeansCode').some((c) => c.text === '30' || c.text === '58'))
        .flatMap((p) => at(p, 'PayeeFinancialAccount')),
    test: (a) => filled(a, 'ID'),
    message: 'a credit transfer names no payment account (BT-84)',
  },
  {
    id: 'BR-51',
    context: matching('PaymentMeans/CardAccount/PrimaryAccountNumberID'),
    test: (n) => norm(n.text).length <= 10,
    message: 'a payment card number (BT-87) shows more than its last digits',
    warning: true,
  },
  {
    id: 'BR-52',
    context: matching('AdditionalDocumentReference'),
    test: (r) => filled(r, 'ID'),
    message: 'a supporting document has no reference (BT-122)',
  },
  {
    id: 'BR-53',
    context: ROOT,
    test: (r) =>
      at(r, 'TaxCurrencyCode').every((c) =>
        descendants(r, 'TaxTotal').some((t) => at(t, 'TaxAmount').some((a) => a.attrs.currencyID === c.text)),
      ),
    message: 'a VAT accounting currency (BT-6) is given without the VAT total in it (BT-111)',
  },
  {
    id: 'BR-54',
    context: anywhere('AdditionalItemProperty'),
    test: (p) => has(p, 'Name') && has(p, 'Value'),
    message: 'an item attribute needs a name and a value (BT-160 / BT-161)',
  },
  {
    id: 'BR-55',
    context: matching('BillingReference'),
    test: (b) => has(b, 'InvoiceDocumentReference/ID'),
    message: 'a preceding invoice reference has no invoice number (BT-25)',
  },
  {
    id: 'BR-56',
    context: matching('TaxRepresentativeParty'),
    test: (p) => vatIdOf(p).some((s) => has(s, 'CompanyID')),
    message: 'the tax representative has no VAT identifier (BT-63)',
  },
  {
    id: 'BR-57',
    context: matching('Delivery/DeliveryLocation/Address'),
    test: (a) => has(a, 'Country/IdentificationCode'),
    message: 'the deliver-to address has no country code (BT-80)',
  },
  {
    id: 'BR-61',
    context: matching('PaymentMeans'),
    test: (p) => {
      const code = val(p, 'PaymentMeansCode');
      return (code !== '30' && code !== '58') || has(p, 'PayeeFinancialAccount/ID');
    },
    message: 'a credit transfer (payment means 30 / 58) names no payment account (BT-84)',
  },
  {
    id: 'BR-62',
    context: matching('AccountingSupplierParty/Party/EndpointID'),
    test: (e) => 'schemeID' in e.attrs,
    message: 'the seller electronic address (BT-34) has no scheme',
  },
  {
    id: 'BR-63',
    context: matching('AccountingCustomerParty/Party/EndpointID'),
    test: (e) => 'schemeID' in e.attrs,
    message: 'the buyer electronic address (BT-49) has no scheme',
  },
  {
    id: 'BR-64',
    context: (d) => d.lines.flatMap((l) => at(l, 'Item/StandardItemIdentification/ID')),
    test: (e) => 'schemeID' in e.attrs,
    message: 'an item standard identifier (BT-157) has no scheme',
  },
  {
    id: 'BR-65',
    context: (d) => d.lines.flatMap((l) => at(l, 'Item/CommodityClassification/ItemClassificationCode')),
    test: (e) => 'listID' in e.attrs,
    message: 'an item classification (BT-158) has no scheme',
  },
  {
    id: 'BR-CO-03',
    context: ROOT,
    test: (r) => !(has(r, 'TaxPointDate') && has(r, 'InvoicePeriod/DescriptionCode')),
    message: 'the VAT point date (BT-7) and the VAT point date code (BT-8) are mutually exclusive',
  },
  {
    id: 'BR-CO-04',
    context: LINES,
    test: (l) => hasVatCategory(l, 'Item/ClassifiedTaxCategory'),
    message: 'an invoice line has no VAT category (BT-151)',
  },
  {
    id: 'BR-CO-09',
    context: (d) =>
      descendants(d.root, 'PartyTaxScheme').filter((s) =>
        at(s, 'TaxScheme').some((t) => norm(val(t, 'ID')).toUpperCase() === 'VAT'),
      ),
    // `contains(' 1A AD AE …', substring(CompanyID, 1, 2))`: no identifier is not this rule's business.
    test: (s) => {
      const prefix = (one(s, 'CompanyID')?.text ?? '').slice(0, 2);
      return VAT_PREFIXES.includes(prefix);
    },
    message: 'a VAT identifier (BT-31 / BT-48 / BT-63) does not start with a country prefix',
  },
  {
    id: 'BR-CO-10',
    context: TOTALS,
    test: (t, d) => {
      const lines = sumAt(allLines(d), 'LineExtensionAmount');
      return lines !== null && eq(num(t, 'LineExtensionAmount'), cents(lines));
    },
    message: 'the sum of line net amounts (BT-106) is not the sum of the lines (BT-131)',
  },
  {
    id: 'BR-CO-11',
    context: TOTALS,
    test: (t) => {
      const list = allowances(t.parent!, false);
      if (!has(t, 'AllowanceTotalAmount')) return list.length === 0;
      const total = sumAt(list, 'Amount');
      return total !== null && eq(num(t, 'AllowanceTotalAmount'), cents(total));
    },
    message: 'the allowance total (BT-107) is not the sum of the document allowances (BT-92)',
  },
  {
    id: 'BR-CO-12',
    context: TOTALS,
    test: (t) => {
      const list = allowances(t.parent!, true);
      if (!has(t, 'ChargeTotalAmount')) return list.length === 0;
      const total = sumAt(list, 'Amount');
      return total !== null && eq(num(t, 'ChargeTotalAmount'), cents(total));
    },
    message: 'the charge total (BT-108) is not the sum of the document charges (BT-99)',
  },
  {
    id: 'BR-CO-13',
    context: TOTALS,
    test: taxExclusiveMatches,
    message: 'the total without VAT (BT-109) is not line total - allowances + charges',
  },
  {
    id: 'BR-CO-14',
    context: below('TaxTotal'),
    test: (t) => {
      const subs = at(t, 'TaxSubtotal');
      if (subs.length === 0) return true;
      const total = sumAt(subs, 'TaxAmount');
      return total !== null && eq(num(t, 'TaxAmount'), cents(total));
    },
    message: 'the VAT total (BT-110) is not the sum of the breakdown VAT amounts (BT-117)',
  },
  {
    id: 'BR-CO-15',
    context: ROOT,
    test: grossMatches,
    message: 'the total with VAT (BT-112) is not total without VAT + VAT total',
  },
  {
    id: 'BR-CO-16',
    context: TOTALS,
    test: payableMatches,
    message: 'the amount due (BT-115) is not total with VAT - paid + rounding',
  },
  {
    id: 'BR-CO-17',
    context: BREAKDOWN,
    test: breakdownAmountMatches,
    message: 'a breakdown VAT amount (BT-117) is not taxable amount x rate',
  },
  {
    id: 'BR-CO-18',
    context: ROOT,
    test: (r) => has(r, 'TaxTotal/TaxSubtotal'),
    message: 'the invoice has no VAT breakdown (BG-23)',
  },
  {
    id: 'BR-CO-19',
    context: below('InvoicePeriod'),
    test: (p) => has(p, 'StartDate') || has(p, 'EndDate') || has(p, 'DescriptionCode'),
    message: 'an invoicing period (BG-14) needs a start date, an end date or a VAT point date code',
  },
  {
    id: 'BR-CO-20',
    context: (d) => d.lines.flatMap((l) => at(l, 'InvoicePeriod')),
    test: (p) => has(p, 'StartDate') || has(p, 'EndDate'),
    message: 'a line period (BG-26) needs a start or an end date',
  },
  {
    id: 'BR-CO-21',
    context: DOC_ALLOWANCES,
    test: hasReason,
    message: 'a document allowance needs a reason text or code',
  },
  {
    id: 'BR-CO-22',
    context: DOC_CHARGES,
    test: hasReason,
    message: 'a document charge needs a reason text or code',
  },
  {
    id: 'BR-CO-23',
    context: LINE_ALLOWANCES,
    test: hasReason,
    message: 'a line allowance needs a reason text or code',
  },
  {
    id: 'BR-CO-24',
    context: LINE_CHARGES,
    test: hasReason,
    message: 'a line charge needs a reason text or code',
  },
  {
    id: 'BR-CO-26',
    context: SELLER,
    test: (s) =>
      vatIdOf(one(s, 'Party')).some((t) => has(t, 'CompanyID')) ||
      at(s, 'Party/PartyIdentification/ID').some((i) => i.attrs.schemeID !== 'SEPA') ||
      has(s, 'Party/PartyLegalEntity/CompanyID'),
    message:
      'the seller needs an identifier, a legal registration or a VAT identifier (BT-29 / BT-30 / BT-31)',
  },
  ...decimalRules(),
];

/** BR-DEC-*: amounts have at most two decimals. */
function decimalRules(): UblRule[] {
  const rule = (id: string, context: UblRule['context'], name: string, what: string): UblRule => ({
    id,
    context,
    test: (el) => twoDecimals(el, name),
    message: `${what} has more than two decimals`,
  });
  const taxTotalIn = (currencyElement: string) => (r: El) => {
    const currencies = new Set(at(r, currencyElement).map((c) => c.text));
    const amounts = descendants(r, 'TaxTotal').flatMap((t) =>
      at(t, 'TaxAmount').filter((a) => currencies.has(a.attrs.currencyID ?? '')),
    );
    return amounts.length === 0 || twoDecimalsText(amounts[0]!.text);
  };
  return [
    rule('BR-DEC-01', DOC_ALLOWANCES, 'Amount', 'a document allowance amount (BT-92)'),
    rule('BR-DEC-02', DOC_ALLOWANCES, 'BaseAmount', 'a document allowance base (BT-93)'),
    rule('BR-DEC-05', DOC_CHARGES, 'Amount', 'a document charge amount (BT-99)'),
    rule('BR-DEC-06', DOC_CHARGES, 'BaseAmount', 'a document charge base (BT-100)'),
    rule('BR-DEC-09', TOTALS, 'LineExtensionAmount', 'the sum of line net amounts (BT-106)'),
    rule('BR-DEC-10', TOTALS, 'AllowanceTotalAmount', 'the allowance total (BT-107)'),
    rule('BR-DEC-11', TOTALS, 'ChargeTotalAmount', 'the charge total (BT-108)'),
    rule('BR-DEC-12', TOTALS, 'TaxExclusiveAmount', 'the total without VAT (BT-109)'),
    {
      id: 'BR-DEC-13',
      context: ROOT,
      test: taxTotalIn('DocumentCurrencyCode'),
      message: 'the VAT total (BT-110) has more than two decimals',
    },
    rule('BR-DEC-14', TOTALS, 'TaxInclusiveAmount', 'the total with VAT (BT-112)'),
    {
      id: 'BR-DEC-15',
      context: ROOT,
      test: taxTotalIn('TaxCurrencyCode'),
      message: 'the VAT total in accounting currency (BT-111) has more than two decimals',
    },
    rule('BR-DEC-16', TOTALS, 'PrepaidAmount', 'the paid amount (BT-113)'),
    rule('BR-DEC-17', TOTALS, 'PayableRoundingAmount', 'the rounding amount (BT-114)'),
    rule('BR-DEC-18', TOTALS, 'PayableAmount', 'the amount due (BT-115)'),
    rule('BR-DEC-19', BREAKDOWN, 'TaxableAmount', 'a breakdown taxable amount (BT-116)'),
    rule('BR-DEC-20', BREAKDOWN, 'TaxAmount', 'a breakdown VAT amount (BT-117)'),
    rule('BR-DEC-23', LINES, 'LineExtensionAmount', 'a line net amount (BT-131)'),
    rule('BR-DEC-24', LINE_ALLOWANCES, 'Amount', 'a line allowance amount (BT-136)'),
    rule('BR-DEC-25', LINE_ALLOWANCES, 'BaseAmount', 'a line allowance base (BT-137)'),
    rule('BR-DEC-27', LINE_CHARGES, 'Amount', 'a line charge amount (BT-141)'),
    rule('BR-DEC-28', LINE_CHARGES, 'BaseAmount', 'a line charge base (BT-142)'),
  ];
}
