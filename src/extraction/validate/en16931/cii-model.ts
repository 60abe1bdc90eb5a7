import { all, attr, first, text, textAt } from '../../formats/xml-nav.js';
import type { XmlNode } from '../../formats/xml-parse.js';
import {
  profileOf,
  type RuleAllowance,
  type RuleDate,
  type RuleInvoice,
  type RuleLine,
  type RuleParty,
  type RuleTax,
  type RuleTotals,
} from './model.js';

/** Element names that differ between CII D16B and ZUGFeRD 1.0 (CrossIndustryDocument). */
interface Names {
  context: string;
  header: string;
  transaction: string;
  agreement: string;
  settlement: string;
  summation: string;
  rate: string;
  lineAgreement: string;
  lineDelivery: string;
  lineSettlement: string;
  lineSummation: string;
}

const D16B: Names = {
  context: 'ExchangedDocumentContext',
  header: 'ExchangedDocument',
  transaction: 'SupplyChainTradeTransaction',
  agreement: 'ApplicableHeaderTradeAgreement',
  settlement: 'ApplicableHeaderTradeSettlement',
  summation: 'SpecifiedTradeSettlementHeaderMonetarySummation',
  rate: 'RateApplicablePercent',
  lineAgreement: 'SpecifiedLineTradeAgreement',
  lineDelivery: 'SpecifiedLineTradeDelivery',
  lineSettlement: 'SpecifiedLineTradeSettlement',
  lineSummation: 'SpecifiedTradeSettlementLineMonetarySummation',
};

const ZF1: Names = {
  context: 'SpecifiedExchangedDocumentContext',
  header: 'HeaderExchangedDocument',
  transaction: 'SpecifiedSupplyChainTradeTransaction',
  agreement: 'ApplicableSupplyChainTradeAgreement',
  settlement: 'ApplicableSupplyChainTradeSettlement',
  summation: 'SpecifiedTradeSettlementMonetarySummation',
  rate: 'ApplicablePercent',
  lineAgreement: 'SpecifiedSupplyChainTradeAgreement',
  lineDelivery: 'SpecifiedSupplyChainTradeDelivery',
  lineSettlement: 'SpecifiedSupplyChainTradeSettlement',
  lineSummation: 'SpecifiedTradeSettlementMonetarySummation',
};

function party(node: XmlNode | undefined): RuleParty {
  const regs = all(node, 'SpecifiedTaxRegistration/ID');
  return {
    name: textAt(node, 'Name'),
    country: textAt(node, 'PostalTradeAddress/CountryID'),
    vatIds: regs.filter((r) => attr(r, 'schemeID') === 'VA').flatMap((r) => text(r) ?? []),
    taxIds: regs.filter((r) => /^(VA|FC)$/.test(attr(r, 'schemeID') ?? '')).flatMap((r) => text(r) ?? []),
    taxSchemes: regs.map((r) => attr(r, 'schemeID') ?? ''),
    legalId: textAt(node, 'SpecifiedLegalOrganization/ID') ?? textAt(node, 'ID'),
    hasAddress: first(node, 'PostalTradeAddress') !== undefined,
  };
}

function indicator(node: XmlNode | undefined): boolean {
  return (textAt(node, 'ChargeIndicator/Indicator') ?? textAt(node, 'ChargeIndicator')) === 'true';
}

function line(node: XmlNode, n: Names): RuleLine {
  const price = first(node, `${n.lineAgreement}/NetPriceProductTradePrice`);
  const quantity = first(node, `${n.lineDelivery}/BilledQuantity`);
  const settlement = first(node, n.lineSettlement);
  return {
    id: textAt(node, 'AssociatedDocumentLineDocument/LineID'),
    parentId: textAt(node, 'AssociatedDocumentLineDocument/ParentLineID'),
    status: textAt(node, 'AssociatedDocumentLineDocument/LineStatusReasonCode'),
    quantity: text(quantity),
    unitCode: attr(quantity, 'unitCode'),
    net: textAt(settlement, `${n.lineSummation}/LineTotalAmount`),
    name: textAt(node, 'SpecifiedTradeProduct/Name'),
    price: textAt(price, 'ChargeAmount'),
    baseQuantity: textAt(price, 'BasisQuantity'),
    category: textAt(settlement, 'ApplicableTradeTax/CategoryCode'),
    rate: textAt(settlement, `ApplicableTradeTax/${n.rate}`),
    adjustments: all(settlement, 'SpecifiedTradeAllowanceCharge').flatMap((a) => {
      const amount = textAt(a, 'ActualAmount');
      if (!amount) return [];
      return [indicator(a) ? amount : `-${amount.replace(/^-/, '')}`];
    }),
  };
}

