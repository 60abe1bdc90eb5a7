import { fromMinorUnits, isDecimalString, toMinorUnits } from '../fields/amount.js';
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

/** Reads the EN 16931 model (`einvoice.ts`) from a UBL 2.1 Invoice or CreditNote, per the UBL binding. */

function address(node: XmlNode | undefined): EAddress | undefined {
  if (!node) return undefined;
  const lines = [
    textAt(node, 'StreetName'),
    textAt(node, 'AdditionalStreetName'),
    textAt(node, 'AddressLine/Line'),
  ].filter((l): l is string => !!l);
  return addressOrUndefined({
    lines,
    city: textAt(node, 'CityName'),
    postcode: textAt(node, 'PostalZone'),
    subdivision: textAt(node, 'CountrySubentity'),
    country: textAt(node, 'Country/IdentificationCode'),
  });
}

function taxSchemes(party: XmlNode | undefined): { vat?: string; other?: string } {
  const schemes = all(party, 'PartyTaxScheme');
  const vat = schemes.find((s) => textAt(s, 'TaxScheme/ID')?.toUpperCase() === 'VAT');
  const other = schemes.find((s) => s !== vat);
  return { vat: normaliseVatId(textAt(vat, 'CompanyID')), other: textAt(other, 'CompanyID') };
}

function party(node: XmlNode | undefined): EParty {
  const { vat, other } = taxSchemes(node);
  const contact = first(node, 'Contact');
  const c = compact({
    name: textAt(contact, 'Name'),
    phone: textAt(contact, 'Telephone'),
    email: textAt(contact, 'ElectronicMail'),
  });
  return compact({
    name: textAt(node, 'PartyLegalEntity/RegistrationName') ?? textAt(node, 'PartyName/Name'),
    tradingName: textAt(node, 'PartyLegalEntity/RegistrationName')
      ? textAt(node, 'PartyName/Name')
      : undefined,
    // schemeID SEPA marks BT-90 (the creditor identifier), not a party identifier.
    ids: all(node, 'PartyIdentification/ID')
      .filter((n) => attr(n, 'schemeID') !== 'SEPA')
      .map((n) => identifier(n))
      .filter((i) => i !== undefined),
    legalId: identifier(first(node, 'PartyLegalEntity/CompanyID')),
    vatId: vat,
    taxRegistrationId: other,
    legalInfo: textAt(node, 'PartyLegalEntity/CompanyLegalForm'),
    electronicAddress: identifier(first(node, 'EndpointID')),
    address: address(first(node, 'PostalAddress')),
    contact: Object.keys(c).length ? c : undefined,
  });
}

/** BG-10 payee (name, ids, legal id) or BG-11 tax representative (name, VAT id, address). */
function otherParty(node: XmlNode | undefined, taxRepresentative: boolean): EOtherParty | undefined {
  if (!node) return undefined;
  const p = party(node);
  return compact({
    name: textAt(node, 'PartyName/Name') ?? p.name,
    ids: taxRepresentative ? [] : p.ids,
    legalId: taxRepresentative ? undefined : p.legalId,
    vatId: taxRepresentative ? p.vatId : undefined,
    address: taxRepresentative ? p.address : undefined,
  });
}

function grossFrom(price: string | undefined, discount: string | undefined): string | undefined {
  if (price === undefined || discount === undefined) return undefined;
  if (!isDecimalString(price) || !isDecimalString(discount)) return undefined;
  const scale = Math.max(decimals(price), decimals(discount));
  return fromMinorUnits(toMinorUnits(price, scale) + toMinorUnits(discount, scale), scale);
}

function decimals(value: string): number {
  return value.split('.')[1]?.length ?? 0;
}

/** A price discount of zero says nothing (UBL must write an amount where CII writes none). */
function nonZero(amount: string | undefined): string | undefined {
  return amount === undefined || /^[-+]?0*(\.0*)?$/.test(amount) ? undefined : amount;
}

function allowanceCharge(node: XmlNode, documentLevel: boolean): EAllowanceCharge {
  return compact({
    charge: textAt(node, 'ChargeIndicator') === 'true',
    amount: textAt(node, 'Amount') ?? '0',
    base: textAt(node, 'BaseAmount'),
    percent: textAt(node, 'MultiplierFactorNumeric'),
    reason: textAt(node, 'AllowanceChargeReason'),
    reasonCode: textAt(node, 'AllowanceChargeReasonCode'),
    category: documentLevel ? textAt(node, 'TaxCategory/ID') : undefined,
    rate: documentLevel ? textAt(node, 'TaxCategory/Percent') : undefined,
  });
}

