import {
  ALLOWANCE_REASONS,
  ATTACHMENT_MIME_TYPES,
  COUNTRIES,
  CREDIT_NOTE_TYPE_CODES,
  CURRENCIES,
  EAS,
  ICD,
  INVOICE_TYPE_CODES,
  ITEM_CLASSIFICATION_CODE,
  LETTER_CODE,
  NOTE_SUBJECT,
  PAYMENT_MEANS,
  UNIT_CODE_SHAPE,
  UNIT_CODES,
  VAT_CATEGORIES,
  VAT_DATE_CODES,
  VATEX_CODE,
} from './code-lists/index.js';
import { ROOT, anywhere, below, matching, type UblDoc, type UblRule } from './ubl-engine.js';
import { ancestor, at, descendants, has, indicator, norm, val, type El } from './tree.js';

/** At most `max` elements at the path. */
const atMost =
  (path: string, max = 1) =>
  (el: El): boolean =>
    at(el, path).length <= max;

const vat = (s: El): boolean => at(s, 'TaxScheme').some((t) => val(t, 'ID').toUpperCase() === 'VAT');

function distinctValues(els: El[]): number {
  return new Set(els.map((e) => e.text)).size;
}

const SELLER = 'AccountingSupplierParty/Party';
const BUYER = 'AccountingCustomerParty/Party';

/** The payee is the seller when its name is the seller's legal name (UBL-SR-19..21 then do not apply). */
const payeeNotSeller = (p: El): boolean => {
  const sellerNames = new Set(at(p.parent, `${SELLER}/PartyLegalEntity/RegistrationName`).map((n) => n.text));
  return at(p, 'PartyName/Name').some((n) => !sellerNames.has(n.text));
};

