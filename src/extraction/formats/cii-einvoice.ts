import type {
  EAddress,
  EAllowanceCharge,
  EInvoice,
  ELine,
  EOtherParty,
  EParty,
  EPaymentMeans,
  EVatRow,
} from '../einvoice.js';
import { addressOrUndefined, compact, identifier, isoDate, normaliseVatId } from './einvoice-read.js';
import { all, attr, children, first, text, textAt } from './xml-nav.js';
import type { XmlNode } from './xml-parse.js';

/**
 * Reads the EN 16931 model (`einvoice.ts`) from a CII D16B CrossIndustryInvoice (Factur-X,
 * ZUGFeRD 2, XRechnung) or a ZUGFeRD 1.0 CrossIndustryDocument: the element names that differ
 * are the dialect's.
 */
interface Dialect {
  context: string;
  header: string;
  transaction: string;
  agreement: string;
  delivery: string;
  settlement: string;
  summation: string;
  rate: string;
  lineAgreement: string;
  lineDelivery: string;
  lineSettlement: string;
  lineSummation: string;
}

const D16B: Dialect = {
  context: 'ExchangedDocumentContext',
  header: 'ExchangedDocument',
  transaction: 'SupplyChainTradeTransaction',
  agreement: 'ApplicableHeaderTradeAgreement',
  delivery: 'ApplicableHeaderTradeDelivery',
  settlement: 'ApplicableHeaderTradeSettlement',
  summation: 'SpecifiedTradeSettlementHeaderMonetarySummation',
  rate: 'RateApplicablePercent',
  lineAgreement: 'SpecifiedLineTradeAgreement',
  lineDelivery: 'SpecifiedLineTradeDelivery',
  lineSettlement: 'SpecifiedLineTradeSettlement',
  lineSummation: 'SpecifiedTradeSettlementLineMonetarySummation',
};

const ZUGFERD1: Dialect = {
  context: 'SpecifiedExchangedDocumentContext',
  header: 'HeaderExchangedDocument',
  transaction: 'SpecifiedSupplyChainTradeTransaction',
  agreement: 'ApplicableSupplyChainTradeAgreement',
  delivery: 'ApplicableSupplyChainTradeDelivery',
  settlement: 'ApplicableSupplyChainTradeSettlement',
  summation: 'SpecifiedTradeSettlementMonetarySummation',
  rate: 'ApplicablePercent',
  lineAgreement: 'SpecifiedSupplyChainTradeAgreement',
  lineDelivery: 'SpecifiedSupplyChainTradeDelivery',
  lineSettlement: 'SpecifiedSupplyChainTradeSettlement',
  lineSummation: 'SpecifiedTradeSettlementMonetarySummation',
};

function date(node: XmlNode | undefined, path: string): string | undefined {
  return isoDate(textAt(node, `${path}/DateTimeString`) ?? textAt(node, `${path}/DateString`));
}

function address(node: XmlNode | undefined): EAddress | undefined {
  if (!node) return undefined;
  return addressOrUndefined({
    lines: ['LineOne', 'LineTwo', 'LineThree'].map((l) => textAt(node, l)).filter((l): l is string => !!l),
    city: textAt(node, 'CityName'),
    postcode: textAt(node, 'PostcodeCode'),
    subdivision: textAt(node, 'CountrySubDivisionName'),
    country: textAt(node, 'CountryID'),
  });
}

/** The amount in the invoice currency when several are given (BT-110 vs BT-111). */
function inCurrency(nodes: XmlNode[], currency: string): { value?: string; other?: string } {
  const match =
    nodes.find((n) => attr(n, 'currencyID') === currency) ??
    nodes.find((n) => !attr(n, 'currencyID')) ??
    nodes[0];
  return { value: text(match), other: text(nodes.find((n) => n !== match)) };
}