function paymentMeans(node: XmlNode): EPaymentMeans {
  const code = first(node, 'PaymentMeansCode');
  return compact({
    code: text(code) ?? '1',
    text: attr(code, 'name'),
    account: textAt(node, 'PayeeFinancialAccount/ID'),
    accountName: textAt(node, 'PayeeFinancialAccount/Name'),
    bic: textAt(node, 'PayeeFinancialAccount/FinancialInstitutionBranch/ID'),
    cardNumber: textAt(node, 'CardAccount/PrimaryAccountNumberID'),
    cardHolder: textAt(node, 'CardAccount/HolderName'),
    mandate: textAt(node, 'PaymentMandate/ID'),
    debitedAccount: textAt(node, 'PaymentMandate/PayerFinancialAccount/ID'),
  });
}

function vatRow(sub: XmlNode): EVatRow {
  return compact({
    category: textAt(sub, 'TaxCategory/ID') ?? '',
    rate: textAt(sub, 'TaxCategory/Percent'),
    base: textAt(sub, 'TaxableAmount') ?? '0',
    tax: textAt(sub, 'TaxAmount') ?? '0',
    exemptionReason: textAt(sub, 'TaxCategory/TaxExemptionReason'),
    exemptionReasonCode: textAt(sub, 'TaxCategory/TaxExemptionReasonCode'),
  });
}

function line(node: XmlNode, quantityTag: string): ELine {
  const quantity = first(node, quantityTag);
  const item = first(node, 'Item');
  const priceDiscount = first(node, 'Price/AllowanceCharge');
  return compact({
    id: textAt(node, 'ID') ?? '',
    note: textAt(node, 'Note'),
    quantity: text(quantity) ?? '1',
    unitCode: attr(quantity, 'unitCode'),
    net: textAt(node, 'LineExtensionAmount') ?? '0',
    price: textAt(node, 'Price/PriceAmount') ?? '0',
    baseQuantity: textAt(node, 'Price/BaseQuantity'),
    // BT-148 = BT-146 + BT-147 (BR-DEC / EN 16931 price rules): a discount without its gross
    // price still tells the gross price, which CII needs to carry the discount at all.
    grossPrice:
      textAt(priceDiscount, 'BaseAmount') ??
      grossFrom(textAt(node, 'Price/PriceAmount'), nonZero(textAt(priceDiscount, 'Amount'))),
    priceDiscount: nonZero(textAt(priceDiscount, 'Amount')),
    name: textAt(item, 'Name') ?? '',
    description: textAt(item, 'Description'),
    sellerItemId: textAt(item, 'SellersItemIdentification/ID'),
    buyerItemId: textAt(item, 'BuyersItemIdentification/ID'),
    standardItemId: identifier(first(item, 'StandardItemIdentification/ID')),
    category: textAt(item, 'ClassifiedTaxCategory/ID') ?? '',
    rate: textAt(item, 'ClassifiedTaxCategory/Percent'),
    allowances: children(node, 'AllowanceCharge').map((n) => allowanceCharge(n, false)),
    periodStart: isoDate(textAt(node, 'InvoicePeriod/StartDate')),
    periodEnd: isoDate(textAt(node, 'InvoicePeriod/EndDate')),
    orderLineRef: textAt(node, 'OrderLineReference/LineID'),
    accountingRef: textAt(node, 'AccountingCost'),
    originCountry: textAt(item, 'OriginCountry/IdentificationCode'),
  });
}

/** The TaxTotal in the document currency, and the one in the tax currency when BT-6 differs. */
function taxTotals(root: XmlNode, currency: string | undefined) {
  const totals = children(root, 'TaxTotal');
  const inCurrency = totals.find((t) => attr(first(t, 'TaxAmount'), 'currencyID') === currency) ?? totals[0];
  const taxCurrency = textAt(root, 'TaxCurrencyCode');
  const other = taxCurrency
    ? totals.find((t) => t !== inCurrency && attr(first(t, 'TaxAmount'), 'currencyID') === taxCurrency)
    : undefined;
  return { inCurrency, other };
}

