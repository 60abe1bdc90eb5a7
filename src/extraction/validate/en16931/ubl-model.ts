import { all, attr, children, first, text, textAt } from '../../formats/xml-nav.js';
import type { XmlNode } from '../../formats/xml-parse.js';
import { profileOf, type RuleDate, type RuleInvoice, type RuleLine, type RuleParty } from './model.js';

function party(node: XmlNode | undefined): RuleParty {
  const schemes = all(node, 'PartyTaxScheme');
  const vat = schemes.filter((s) => textAt(s, 'TaxScheme/ID')?.toUpperCase() === 'VAT');
  return {
    name: textAt(node, 'PartyLegalEntity/RegistrationName'),
    country: textAt(node, 'PostalAddress/Country/IdentificationCode'),
    vatIds: vat.flatMap((s) => textAt(s, 'CompanyID') ?? []),
    taxIds: schemes.flatMap((s) => textAt(s, 'CompanyID') ?? []),
    taxSchemes: [],
    legalId: textAt(node, 'PartyLegalEntity/CompanyID') ?? textAt(node, 'PartyIdentification/ID'),
    hasAddress: first(node, 'PostalAddress') !== undefined,
  };
}

function signed(node: XmlNode): string[] {
  const amount = textAt(node, 'Amount');
  if (!amount) return [];
  return [textAt(node, 'ChargeIndicator') === 'true' ? amount : `-${amount.replace(/^-/, '')}`];
}

function line(node: XmlNode, qtyName: string): RuleLine {
  const quantity = first(node, qtyName);
  return {
    id: textAt(node, 'ID'),
    quantity: text(quantity),
    unitCode: attr(quantity, 'unitCode'),
    net: textAt(node, 'LineExtensionAmount'),
    name: textAt(node, 'Item/Name'),
    price: textAt(node, 'Price/PriceAmount'),
    baseQuantity: textAt(node, 'Price/BaseQuantity'),
    category: textAt(node, 'Item/ClassifiedTaxCategory/ID'),
    rate: textAt(node, 'Item/ClassifiedTaxCategory/Percent'),
    adjustments: children(node, 'AllowanceCharge').flatMap(signed),
  };
}

/** Every leaf element whose name ends in Date (IssueDate, DueDate, TaxPointDate, StartDate...). */
function collectDates(node: XmlNode | undefined, out: RuleDate[]): RuleDate[] {
  if (node === undefined || typeof node === 'string') return out;
  for (const [key, value] of Object.entries(node)) {
    if (!Array.isArray(value)) continue;
    for (const child of value) {
      if (/Date$/.test(key) && (typeof child === 'string' || Object.keys(child).length <= 1))
        out.push({ path: key, value: text(child) ?? '' });
      else collectDates(child, out);
    }
  }
  return out;
}

/** Reads the rule model of an OASIS UBL 2.1 Invoice or CreditNote. */
export function ublRuleModel(root: XmlNode, rootName: string): RuleInvoice {
  const credit = rootName === 'CreditNote';
  const currency = textAt(root, 'DocumentCurrencyCode');
  const taxTotals = children(root, 'TaxTotal');
  const taxTotal =
    taxTotals.find((t) => attr(first(t, 'TaxAmount'), 'currencyID') === currency) ?? taxTotals[0];
  const sum = first(root, 'LegalMonetaryTotal');
  const specId = textAt(root, 'CustomizationID');
  const lines = children(root, credit ? 'CreditNoteLine' : 'InvoiceLine').map((l) =>
    line(l, credit ? 'CreditedQuantity' : 'InvoicedQuantity'),
  );
  const taxes = children(taxTotal, 'TaxSubtotal').map((s) => ({
    category: textAt(s, 'TaxCategory/ID'),
    rate: textAt(s, 'TaxCategory/Percent'),
    base: textAt(s, 'TaxableAmount'),
    amount: textAt(s, 'TaxAmount'),
    exemptionReason:
      textAt(s, 'TaxCategory/TaxExemptionReason') ?? textAt(s, 'TaxCategory/TaxExemptionReasonCode'),
  }));
  const allowances = children(root, 'AllowanceCharge').map((a) => ({
    charge: textAt(a, 'ChargeIndicator') === 'true',
    amount: textAt(a, 'Amount'),
    category: textAt(a, 'TaxCategory/ID'),
    rate: textAt(a, 'TaxCategory/Percent'),
  }));
  const totals = {
    lineTotal: textAt(sum, 'LineExtensionAmount'),
    allowanceTotal: textAt(sum, 'AllowanceTotalAmount'),
    chargeTotal: textAt(sum, 'ChargeTotalAmount'),
    taxBasis: textAt(sum, 'TaxExclusiveAmount'),
    taxTotal: textAt(taxTotal, 'TaxAmount'),
    grandTotal: textAt(sum, 'TaxInclusiveAmount'),
    prepaid: textAt(sum, 'PrepaidAmount'),
    rounding: textAt(sum, 'PayableRoundingAmount'),
    due: textAt(sum, 'PayableAmount'),
  };
  const amounts = [
    ...Object.entries(totals).flatMap(([k, v]) => (v ? [{ path: k, value: v }] : [])),
    ...taxes.flatMap((t) =>
      [t.base, t.amount].flatMap((v) => (v ? [{ path: 'VAT breakdown', value: v }] : [])),
    ),
    ...lines.flatMap((l) => (l.net ? [{ path: `line ${l.id ?? ''} net amount`, value: l.net }] : [])),
    ...allowances.flatMap((a) => (a.amount ? [{ path: 'allowance/charge', value: a.amount }] : [])),
  ];
  return {
    syntax: 'ubl',
    specId,
    profile: profileOf(specId),
    typeCode: textAt(root, credit ? 'CreditNoteTypeCode' : 'InvoiceTypeCode'),
    number: textAt(root, 'ID'),
    issueDate: textAt(root, 'IssueDate'),
    currency,
    seller: party(first(root, 'AccountingSupplierParty/Party')),
    buyer: party(first(root, 'AccountingCustomerParty/Party')),
    taxRepresentativeVatId: textAt(root, 'TaxRepresentativeParty/PartyTaxScheme/CompanyID'),
    lines,
    taxes,
    allowances,
    totals,
    paymentMeans: all(root, 'PaymentMeans/PaymentMeansCode').flatMap((c) => text(c) ?? []),
    hasPaymentTerms: first(root, 'PaymentTerms') !== undefined,
    dueDate: textAt(root, 'DueDate') ?? textAt(root, 'PaymentMeans/PaymentDueDate'),
    amounts,
    dates: collectDates(root, []),
    hasPrecedingInvoice: first(root, 'BillingReference') !== undefined,
    amountsWithCurrency: [],
    grossPriceExtras: [],
  };
}