function tax(node: XmlNode, n: Names): RuleTax {
  return {
    category: textAt(node, 'CategoryCode'),
    rate: textAt(node, n.rate),
    base: textAt(node, 'BasisAmount'),
    amount: textAt(node, 'CalculatedAmount'),
    exemptionReason: textAt(node, 'ExemptionReason') ?? textAt(node, 'ExemptionReasonCode'),
  };
}

function allowance(node: XmlNode, n: Names): RuleAllowance {
  return {
    charge: indicator(node),
    amount: textAt(node, 'ActualAmount'),
    category: textAt(node, 'CategoryTradeTax/CategoryCode'),
    rate: textAt(node, `CategoryTradeTax/${n.rate}`),
  };
}

/** Every DateTimeString in the document, with its format qualifier, for the date checks. */
function collectDates(node: XmlNode | undefined, path: string, out: RuleDate[]): RuleDate[] {
  if (node === undefined || typeof node === 'string') return out;
  for (const [key, value] of Object.entries(node)) {
    if (!Array.isArray(value)) continue;
    for (const child of value) {
      if (key === 'DateTimeString')
        out.push({ path, value: text(child) ?? '', format: attr(child, 'format') });
      else collectDates(child, key, out);
    }
  }
  return out;
}

function amountIn(nodes: XmlNode[], currency: string | undefined): string | undefined {
  return text(
    nodes.find((x) => attr(x, 'currencyID') === currency) ?? nodes.find((x) => !attr(x, 'currencyID')),
  );
}

/** CII-DT-031: in CII only the VAT total (BT-110 / BT-111) names its currency on the amount. */
function collectCurrencyAmounts(node: XmlNode | undefined, out: string[]): string[] {
  if (node === undefined || typeof node === 'string') return out;
  for (const [key, value] of Object.entries(node)) {
    if (!Array.isArray(value)) continue;
    for (const child of value) {
      if (key.endsWith('Amount') && key !== 'TaxTotalAmount' && attr(child, 'currencyID') !== undefined)
        out.push(key);
      collectCurrencyAmounts(child, out);
    }
  }
  return out;
}

/** CII-SR-122 / 123: a gross-price discount (BT-147) is an amount only, without percent or base. */
function grossPriceExtras(lines: XmlNode[], n: Names): string[] {
  return lines.flatMap((l) =>
    all(l, `${n.lineAgreement}/GrossPriceProductTradePrice/AppliedTradeAllowanceCharge`).flatMap((a) =>
      ['CalculationPercent', 'BasisAmount'].filter((name) => first(a, name) !== undefined),
    ),
  );
}

function allowances(settlement: XmlNode | undefined, n: Names): RuleAllowance[] {
  return [
    ...all(settlement, 'SpecifiedTradeAllowanceCharge').map((a) => allowance(a, n)),
    ...all(settlement, 'SpecifiedLogisticsServiceCharge').map((c) => ({
      charge: true,
      logistics: true,
      amount: textAt(c, 'AppliedAmount'),
      category: textAt(c, 'AppliedTradeTax/CategoryCode'),
      rate: textAt(c, `AppliedTradeTax/${n.rate}`),
    })),
  ];
}

