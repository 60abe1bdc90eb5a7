import { fromMinorUnits, toMinorUnits } from '../fields/amount.js';
import type { EAddress, EInvoice, ELine, EParty, EPaymentMeans, EVatRow } from '../einvoice.js';
import { addressOrUndefined, compact, normaliseVatId } from './einvoice-read.js';
import { isdocPayments, isdocTransferPayment } from './isdoc-payment.js';
import { all, attr, children, first, text, textAt } from './xml-nav.js';
import type { XmlNode } from './xml-parse.js';

/**
 * Reads the EN 16931 model (`einvoice.ts`) from an ISDOC 6 invoice. ISDOC has no VAT category
 * codes: the category follows from its flags (not VAT applicable: O, local reverse charge: AE, a
 * rate: S, rate 0 with a VAT note: E, else Z), unless Doklad's own export wrote the EN 16931
 * category into `Extensions` (`ISDOC_EXTENSION_NS`), which then wins.
 */
export const ISDOC_EXTENSION_NS = 'urn:doklad:isdoc:en16931:1';

function address(node: XmlNode | undefined): EAddress | undefined {
  if (!node) return undefined;
  const street = [textAt(node, 'StreetName'), textAt(node, 'BuildingNumber')].filter(Boolean).join(' ');
  return addressOrUndefined({
    lines: street ? [street] : [],
    city: textAt(node, 'CityName'),
    postcode: textAt(node, 'PostalZone'),
    country: textAt(node, 'Country/IdentificationCode'),
  });
}

function party(node: XmlNode | undefined, extension: XmlNode | undefined): EParty {
  const schemes = all(node, 'PartyTaxScheme');
  const vat = schemes.find((s) => textAt(s, 'TaxScheme')?.toUpperCase() === 'VAT');
  const contact = first(node, 'Contact');
  const c = compact({
    name: textAt(contact, 'Name'),
    phone: textAt(contact, 'Telephone'),
    email: textAt(contact, 'ElectronicMail'),
  });
  const companyId = textAt(node, 'PartyIdentification/ID');
  const endpoint = first(extension, 'ElectronicAddress');
  return compact({
    name: textAt(node, 'PartyName/Name'),
    ids: [],
    // The Czech IČO is the registration number of the commercial register (ICD 0193 is not it; no scheme).
    legalId: companyId ? { id: companyId } : undefined,
    vatId: normaliseVatId(textAt(vat, 'CompanyID')),
    electronicAddress: text(endpoint)
      ? { id: text(endpoint)!, scheme: attr(endpoint, 'scheme') ?? '' }
      : undefined,
    address: address(first(node, 'PostalAddress')),
    contact: Object.keys(c).length ? c : undefined,
  });
}

function flagCategory(category: XmlNode | undefined, note: string | undefined): string {
  if (textAt(category, 'VATApplicable') === 'false') return 'O';
  if (textAt(category, 'LocalReverseChargeFlag') === 'true' || first(category, 'LocalReverseCharge'))
    return 'AE';
  const rate = textAt(category, 'Percent') ?? '0';
  if (/^\d+(\.\d+)?$/.test(rate) && toMinorUnits(rate) !== 0n) return 'S';
  return note ? 'E' : 'Z';
}

function vatRows(root: XmlNode, extension: XmlNode | undefined): EVatRow[] {
  const written = children(extension, 'TaxSubTotal');
  return all(root, 'TaxTotal/TaxSubTotal').map((sub, i) => {
    const ext = written[i];
    const category = first(sub, 'TaxCategory');
    return compact({
      category: textAt(ext, 'Category') ?? flagCategory(category, undefined),
      rate: textAt(category, 'Percent'),
      base: textAt(sub, 'TaxableAmount') ?? '0',
      tax: textAt(sub, 'TaxAmount') ?? '0',
      exemptionReason: textAt(ext, 'ExemptionReason'),
      exemptionReasonCode: textAt(ext, 'ExemptionReasonCode'),
    });
  });
}

function line(node: XmlNode): ELine {
  const quantity = first(node, 'InvoicedQuantity');
  const category = first(node, 'ClassifiedTaxCategory');
  const ext = first(node, 'Extensions/Line');
  const vatNote = textAt(node, 'VATNote');
  const description = textAt(node, 'Item/Description') ?? '';
  return compact({
    id: textAt(node, 'ID') ?? '',
    note: textAt(node, 'Note'),
    quantity: text(quantity) ?? '1',
    unitCode: attr(quantity, 'unitCode') || undefined,
    net: textAt(node, 'LineExtensionAmount') ?? '0',
    price: textAt(node, 'UnitPrice') ?? '0',
    name: textAt(ext, 'Name') ?? description,
    description: textAt(ext, 'Name') && description !== textAt(ext, 'Name') ? description : undefined,
    sellerItemId: textAt(node, 'Item/SellersItemIdentification/ID'),
    buyerItemId: textAt(node, 'Item/BuyersItemIdentification/ID'),
    category: textAt(ext, 'Category') ?? flagCategory(category, vatNote),
    rate: textAt(category, 'Percent'),
    allowances: [],
  });
}

