import { XMLParser } from 'fast-xml-parser';

/**
 * A structural check of ISDOC 6.0.2 documents, for tests (the ISDOC XSD is not in ../shared):
 * namespace and version, and for the parts Doklad writes the children each element must have,
 * in the order ISDOC 6.0.2's schema gives them. `?` marks an optional child, `*` a repeatable one.
 */
const SEQUENCES: Record<string, string[]> = {
  Invoice: [
    'DocumentType',
    'ID',
    'UUID',
    'IssuingSystem?',
    'IssueDate',
    'TaxPointDate?',
    'VATApplicable',
    'ElectronicPossibilityAgreementReference',
    'Note?',
    'LocalCurrencyCode',
    'ForeignCurrencyCode?',
    'CurrRate',
    'RefCurrRate',
    'Extensions?',
    'AccountingSupplierParty',
    'SellerSupplierParty?',
    'AccountingCustomerParty',
    'BuyerCustomerParty?',
    'OrderReferences?',
    'DeliveryNoteReferences?',
    'OriginalDocumentReferences?',
    'ContractReferences?',
    'Delivery?',
    'InvoiceLines',
    'NonTaxedDeposits?',
    'TaxedDeposits?',
    'TaxTotal',
    'LegalMonetaryTotal',
    'PaymentMeans?',
  ],
  AccountingSupplierParty: ['Party'],
  AccountingCustomerParty: ['Party'],
  Party: [
    'PartyIdentification',
    'PartyName',
    'PostalAddress',
    'PartyTaxScheme*',
    'RegisterIdentification?',
    'Contact?',
  ],
  PartyIdentification: ['UserID?', 'CatalogFirmIdentification?', 'ID'],
  PartyName: ['Name'],
  PostalAddress: ['StreetName', 'BuildingNumber', 'CityName', 'PostalZone', 'Country'],
  Country: ['IdentificationCode', 'Name'],
  PartyTaxScheme: ['CompanyID', 'TaxScheme'],
  Contact: ['Name?', 'Telephone?', 'ElectronicMail?'],
  InvoiceLines: ['InvoiceLine*'],
  InvoiceLine: [
    'ID',
    'OrderReference?',
    'DeliveryNoteReference?',
    'OriginalDocumentReference?',
    'ContractReference?',
    'EgovClassifier?',
    'InvoicedQuantity?',
    'LineExtensionAmountCurr?',
    'LineExtensionAmount',
    'LineExtensionAmountBeforeDiscount?',
    'LineExtensionAmountTaxInclusiveCurr?',
    'LineExtensionAmountTaxInclusive',
    'LineExtensionAmountTaxInclusiveBeforeDiscount?',
    'LineExtensionTaxAmount',
    'UnitPrice',
    'UnitPriceTaxInclusive',
    'ClassifiedTaxCategory',
    'Note?',
    'VATNote?',
    'Item?',
    'Extensions?',
  ],
  ClassifiedTaxCategory: ['Percent', 'VATCalculationMethod', 'VATApplicable?', 'LocalReverseCharge?'],
  Item: [
    'Description?',
    'CatalogueItemIdentification?',
    'SellersItemIdentification?',
    'SecondarySellersItemIdentification?',
    'TertiarySellersItemIdentification?',
    'BuyersItemIdentification?',
  ],
  TaxTotal: ['TaxSubTotal*', 'TaxAmountCurr?', 'TaxAmount'],
  TaxSubTotal: [
    'TaxableAmount',
    'TaxAmount',
    'TaxInclusiveAmount',
    'AlreadyClaimedTaxableAmount',
    'AlreadyClaimedTaxAmount',
    'AlreadyClaimedTaxInclusiveAmount',
    'DifferenceTaxableAmount',
    'DifferenceTaxAmount',
    'DifferenceTaxInclusiveAmount',
    'TaxCategory',
  ],
  TaxCategory: ['Percent', 'TaxScheme?', 'VATApplicable?', 'LocalReverseChargeFlag?'],
  LegalMonetaryTotal: [
    'TaxExclusiveAmount',
    'TaxInclusiveAmount',
    'AlreadyClaimedTaxExclusiveAmount',
    'AlreadyClaimedTaxInclusiveAmount',
    'DifferenceTaxExclusiveAmount',
    'DifferenceTaxInclusiveAmount',
    'PayableRoundingAmount?',
    'PaidDepositsAmount',
    'PayableAmount',
  ],
  PaymentMeans: ['Payment*', 'AlternateBankAccounts?'],
  Payment: ['PaidAmount', 'PaymentMeansCode', 'Details?'],
  Details: [
    'PaymentDueDate',
    'ID',
    'BankCode',
    'Name',
    'IBAN',
    'BIC',
    'VariableSymbol?',
    'ConstantSymbol?',
    'SpecificSymbol?',
  ],
};