/** EN 16931 UBL syntax binding (CEN/TS 16931-3-2): cardinalities UBL allows but the model does not. */
export const SYNTAX_RULES: UblRule[] = [
  ...(
    [
      ['UBL-SR-01', 'ContractDocumentReference/ID', 'contract reference (BT-12)'],
      ['UBL-SR-02', 'ReceiptDocumentReference/ID', 'receiving advice reference (BT-15)'],
      ['UBL-SR-03', 'DespatchDocumentReference/ID', 'despatch advice reference (BT-16)'],
      ['UBL-SR-05', 'PaymentTerms/Note', 'payment terms (BT-20)'],
      ['UBL-SR-08', 'InvoicePeriod', 'invoicing period (BG-14)'],
      ['UBL-SR-09', `${SELLER}/PartyLegalEntity/RegistrationName`, 'seller name (BT-27)'],
      ['UBL-SR-10', `${SELLER}/PartyName/Name`, 'seller trading name (BT-28)'],
      ['UBL-SR-11', `${SELLER}/PartyLegalEntity/CompanyID`, 'seller legal registration (BT-30)'],
      ['UBL-SR-14', `${SELLER}/PartyLegalEntity/CompanyLegalForm`, 'seller legal information (BT-33)'],
      ['UBL-SR-15', `${BUYER}/PartyLegalEntity/RegistrationName`, 'buyer name (BT-44)'],
      ['UBL-SR-16', `${BUYER}/PartyIdentification/ID`, 'buyer identifier (BT-46)'],
      ['UBL-SR-17', `${BUYER}/PartyLegalEntity/CompanyID`, 'buyer legal registration (BT-47)'],
      ['UBL-SR-24', 'Delivery', 'delivery information (BG-13)'],
      ['UBL-SR-39', 'ProjectReference/ID', 'project reference (BT-11)'],
      ['UBL-SR-40', `${BUYER}/PartyName/Name`, 'buyer trading name (BT-45)'],
      ['UBL-SR-45', 'PaymentMeans/PaymentDueDate', 'due date (BT-9)'],
      ['UBL-SR-49', 'InvoicePeriod/DescriptionCode', 'VAT point date code (BT-8)'],
      ['UBL-SR-54', 'PaymentMeans/CardAccount', 'card information (BG-18)'],
      ['UBL-SR-55', 'PaymentMeans/PaymentMandate', 'direct debit (BG-19)'],
      ['UBL-SR-56', 'OriginatorDocumentReference/ID', 'tender or lot reference (BT-17)'],
    ] as const
  ).map(([id, path, what]): UblRule => ({
    id,
    context: ROOT,
    test: atMost(path),
    message: `the ${what} occurs more than once`,
  })),
  {
    id: 'UBL-SR-04',
    context: ROOT,
    test: (r) =>
      at(r, 'AdditionalDocumentReference')
        .filter((a) => val(a, 'DocumentTypeCode') === '130')
        .flatMap((a) => at(a, 'ID')).length <= 1,
    message: 'the invoiced object identifier (BT-18) occurs more than once',
  },
  {
    id: 'UBL-SR-12',
    context: ROOT,
    test: (r) =>
      at(r, `${SELLER}/PartyTaxScheme`)
        .filter(vat)
        .flatMap((s) => at(s, 'CompanyID')).length <= 1,
    message: 'the seller VAT identifier (BT-31) occurs more than once',
  },
  {
    id: 'UBL-SR-13',
    context: ROOT,
    test: (r) =>
      at(r, `${SELLER}/PartyTaxScheme`)
        .filter((s) => at(s, 'TaxScheme').some((t) => val(t, 'ID').toUpperCase() !== 'VAT'))
        .flatMap((s) => at(s, 'CompanyID')).length <= 1,
    message: 'the seller tax registration (BT-32) occurs more than once',
  },
  {
    id: 'UBL-SR-18',
    context: ROOT,
    test: (r) =>
      at(r, `${BUYER}/PartyTaxScheme`)
        .filter(vat)
        .flatMap((s) => at(s, 'CompanyID')).length <= 1,
    message: 'the buyer VAT identifier (BT-48) occurs more than once',
  },
  {
    id: 'UBL-SR-19',
    context: matching('PayeeParty'),
    test: (p) => atMost('PartyName/Name')(p) && payeeNotSeller(p),
    message: 'the payee name (BT-59) occurs more than once or is the seller',
  },
  {
    id: 'UBL-SR-20',
    context: matching('PayeeParty'),
    test: (p) =>
      at(p, 'PartyIdentification/ID').filter((i) => (i.attrs.schemeID ?? '').toUpperCase() !== 'SEPA')
        .length <= 1 && payeeNotSeller(p),
    message: 'the payee identifier (BT-60) occurs more than once or the payee is the seller',
  },
  {
    id: 'UBL-SR-21',
    context: matching('PayeeParty'),
    test: (p) => atMost('PartyLegalEntity/CompanyID')(p) && payeeNotSeller(p),
    message: 'the payee legal registration (BT-61) occurs more than once or the payee is the seller',
  },
  {
    id: 'UBL-SR-22',
    context: matching('TaxRepresentativeParty'),
    test: atMost('PartyName/Name'),
    message: 'the tax representative name (BT-62) occurs more than once',
  },
  {
    id: 'UBL-SR-23',
    context: matching('TaxRepresentativeParty'),
    test: atMost('PartyTaxScheme/CompanyID'),
    message: 'the tax representative VAT identifier (BT-63) occurs more than once',
  },
  {
    id: 'UBL-SR-25',
    context: matching('Delivery'),
    test: atMost('DeliveryParty/PartyName/Name'),
    message: 'the deliver-to party name (BT-70) occurs more than once',
  },
  {
    id: 'UBL-SR-26',
    context: matching('PaymentMeans'),
    test: atMost('PaymentID'),
    message: 'the remittance information (BT-83) occurs more than once',
  },
  {
    id: 'UBL-SR-27',
    context: matching('PaymentMeans'),
    test: atMost('PaymentMeansCode'),
    message: 'the payment means code (BT-81) occurs more than once',
  },
  {
    id: 'UBL-SR-28',
    context: matching('PaymentMeans'),
    test: atMost('PaymentMandate/ID'),
    message: 'the mandate reference (BT-89) occurs more than once',
  },
  {
    id: 'UBL-SR-29',
    context: ROOT,
    test: (r) =>
      descendants(r, 'PartyIdentification')
        .flatMap((p) => at(p, 'ID'))
        .filter((i) => (i.attrs.schemeID ?? '').toUpperCase() === 'SEPA').length <= 1,
    message: 'the bank assigned creditor identifier (BT-90) occurs more than once',
  },
  {
    id: 'UBL-SR-30',
    // The syntax binding's context is any cac:AllowanceCharge, document, line or price level.
    context: (d) => descendants(d.root, 'AllowanceCharge').filter((a) => indicator(a) === false),
    test: atMost('AllowanceChargeReason'),
    message: 'a document allowance reason (BT-97) occurs more than once',
  },
  {
    id: 'UBL-SR-31',
    context: (d) => descendants(d.root, 'AllowanceCharge').filter((a) => indicator(a) === true),
    test: atMost('AllowanceChargeReason'),
    message: 'a document charge reason (BT-104) occurs more than once',
  },
  {
    id: 'UBL-SR-32',
    context: matching('TaxTotal/TaxSubtotal'),
    test: atMost('TaxCategory/TaxExemptionReason'),
    message: 'a VAT exemption reason (BT-120) occurs more than once',
  },
  {
    id: 'UBL-SR-33',
    context: matching('AdditionalDocumentReference'),
    test: atMost('DocumentDescription'),
    message: 'a supporting document description (BT-123) occurs more than once',
  },
  ...(
    [
      ['UBL-SR-34', 'Note', 'line note (BT-127)'],
      ['UBL-SR-35', 'OrderLineReference/LineID', 'referenced purchase order line (BT-132)'],
      ['UBL-SR-36', 'InvoicePeriod', 'line period (BG-26)'],
      ['UBL-SR-37', 'Price/AllowanceCharge/Amount', 'item price discount (BT-147)'],
      ['UBL-SR-50', 'Item/Description', 'item description (BT-154)'],
      ['UBL-SR-52', 'DocumentReference', 'line object identifier (BT-128)'],
    ] as const
  ).map(([id, path, what]): UblRule => ({
    id,
    context: (d: UblDoc) => d.lines,
    test: atMost(path),
    message: `a ${what} occurs more than once`,
  })),
  {
    id: 'UBL-SR-48',
    context: (d) => d.lines,
    test: (l) => at(l, 'Item/ClassifiedTaxCategory').length === 1,
    message: 'an invoice line must have exactly one VAT category (BG-30)',
  },
  {
    id: 'UBL-SR-42',
    context: matching('AccountingSupplierParty/Party'),
    test: atMost('PartyTaxScheme', 2),
    message: 'the seller has more than two tax registrations',
  },
  {
    id: 'UBL-SR-43',
    context: matching('AdditionalDocumentReference'),
    test: (a, d) => {
      const code = at(a, 'DocumentTypeCode').map((c) => c.text);
      return (
        code.includes('130') ||
        (d.credit && code.includes('50')) ||
        (!at(a, 'ID').some((i) => 'schemeID' in i.attrs) && code.length === 0)
      );
    },
    message: 'a supporting document with an identifier scheme must be an invoiced object (type code 130)',
  },
  {
    id: 'UBL-SR-44',
    context: ROOT,
    test: (r) => distinctValues(descendants(r, 'PaymentID')) <= 1,
    message: 'the invoice carries more than one remittance information (BT-83)',
  },
  {
    id: 'UBL-SR-46',
    context: ROOT,
    test: (r) => at(r, 'PaymentMeans/PaymentMeansCode').filter((c) => 'name' in c.attrs).length <= 1,
    message: 'the payment means text (BT-82) occurs more than once',
  },
  {
    id: 'UBL-SR-47',
    context: ROOT,
    test: (r) => distinctValues(descendants(r, 'PaymentMeansCode')) <= 1,
    message: 'the invoice carries more than one payment means code (BT-81)',
  },
  {
    id: 'UBL-SR-51',
    context: anywhere('PostalAddress', 'Address'),
    test: (a) => at(a, 'AddressLine').length <= 1,
    message: 'an address has more than one third address line (BT-162 / BT-163 / BT-164 / BT-165)',
  },
  {
    id: 'UBL-SR-53',
    context: anywhere('PartyTaxScheme'),
    test: (s) => has(s, 'TaxScheme/ID') && has(s, 'CompanyID'),
    message: 'a party tax scheme needs a tax scheme and an identifier',
  },
  {
    id: 'UBL-DT-01',
    context: (d) =>
      descendants(d.root).filter(
        (e) => e.name.endsWith('Amount') && !e.name.endsWith('PriceAmount') && !insidePriceAllowance(e),
      ),
    test: (e) => !e.text.includes('.') || e.text.split('.')[1]!.length <= 2,
    message: 'an amount has more than two decimals',
  },
  {
    id: 'UBL-DT-06',
    context: anywhere('EmbeddedDocumentBinaryObject'),
    test: (e) => 'mimeCode' in e.attrs,
    message: 'an attachment has no media type (mimeCode)',
  },
  {
    id: 'UBL-DT-07',
    context: anywhere('EmbeddedDocumentBinaryObject'),
    test: (e) => 'filename' in e.attrs,
    message: 'an attachment has no file name',
  },
  {
    id: 'UBL-CR-666',
    context: ROOT,
    test: (r) =>
      !descendants(r, 'AdditionalDocumentReference').some(
        (a) => val(a, 'DocumentTypeCode') === '130' && has(a, 'Attachment'),
      ),
    message: 'an invoiced object reference (type code 130) must not carry an attachment',
  },
  {
    id: 'UBL-CR-673',
    context: ROOT,
    test: (r) =>
      !descendants(r, 'AdditionalDocumentReference').some(
        (a) => val(a, 'DocumentTypeCode') === '130' && has(a, 'DocumentDescription'),
      ),
    message: 'an invoiced object reference (type code 130) must not carry a description',
  },
];