function totals(settlement: XmlNode | undefined, n: Names, currency: string | undefined): RuleTotals {
  const sum = first(settlement, n.summation);
  return {
    lineTotal: textAt(sum, 'LineTotalAmount'),
    allowanceTotal: textAt(sum, 'AllowanceTotalAmount'),
    chargeTotal: textAt(sum, 'ChargeTotalAmount'),
    taxBasis: amountIn(all(sum, 'TaxBasisTotalAmount'), currency),
    taxTotal: amountIn(all(sum, 'TaxTotalAmount'), currency),
    taxTotalsInCurrency: all(sum, 'TaxTotalAmount')
      .filter((x) => currency !== undefined && attr(x, 'currencyID') === currency)
      .map((x) => text(x) ?? ''),
    grandTotal: amountIn(all(sum, 'GrandTotalAmount'), currency),
    prepaid: textAt(sum, 'TotalPrepaidAmount'),
    rounding: textAt(sum, 'RoundingAmount'),
    due: textAt(sum, 'DuePayableAmount'),
  };
}

/** Amounts that BR-DEC limits to two decimals, named by where they sit. */
function decimalAmounts(
  inv: Pick<RuleInvoice, 'totals' | 'taxes' | 'lines' | 'allowances'>,
): RuleInvoice['amounts'] {
  return [
    ...Object.entries(inv.totals).flatMap(([k, v]) => (typeof v === 'string' ? [{ path: k, value: v }] : [])),
    ...inv.taxes.flatMap((t) => [
      ...(t.base ? [{ path: 'VAT breakdown taxable amount', value: t.base }] : []),
      ...(t.amount ? [{ path: 'VAT breakdown amount', value: t.amount }] : []),
    ]),
    ...inv.lines.flatMap((l) => (l.net ? [{ path: `line ${l.id ?? ''} net amount`, value: l.net }] : [])),
    ...inv.allowances.flatMap((a) =>
      a.amount ? [{ path: a.charge ? 'document charge' : 'document allowance', value: a.amount }] : [],
    ),
  ];
}

/** Header-level terms: document, parties, payment. */
function header(root: XmlNode, n: Names, settlement: XmlNode | undefined) {
  const doc = first(root, n.header);
  const agreement = first(root, `${n.transaction}/${n.agreement}`);
  const specId = textAt(root, `${n.context}/GuidelineSpecifiedDocumentContextParameter/ID`);
  return {
    specId,
    profile: profileOf(specId),
    typeCode: textAt(doc, 'TypeCode'),
    number: textAt(doc, 'ID'),
    issueDate: textAt(doc, 'IssueDateTime/DateTimeString'),
    seller: party(first(agreement, 'SellerTradeParty')),
    buyer: party(first(agreement, 'BuyerTradeParty')),
    taxRepresentativeVatId: textAt(
      agreement,
      'SellerTaxRepresentativeTradeParty/SpecifiedTaxRegistration/ID',
    ),
    paymentMeans: all(settlement, 'SpecifiedTradeSettlementPaymentMeans/TypeCode').flatMap(
      (c) => text(c) ?? [],
    ),
    hasPaymentTerms: first(settlement, 'SpecifiedTradePaymentTerms') !== undefined,
    dueDate: textAt(settlement, 'SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString'),
    hasPrecedingInvoice: first(settlement, 'InvoiceReferencedDocument') !== undefined,
  };
}

/** Reads the rule model of a CII D16B invoice, or of a ZUGFeRD 1.0 one when `legacy`. */
export function ciiRuleModel(root: XmlNode, legacy: boolean): RuleInvoice {
  const n = legacy ? ZF1 : D16B;
  const transaction = first(root, n.transaction);
  const settlement = first(transaction, n.settlement);
  const currency = textAt(settlement, 'InvoiceCurrencyCode');
  const lineNodes = all(transaction, 'IncludedSupplyChainTradeLineItem');
  const parts = {
    lines: lineNodes.map((l) => line(l, n)),
    taxes: all(settlement, 'ApplicableTradeTax').map((t) => tax(t, n)),
    allowances: allowances(settlement, n),
    totals: totals(settlement, n, currency),
  };
  return {
    syntax: legacy ? 'zugferd1' : 'cii',
    ...header(root, n, settlement),
    currency,
    ...parts,
    amounts: decimalAmounts(parts),
    dates: collectDates(root, '', []),
    // ZUGFeRD 1.0 had its own schema, where currencyID was allowed on every amount.
    amountsWithCurrency: legacy ? [] : collectCurrencyAmounts(transaction, []),
    grossPriceExtras: legacy ? [] : grossPriceExtras(lineNodes, n),
  };
}