function party(node: XmlNode | undefined): EParty {
  const registrations = all(node, 'SpecifiedTaxRegistration/ID');
  const contact = first(node, 'DefinedTradeContact');
  const c = compact({
    name: textAt(contact, 'PersonName') ?? textAt(contact, 'DepartmentName'),
    phone: textAt(contact, 'TelephoneUniversalCommunication/CompleteNumber'),
    email: textAt(contact, 'EmailURIUniversalCommunication/URIID'),
  });
  return compact({
    name: textAt(node, 'Name'),
    tradingName: textAt(node, 'SpecifiedLegalOrganization/TradingBusinessName'),
    ids: [...children(node, 'ID'), ...children(node, 'GlobalID')]
      .map((n) => identifier(n))
      .filter((i) => i !== undefined),
    legalId: identifier(first(node, 'SpecifiedLegalOrganization/ID')),
    vatId: normaliseVatId(text(registrations.find((r) => attr(r, 'schemeID') === 'VA'))),
    taxRegistrationId: text(registrations.find((r) => attr(r, 'schemeID') === 'FC')),
    legalInfo: textAt(node, 'Description'),
    electronicAddress: identifier(first(node, 'URIUniversalCommunication/URIID')),
    address: address(first(node, 'PostalTradeAddress')),
    contact: Object.keys(c).length ? c : undefined,
  });
}

/** BG-10 payee (name, ids, legal id) or BG-11 tax representative (name, VAT id, address). */
function otherParty(node: XmlNode | undefined, taxRepresentative: boolean): EOtherParty | undefined {
  if (!node) return undefined;
  const p = party(node);
  return compact({
    name: p.name,
    ids: taxRepresentative ? [] : p.ids,
    legalId: taxRepresentative ? undefined : p.legalId,
    vatId: taxRepresentative ? p.vatId : undefined,
    address: taxRepresentative ? p.address : undefined,
  });
}

/** A price discount of zero says nothing (UBL must write an amount where CII writes none). */
function nonZero(amount: string | undefined): string | undefined {
  return amount === undefined || /^[-+]?0*(\.0*)?$/.test(amount) ? undefined : amount;
}

function allowanceCharge(node: XmlNode, d: Dialect, documentLevel: boolean): EAllowanceCharge {
  return compact({
    charge: textAt(node, 'ChargeIndicator/Indicator') === 'true',
    amount: textAt(node, 'ActualAmount') ?? '0',
    base: textAt(node, 'BasisAmount'),
    percent: textAt(node, 'CalculationPercent'),
    reason: textAt(node, 'Reason'),
    reasonCode: textAt(node, 'ReasonCode'),
    category: documentLevel ? textAt(node, 'CategoryTradeTax/CategoryCode') : undefined,
    rate: documentLevel ? textAt(node, `CategoryTradeTax/${d.rate}`) : undefined,
  });
}

function paymentMeans(node: XmlNode, settlement: XmlNode | undefined): EPaymentMeans {
  const creditor = first(node, 'PayeePartyCreditorFinancialAccount');
  return compact({
    code: textAt(node, 'TypeCode') ?? '1',
    text: textAt(node, 'Information'),
    account: textAt(creditor, 'IBANID') ?? textAt(creditor, 'ProprietaryID'),
    accountName: textAt(creditor, 'AccountName'),
    bic: textAt(node, 'PayeeSpecifiedCreditorFinancialInstitution/BICID'),
    cardNumber: textAt(node, 'ApplicableTradeSettlementFinancialCard/ID'),
    cardHolder: textAt(node, 'ApplicableTradeSettlementFinancialCard/CardholderName'),
    mandate: textAt(settlement, 'SpecifiedTradePaymentTerms/DirectDebitMandateID'),
    debitedAccount: textAt(node, 'PayerPartyDebtorFinancialAccount/IBANID'),
  });
}

function vatRow(t: XmlNode, d: Dialect): EVatRow {
  return compact({
    category: textAt(t, 'CategoryCode') ?? '',
    rate: textAt(t, d.rate),
    base: textAt(t, 'BasisAmount') ?? '0',
    tax: textAt(t, 'CalculatedAmount') ?? '0',
    exemptionReason: textAt(t, 'ExemptionReason'),
    exemptionReasonCode: textAt(t, 'ExemptionReasonCode'),
  });
}