export function readUblEInvoice(root: XmlNode, isCreditNote: boolean): EInvoice {
  const currency = textAt(root, 'DocumentCurrencyCode') ?? '';
  const totals = first(root, 'LegalMonetaryTotal');
  const { inCurrency, other } = taxTotals(root, currency);
  const delivery = first(root, 'Delivery');
  const location = first(delivery, 'DeliveryLocation');
  const deliveryModel = compact({
    name: textAt(delivery, 'DeliveryParty/PartyName/Name'),
    locationId: identifier(first(location, 'ID')),
    date: isoDate(textAt(delivery, 'ActualDeliveryDate')),
    address: address(first(location, 'Address')),
  });
  const means = children(root, 'PaymentMeans');
  return compact({
    number: textAt(root, 'ID') ?? '',
    issueDate: isoDate(textAt(root, 'IssueDate')) ?? '',
    dueDate:
      isoDate(textAt(root, 'DueDate')) ??
      means.map((m) => isoDate(textAt(m, 'PaymentDueDate'))).find(Boolean),
    taxPointDate: isoDate(textAt(root, 'TaxPointDate')),
    typeCode:
      textAt(root, isCreditNote ? 'CreditNoteTypeCode' : 'InvoiceTypeCode') ?? (isCreditNote ? '381' : '380'),
    currency,
    taxCurrency: textAt(root, 'TaxCurrencyCode'),
    taxPointDateCode: textAt(root, 'InvoicePeriod/DescriptionCode'),
    buyerReference: textAt(root, 'BuyerReference'),
    projectReference: textAt(root, 'ProjectReference/ID'),
    contractReference: textAt(root, 'ContractDocumentReference/ID'),
    // "NA" is the binding's placeholder for a missing BT-13 when only BT-14 is given.
    orderReference:
      textAt(root, 'OrderReference/SalesOrderID') && textAt(root, 'OrderReference/ID') === 'NA'
        ? undefined
        : textAt(root, 'OrderReference/ID'),
    salesOrderReference: textAt(root, 'OrderReference/SalesOrderID'),
    receivingAdviceReference: textAt(root, 'ReceiptDocumentReference/ID'),
    despatchAdviceReference: textAt(root, 'DespatchDocumentReference/ID'),
    tenderReference: textAt(root, 'OriginatorDocumentReference/ID'),
    accountingReference: textAt(root, 'AccountingCost'),
    precedingInvoices: all(root, 'BillingReference/InvoiceDocumentReference').map((r) =>
      compact({ id: textAt(r, 'ID') ?? '', issueDate: isoDate(textAt(r, 'IssueDate')) }),
    ),
    notes: children(root, 'Note')
      .map(text)
      .filter((t): t is string => !!t)
      .map((t) => {
        // The UBL binding carries BT-21 as a `#CODE#` prefix of the note text.
        const m = /^#([A-Z]{3})#(.*)$/s.exec(t);
        return m ? { subject: m[1]!, text: m[2]!.trim() } : { text: t };
      }),
    businessProcess: textAt(root, 'ProfileID'),
    specification: textAt(root, 'CustomizationID'),
    seller: party(first(root, 'AccountingSupplierParty/Party')),
    buyer: party(first(root, 'AccountingCustomerParty/Party')),
    payee: otherParty(first(root, 'PayeeParty'), false),
    taxRepresentative: otherParty(first(root, 'TaxRepresentativeParty'), true),
    delivery: Object.keys(deliveryModel).length ? deliveryModel : undefined,
    periodStart: isoDate(textAt(root, 'InvoicePeriod/StartDate')),
    periodEnd: isoDate(textAt(root, 'InvoicePeriod/EndDate')),
    creditorId: [first(root, 'AccountingSupplierParty/Party'), first(root, 'PayeeParty')]
      .flatMap((p) => all(p, 'PartyIdentification/ID'))
      .filter((n) => attr(n, 'schemeID') === 'SEPA')
      .map(text)
      .find(Boolean),
    paymentReference: means.map((m) => textAt(m, 'PaymentID')).find(Boolean),
    paymentMeans: means.map(paymentMeans),
    paymentTerms: textAt(root, 'PaymentTerms/Note'),
    allowanceCharges: children(root, 'AllowanceCharge').map((n) => allowanceCharge(n, true)),
    totals: compact({
      lineNet: textAt(totals, 'LineExtensionAmount') ?? '0',
      allowances: textAt(totals, 'AllowanceTotalAmount'),
      charges: textAt(totals, 'ChargeTotalAmount'),
      net: textAt(totals, 'TaxExclusiveAmount') ?? '0',
      tax: textAt(inCurrency, 'TaxAmount'),
      taxInTaxCurrency: textAt(other, 'TaxAmount'),
      gross: textAt(totals, 'TaxInclusiveAmount') ?? '0',
      prepaid: textAt(totals, 'PrepaidAmount'),
      rounding: textAt(totals, 'PayableRoundingAmount'),
      due: textAt(totals, 'PayableAmount') ?? '0',
    }),
    vat: all(inCurrency, 'TaxSubtotal').map(vatRow),
    lines: children(root, isCreditNote ? 'CreditNoteLine' : 'InvoiceLine').map((l) =>
      line(l, isCreditNote ? 'CreditedQuantity' : 'InvoicedQuantity'),
    ),
  });
}