function insidePriceAllowance(e: El): boolean {
  const allowance = ancestor(e, 'AllowanceCharge');
  return allowance?.parent?.name === 'Price';
}

/** A code must be one code (no spaces) of the list. */
const inList = (list: ReadonlySet<string>, v: string): boolean => !norm(v).includes(' ') && list.has(norm(v));
const shaped = (shape: RegExp, v: string): boolean => shape.test(norm(v));

const AMOUNTS = new Set([
  'Amount',
  'BaseAmount',
  'PriceAmount',
  'TaxAmount',
  'TaxableAmount',
  'LineExtensionAmount',
  'TaxExclusiveAmount',
  'TaxInclusiveAmount',
  'AllowanceTotalAmount',
  'ChargeTotalAmount',
  'PrepaidAmount',
  'PayableRoundingAmount',
  'PayableAmount',
]);

const withAttr =
  (attr: string, ...names: string[]) =>
  (d: UblDoc) =>
    descendants(d.root, ...names).filter((e) => attr in e.attrs);
const underParent = (parent: string, name: string) => (d: UblDoc) =>
  descendants(d.root, parent).flatMap((p) => at(p, name));

/** EN 16931 code-list rules (BR-CL-*), the lists in ./code-lists. */
export const CODE_RULES: UblRule[] = [
  {
    id: 'BR-CL-01',
    context: anywhere('InvoiceTypeCode', 'CreditNoteTypeCode'),
    test: (e) => inList(e.name === 'InvoiceTypeCode' ? INVOICE_TYPE_CODES : CREDIT_NOTE_TYPE_CODES, e.text),
    message: 'the invoice type code (BT-3) is not in UNTDID 1001 as EN 16931 allows it',
  },
  {
    id: 'BR-CL-03',
    context: (d) => descendants(d.root).filter((e) => AMOUNTS.has(e.name)),
    test: (e) => inList(CURRENCIES, e.attrs.currencyID ?? ''),
    message: 'an amount has a currencyID that is not an ISO 4217 code',
  },
  {
    id: 'BR-CL-04',
    context: anywhere('DocumentCurrencyCode'),
    test: (e) => inList(CURRENCIES, e.text),
    message: 'the invoice currency (BT-5) is not an ISO 4217 code',
  },
  {
    id: 'BR-CL-05',
    context: anywhere('TaxCurrencyCode'),
    test: (e) => inList(CURRENCIES, e.text),
    message: 'the VAT accounting currency (BT-6) is not an ISO 4217 code',
  },
  {
    id: 'BR-CL-06',
    context: underParent('InvoicePeriod', 'DescriptionCode'),
    test: (e) => inList(VAT_DATE_CODES, e.text),
    message: 'the VAT point date code (BT-8) is not 3, 35 or 432 (UNTDID 2005)',
  },
  {
    id: 'BR-CL-07',
    context: (d) =>
      descendants(d.root, 'AdditionalDocumentReference', 'DocumentReference')
        .filter((r) => at(r, 'DocumentTypeCode').some((c) => c.text === '130'))
        .flatMap((r) => at(r, 'ID'))
        .filter((i) => 'schemeID' in i.attrs),
    test: (e) => shaped(LETTER_CODE, e.attrs.schemeID ?? ''),
    message: 'the invoiced object identifier scheme (BT-18-1) is not an UNTDID 1153 code',
  },
  {
    // Note subject codes (UNTDID 4451) are written as #ABC# at the start of a note.
    id: 'BR-CL-08',
    context: below('Note'),
    test: (n) => {
      const subject = n.text.includes('#') ? (n.text.split('#')[1] ?? '') : '';
      return (
        !n.text.slice(n.text.indexOf('#') + 1).includes('#') ||
        subject.length !== 3 ||
        shaped(NOTE_SUBJECT, subject)
      );
    },
    message: 'a note subject code (BT-21) is not an UNTDID 4451 code',
  },
  {
    id: 'BR-CL-10',
    context: (d) => underParent('PartyIdentification', 'ID')(d).filter((e) => 'schemeID' in e.attrs),
    test: (e) => {
      const scheme = norm(e.attrs.schemeID);
      return (
        inList(ICD, scheme) ||
        (scheme === 'SEPA' && (!!ancestor(e, 'AccountingSupplierParty') || !!ancestor(e, 'PayeeParty')))
      );
    },
    message: 'a party identifier scheme is not an ISO 6523 ICD code (or SEPA for the seller or payee)',
  },
  {
    id: 'BR-CL-11',
    context: (d) => underParent('PartyLegalEntity', 'CompanyID')(d).filter((e) => 'schemeID' in e.attrs),
    test: (e) => inList(ICD, e.attrs.schemeID ?? ''),
    message: 'a legal registration identifier scheme is not an ISO 6523 ICD code',
  },
  {
    id: 'BR-CL-13',
    context: (d) =>
      underParent('CommodityClassification', 'ItemClassificationCode')(d).filter((e) => 'listID' in e.attrs),
    test: (e) => shaped(ITEM_CLASSIFICATION_CODE, e.attrs.listID ?? ''),
    message: 'an item classification scheme (BT-158-1) is not an UNTDID 7143 code',
  },
  {
    id: 'BR-CL-14',
    context: underParent('Country', 'IdentificationCode'),
    test: (e) => inList(COUNTRIES, e.text),
    message: 'a country code is not ISO 3166-1 alpha-2',
  },
  {
    id: 'BR-CL-15',
    context: underParent('OriginCountry', 'IdentificationCode'),
    test: (e) => inList(COUNTRIES, e.text),
    message: 'the item country of origin (BT-159) is not ISO 3166-1 alpha-2',
  },
  {
    id: 'BR-CL-16',
    context: underParent('PaymentMeans', 'PaymentMeansCode'),
    test: (e) => inList(PAYMENT_MEANS, e.text),
    message: 'the payment means code (BT-81) is not in UNTDID 4461',
  },
  {
    id: 'BR-CL-17',
    context: underParent('TaxCategory', 'ID'),
    test: (e) => inList(VAT_CATEGORIES, e.text),
    message: 'a VAT category code is not in the UNTDID 5305 subset',
  },
  {
    id: 'BR-CL-18',
    context: underParent('ClassifiedTaxCategory', 'ID'),
    test: (e) => inList(VAT_CATEGORIES, e.text),
    message: 'a line VAT category code (BT-151) is not in the UNTDID 5305 subset',
  },
  {
    id: 'BR-CL-19',
    context: (d) =>
      descendants(d.root, 'AllowanceCharge')
        .filter((a) => indicator(a) === false)
        .flatMap((a) => at(a, 'AllowanceChargeReasonCode')),
    test: (e) => inList(ALLOWANCE_REASONS, e.text),
    message: 'an allowance reason code is not in UNTDID 5189',
  },
  {
    id: 'BR-CL-20',
    context: (d) =>
      descendants(d.root, 'AllowanceCharge')
        .filter((a) => indicator(a) === true)
        .flatMap((a) => at(a, 'AllowanceChargeReasonCode')),
    test: (e) => shaped(LETTER_CODE, e.text),
    message: 'a charge reason code is not an UNTDID 7161 code',
  },
  {
    id: 'BR-CL-21',
    context: (d) => underParent('StandardItemIdentification', 'ID')(d).filter((e) => 'schemeID' in e.attrs),
    test: (e) => inList(ICD, e.attrs.schemeID ?? ''),
    message: 'an item standard identifier scheme (BT-157-1) is not an ISO 6523 ICD code',
  },
  {
    id: 'BR-CL-22',
    context: anywhere('TaxExemptionReasonCode'),
    test: (e) => shaped(VATEX_CODE, e.text.toUpperCase()),
    message: 'an exemption reason code (BT-121) is not a VATEX code',
  },
  {
    id: 'BR-CL-23',
    context: withAttr('unitCode', 'InvoicedQuantity', 'BaseQuantity', 'CreditedQuantity'),
    test: (e) => UNIT_CODE_SHAPE.test(norm(e.attrs.unitCode)),
    message: 'a unit of measure is not a UN/ECE Recommendation 20 / 21 code',
  },
  {
    // Our unit list is a subset of Rec 20 / 21 (see code-lists/rec20-units.ts): a well-formed code
    // outside it may still be valid, so it is a warning, never an error.
    id: 'BR-CL-23',
    warning: true,
    context: withAttr('unitCode', 'InvoicedQuantity', 'BaseQuantity', 'CreditedQuantity'),
    test: (e) => !UNIT_CODE_SHAPE.test(norm(e.attrs.unitCode)) || UNIT_CODES.has(norm(e.attrs.unitCode)),
    message: 'a unit of measure is not among the UN/ECE Recommendation 20 / 21 codes we know',
  },
  {
    id: 'BR-CL-24',
    context: withAttr('mimeCode', 'EmbeddedDocumentBinaryObject'),
    test: (e) => ATTACHMENT_MIME_TYPES.has(e.attrs.mimeCode ?? ''),
    message: 'an attachment media type is not one EN 16931 allows (PDF, PNG, JPEG, CSV, XLSX, ODS)',
  },
  {
    id: 'BR-CL-25',
    context: withAttr('schemeID', 'EndpointID'),
    test: (e) => inList(EAS, e.attrs.schemeID ?? ''),
    message: 'an electronic address scheme is not in the EAS code list',
  },
  {
    id: 'BR-CL-26',
    context: (d) => underParent('DeliveryLocation', 'ID')(d).filter((e) => 'schemeID' in e.attrs),
    test: (e) => inList(ICD, e.attrs.schemeID ?? ''),
    message: 'a deliver-to location identifier scheme (BT-71-1) is not an ISO 6523 ICD code',
  },
];