function line(node: XmlNode, d: Dialect): ELine {
  const agreement = first(node, d.lineAgreement);
  const settlement = first(node, d.lineSettlement);
  const product = first(node, 'SpecifiedTradeProduct');
  const quantity = first(node, `${d.lineDelivery}/BilledQuantity`);
  const gross = first(agreement, 'GrossPriceProductTradePrice');
  const net = first(agreement, 'NetPriceProductTradePrice');
  return compact({
    id: textAt(node, 'AssociatedDocumentLineDocument/LineID') ?? '',
    note: textAt(node, 'AssociatedDocumentLineDocument/IncludedNote/Content'),
    quantity: text(quantity) ?? '1',
    unitCode: attr(quantity, 'unitCode'),
    net: textAt(settlement, `${d.lineSummation}/LineTotalAmount`) ?? '0',
    price: textAt(net, 'ChargeAmount') ?? '0',
    baseQuantity: textAt(net, 'BasisQuantity') ?? textAt(gross, 'BasisQuantity'),
    grossPrice: gross ? textAt(gross, 'ChargeAmount') : undefined,
    priceDiscount: nonZero(textAt(gross, 'AppliedTradeAllowanceCharge/ActualAmount')),
    name: textAt(product, 'Name') ?? '',
    description: textAt(product, 'Description'),
    sellerItemId: textAt(product, 'SellerAssignedID'),
    buyerItemId: textAt(product, 'BuyerAssignedID'),
    standardItemId: identifier(first(product, 'GlobalID')),
    category: textAt(settlement, 'ApplicableTradeTax/CategoryCode') ?? '',
    rate: textAt(settlement, `ApplicableTradeTax/${d.rate}`),
    allowances: children(settlement, 'SpecifiedTradeAllowanceCharge').map((n) =>
      allowanceCharge(n, d, false),
    ),
    periodStart: date(settlement, 'BillingSpecifiedPeriod/StartDateTime'),
    periodEnd: date(settlement, 'BillingSpecifiedPeriod/EndDateTime'),
    orderLineRef: textAt(agreement, 'BuyerOrderReferencedDocument/LineID'),
    accountingRef: textAt(settlement, 'ReceivableSpecifiedTradeAccountingAccount/ID'),
    originCountry: textAt(product, 'OriginTradeCountry/ID'),
  });
}

/**
 * BT-8 is coded in UNTDID 2475 in CII (5, 29, 72) and in UNTDID 2005 in UBL (3, 35, 432); the
 * model keeps the UBL code.
 */
const DUE_DATE_TYPE_TO_2005: Record<string, string> = { '5': '3', '29': '35', '72': '432' };
export const TAX_POINT_CODE_TO_2475: Record<string, string> = { '3': '5', '35': '29', '432': '72' };

function fromDueDateTypeCode(code: string | undefined): string | undefined {
  return code === undefined ? undefined : (DUE_DATE_TYPE_TO_2005[code] ?? code);
}