/** Elements whose content is xs:decimal in ISDOC. */
const DECIMAL = /Amount|UnitPrice|Percent|CurrRate|InvoicedQuantity/;
const ENUMS: Record<string, RegExp> = {
  DocumentType: /^[1-7]$/,
  PaymentMeansCode: /^(10|20|31|42|48|49|50|97)$/,
  UUID: /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/,
  VATApplicable: /^(true|false)$/,
  IssueDate: /^\d{4}-\d{2}-\d{2}$/,
  PaymentDueDate: /^\d{4}-\d{2}-\d{2}$/,
};

type Ordered = Array<Record<string, unknown>>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  trimValues: true,
});

function childrenOf(node: Record<string, unknown>, name: string): Ordered {
  return (node[name] as Ordered).filter((c) => !('#text' in c));
}

function textOf(node: Record<string, unknown>, name: string): string {
  const text = (node[name] as Ordered).find((c) => '#text' in c);
  return text ? String(text['#text']) : '';
}

function checkSequence(path: string, name: string, children: Ordered, problems: string[]): void {
  const spec = SEQUENCES[name];
  if (!spec) return;
  const names = children.map((c) => Object.keys(c).find((k) => k !== ':@')!);
  let i = 0;
  for (const entry of spec) {
    const element = entry.replace(/[?*]$/, '');
    const optional = entry.endsWith('?') || entry.endsWith('*');
    let count = 0;
    while (names[i] === element) {
      i++;
      count++;
    }
    if (!optional && count === 0) problems.push(`${path}: missing ${element}`);
    if (count > 1 && !entry.endsWith('*')) problems.push(`${path}: ${element} repeated`);
  }
  if (i < names.length) problems.push(`${path}: unexpected ${names[i]} (order or name)`);
}

function walk(path: string, node: Record<string, unknown>, problems: string[]): void {
  const name = Object.keys(node).find((k) => k !== ':@')!;
  if (name === 'Extensions') return; // xs:any from other namespaces
  const children = childrenOf(node, name);
  checkSequence(path, name, children, problems);
  if (children.length === 0) {
    const value = textOf(node, name);
    if (DECIMAL.test(name) && !/^-?\d+(\.\d+)?$/.test(value))
      problems.push(`${path}: ${name} "${value}" is not a decimal`);
    const pattern = ENUMS[name];
    if (pattern && !pattern.test(value)) problems.push(`${path}: ${name} "${value}" is not allowed`);
  }
  children.forEach((c, i) => walk(`${path}/${Object.keys(c).find((k) => k !== ':@')}[${i}]`, c, problems));
}

/** Problems with the document's structure; empty when it has the ISDOC 6.0.2 shape. */
export function isdocStructureProblems(xml: string): string[] {
  const doc = parser.parse(xml) as Ordered;
  const root = doc.find((n) => 'Invoice' in n);
  if (!root) return ['root element is not Invoice'];
  const attrs = (root[':@'] ?? {}) as Record<string, string>;
  const problems: string[] = [];
  if (attrs['@xmlns'] !== 'http://isdoc.cz/namespace/2013')
    problems.push('namespace is not http://isdoc.cz/namespace/2013');
  if (attrs['@version'] !== '6.0.2') problems.push('version is not 6.0.2');
  walk('/Invoice', root, problems);
  return problems;
}