function paymentMeans(payment: XmlNode, alternate: XmlNode | undefined): EPaymentMeans {
  const details = first(payment, 'Details') ?? alternate;
  return compact({
    code: textAt(payment, 'PaymentMeansCode') ?? '1',
    account: textAt(details, 'IBAN') ?? textAt(details, 'ID'),
    accountName: undefined,
    bic: textAt(details, 'BIC'),
    bankCode: textAt(details, 'BankCode'),
  });
}

/**
 * Payments without Details (no due date) take their account from AlternateBankAccounts, in
 * order; cash, card and cash-on-delivery payments have none.
 */
function withAlternateAccounts(root: XmlNode): EPaymentMeans[] {
  const alternates = all(root, 'PaymentMeans/AlternateBankAccounts/AlternateBankAccount');
  let next = 0;
  return isdocPayments(root).map((p) => {
    const takesAlternate =
      !first(p, 'Details') && !['10', '48', '50'].includes(textAt(p, 'PaymentMeansCode') ?? '');
    return paymentMeans(p, takesAlternate ? alternates[next++] : undefined);
  });
}

/** ISDOC's amounts of what remains after advances: the invoice's tax is known only without them. */
function taxTotal(root: XmlNode): string | undefined {
  const claimed = textAt(root, 'LegalMonetaryTotal/AlreadyClaimedTaxInclusiveAmount');
  if (claimed && /^-?\d+(\.\d+)?$/.test(claimed) && toMinorUnits(claimed) !== 0n) return undefined;
  return textAt(root, 'TaxTotal/TaxAmount');
}

export function readIsdocEInvoice(root: XmlNode): EInvoice {
  const extension = first(root, 'Extensions/EN16931');
  const totals = first(root, 'LegalMonetaryTotal');
  const transfer = isdocTransferPayment(root);
  const lines = all(root, 'InvoiceLines/InvoiceLine').map(line);
  const lineNet = lines.reduce((sum, l) => sum + toMinorUnitsSafe(l.net), 0n);
  const prepaid = textAt(totals, 'PaidDepositsAmount');
  const rounding = textAt(totals, 'PayableRoundingAmount');
  const type = textAt(root, 'DocumentType');
  return compact({
    number: textAt(root, 'ID') ?? '',
    issueDate: textAt(root, 'IssueDate') ?? '',
    dueDate: textAt(transfer, 'Details/PaymentDueDate') ?? textAt(extension, 'DueDate'),
    taxPointDate: textAt(root, 'TaxPointDate'),
    typeCode: textAt(extension, 'TypeCode') ?? (type === '2' ? '381' : '380'),
    currency: textAt(root, 'LocalCurrencyCode') ?? '',
    buyerReference: textAt(extension, 'BuyerReference'),
    orderReference: textAt(root, 'OrderReferences/OrderReference/ExternalOrderID'),
    salesOrderReference: textAt(root, 'OrderReferences/OrderReference/SalesOrderID'),
    contractReference: textAt(root, 'ContractReferences/ContractReference/ID'),
    despatchAdviceReference: textAt(root, 'DeliveryNoteReferences/DeliveryNoteReference/ID'),
    precedingInvoices: all(root, 'OriginalDocumentReferences/OriginalDocumentReference').map((r) =>
      compact({ id: textAt(r, 'ID') ?? '', issueDate: textAt(r, 'IssueDate') }),
    ),
    notes: children(root, 'Note')
      .map(text)
      .filter((t): t is string => !!t)
      .map((t) => ({ text: t })),
    seller: party(first(root, 'AccountingSupplierParty/Party'), first(extension, 'Seller')),
    buyer: party(first(root, 'AccountingCustomerParty/Party'), first(extension, 'Buyer')),
    paymentReference: textAt(transfer, 'Details/VariableSymbol') ?? textAt(extension, 'PaymentReference'),
    paymentMeans: withAlternateAccounts(root),
    allowanceCharges: [],
    totals: compact({
      lineNet: formatMinor(lineNet),
      net: textAt(totals, 'TaxExclusiveAmount') ?? '0',
      tax: taxTotal(root),
      gross: textAt(totals, 'TaxInclusiveAmount') ?? '0',
      prepaid: prepaid && toMinorUnitsSafe(prepaid) !== 0n ? prepaid : undefined,
      rounding: rounding && toMinorUnitsSafe(rounding) !== 0n ? rounding : undefined,
      due: textAt(totals, 'PayableAmount') ?? '0',
    }),
    vat: vatRows(root, extension),
    lines,
  });
}

function toMinorUnitsSafe(value: string): bigint {
  return /^-?\d+(\.\d+)?$/.test(value) ? toMinorUnits(value) : 0n;
}

function formatMinor(minor: bigint): string {
  return fromMinorUnits(minor);
}