export function readCiiEInvoice(root: XmlNode, legacy: boolean): EInvoice {
  const d = legacy ? ZUGFERD1 : D16B;
  const header = first(root, d.header);
  const transaction = first(root, d.transaction);
  const agreement = first(transaction, d.agreement);
  const delivery = first(transaction, d.delivery);
  const settlement = first(transaction, d.settlement);
  const summation = first(settlement, d.summation);
  const currency = textAt(settlement, 'InvoiceCurrencyCode') ?? '';
  const tax = inCurrency(all(summation, 'TaxTotalAmount'), currency);
  // BT-111 only with its currency BT-6.
  if (!textAt(settlement, 'TaxCurrencyCode')) delete tax.other;
  const shipTo = first(delivery, 'ShipToTradeParty');
  const deliveryModel = compact({
    name: textAt(shipTo, 'Name'),
    locationId: identifier(first(shipTo, 'GlobalID')) ?? identifier(first(shipTo, 'ID')),
    date: date(delivery, 'ActualDeliverySupplyChainEvent/OccurrenceDateTime'),
    address: address(first(shipTo, 'PostalTradeAddress')),
  });
  const terms = first(settlement, 'SpecifiedTradePaymentTerms');
  const context = first(root, d.context);
  return compact({
    number: textAt(header, 'ID') ?? '',
    issueDate: date(header, 'IssueDateTime') ?? '',
    dueDate: date(terms, 'DueDateDateTime'),
    taxPointDate: all(settlement, 'ApplicableTradeTax')
      .map((t) => date(t, 'TaxPointDate'))
      .find(Boolean),
    typeCode: textAt(header, 'TypeCode') ?? '380',
    currency,
    taxCurrency: textAt(settlement, 'TaxCurrencyCode'),
    taxPointDateCode: fromDueDateTypeCode(textAt(settlement, 'ApplicableTradeTax/DueDateTypeCode')),
    buyerReference: textAt(agreement, 'BuyerReference'),
    projectReference: textAt(agreement, 'SpecifiedProcuringProject/ID'),
    contractReference:
      textAt(agreement, 'ContractReferencedDocument/IssuerAssignedID') ??
      textAt(agreement, 'ContractReferencedDocument/ID'),
    orderReference:
      textAt(agreement, 'BuyerOrderReferencedDocument/IssuerAssignedID') ??
      textAt(agreement, 'BuyerOrderReferencedDocument/ID'),
    salesOrderReference: textAt(agreement, 'SellerOrderReferencedDocument/IssuerAssignedID'),
    receivingAdviceReference: textAt(delivery, 'ReceivingAdviceReferencedDocument/IssuerAssignedID'),
    despatchAdviceReference: textAt(delivery, 'DespatchAdviceReferencedDocument/IssuerAssignedID'),
    tenderReference: children(agreement, 'AdditionalReferencedDocument')
      .filter((r) => textAt(r, 'TypeCode') === '50')
      .map((r) => textAt(r, 'IssuerAssignedID'))
      .find(Boolean),
    accountingReference: textAt(settlement, 'ReceivableSpecifiedTradeAccountingAccount/ID'),
    precedingInvoices: children(settlement, 'InvoiceReferencedDocument').map((r) =>
      compact({ id: textAt(r, 'IssuerAssignedID') ?? '', issueDate: date(r, 'FormattedIssueDateTime') }),
    ),
    notes: children(header, 'IncludedNote')
      .map((n) => compact({ text: textAt(n, 'Content') ?? '', subject: textAt(n, 'SubjectCode') }))
      .filter((n) => n.text),
    businessProcess: textAt(context, 'BusinessProcessSpecifiedDocumentContextParameter/ID'),
    specification: textAt(context, 'GuidelineSpecifiedDocumentContextParameter/ID'),
    seller: party(first(agreement, 'SellerTradeParty')),
    buyer: party(first(agreement, 'BuyerTradeParty')),
    payee: otherParty(first(settlement, 'PayeeTradeParty'), false),
    taxRepresentative: otherParty(first(agreement, 'SellerTaxRepresentativeTradeParty'), true),
    delivery: Object.keys(deliveryModel).length ? deliveryModel : undefined,
    periodStart: date(settlement, 'BillingSpecifiedPeriod/StartDateTime'),
    periodEnd: date(settlement, 'BillingSpecifiedPeriod/EndDateTime'),
    creditorId: textAt(settlement, 'CreditorReferenceID'),
    paymentReference: textAt(settlement, 'PaymentReference'),
    paymentMeans: children(settlement, 'SpecifiedTradeSettlementPaymentMeans').map((m) =>
      paymentMeans(m, settlement),
    ),
    paymentTerms: textAt(terms, 'Description'),
    allowanceCharges: children(settlement, 'SpecifiedTradeAllowanceCharge').map((n) =>
      allowanceCharge(n, d, true),
    ),
    totals: compact({
      lineNet: textAt(summation, 'LineTotalAmount') ?? '0',
      allowances: textAt(summation, 'AllowanceTotalAmount'),
      charges: textAt(summation, 'ChargeTotalAmount'),
      net: textAt(summation, 'TaxBasisTotalAmount') ?? '0',
      tax: tax.value,
      taxInTaxCurrency: tax.other,
      gross: textAt(summation, 'GrandTotalAmount') ?? '0',
      prepaid: textAt(summation, 'TotalPrepaidAmount'),
      rounding: textAt(summation, 'RoundingAmount'),
      due: textAt(summation, 'DuePayableAmount') ?? '0',
    }),
    vat: children(settlement, 'ApplicableTradeTax').map((t) => vatRow(t, d)),
    lines: children(transaction, 'IncludedSupplyChainTradeLineItem').map((l) => line(l, d)),
  });
}
