import {
  ALLOWANCE_REASONS,
  ATTACHMENT_MIME_TYPES,
  COUNTRIES,
  CURRENCIES,
  EAS,
  ICD,
  ITEM_CLASSIFICATION_CODE,
  LETTER_CODE,
  NOTE_SUBJECT,
  VAT_DATE_CODES_CII,
  VATEX_CODE,
} from './code-lists/index.js';
import { anywhere, type UblDoc as Doc, type UblRule as Rule } from './ubl-engine.js';
import { at, descendants, filled, has, norm, val, type El } from './tree.js';

/**
 * EN 16931 rules bound to CII D16B that the syntax-neutral model (rules-*.ts) does not cover,
 * written against the element tree with the CII binding's contexts: payee, tax representative,
 * periods, allowances and charges, payment instructions, references, item attributes, electronic
 * addresses and identifier schemes (BR-17..20, 29..33, 36..38, 41..44, 49..57, 61..65, BR-CO-03, 04,
 * 09, 19..24, 26). The rule engine is the one UBL uses; only the paths differ.
 */
const TX = 'SupplyChainTradeTransaction';
const AGREEMENT = `${TX}/ApplicableHeaderTradeAgreement`;
const SETTLEMENT = `${TX}/ApplicableHeaderTradeSettlement`;

const ROOT = (d: Doc): El[] => [d.root];
const LINES = (d: Doc): El[] => d.lines;

/** `//Parent/Child`: elements named Child whose parent is named Parent, at any depth. */
const under =
  (parent: string, name: string) =>
  (d: Doc): El[] =>
    descendants(d.root, name).filter((e) => e.parent?.name === parent);

/** Allowances (false) or charges (true) of the header or the lines; CII compares the indicator text. */
const allowancesOf =
  (level: 'ApplicableHeaderTradeSettlement' | 'SpecifiedLineTradeSettlement', charge: boolean) =>
  (d: Doc): El[] =>
    under(
      level,
      'SpecifiedTradeAllowanceCharge',
    )(d).filter((a) => at(a, 'ChargeIndicator/Indicator').some((i) => i.text === String(charge)));

const hasReason = (a: El): boolean => has(a, 'Reason') || has(a, 'ReasonCode');
const vatCategory = (el: El, path: string): boolean =>
  at(el, path).some((t) => val(t, 'TypeCode').toUpperCase() === 'VAT' && has(t, 'CategoryCode'));

/** BR-29 / BR-30: an end date (format 102) not before the start date; unreadable pairs fail. */
function periodInOrder(p: El): boolean {
  if (!has(p, 'EndDateTime') || !has(p, 'StartDateTime')) return true;
  const dates = (path: string): string[] =>
    at(p, path)
      .filter((d) => d.attrs.format === '102')
      .map((d) => d.text);
  const ends = dates('EndDateTime/DateTimeString');
  return dates('StartDateTime/DateTimeString').some((s) => ends.some((e) => e >= s));
}

const schemeGiven = (el: El, path: string, attr: string): boolean => {
  const found = at(el, path);
  return found.length === 0 || norm(found[0]!.attrs[attr]) !== '';
};

const VAT_PREFIXES = ` ${[...COUNTRIES, 'EL'].join(' ')} `;

export const CII_TREE_RULES: Rule[] = [
  {
    id: 'BR-17',
    context: anywhere('PayeeTradeParty'),
    test: (p) => {
      const seller = at(p.parent?.parent, 'ApplicableHeaderTradeAgreement/SellerTradeParty');
      const same = (path: string): boolean => {
        const theirs = new Set(seller.flatMap((s) => at(s, path)).map((e) => e.text));
        return at(p, path).some((e) => theirs.has(e.text));
      };
      return has(p, 'Name') && !same('Name') && !same('ID') && !same('SpecifiedLegalOrganization/ID');
    },
    message: 'a payee (BG-10) other than the seller needs its own name (BT-59)',
  },
  {
    id: 'BR-18',
    context: anywhere('SellerTaxRepresentativeTradeParty'),
    test: (p) => filled(p, 'Name'),
    message: 'the tax representative name (BT-62) is missing',
  },
  {
    id: 'BR-19',
    context: anywhere('SellerTaxRepresentativeTradeParty'),
    test: (p) => has(p, 'PostalTradeAddress'),
    message: 'the tax representative postal address (BG-12) is missing',
  },
  {
    id: 'BR-20',
    context: anywhere('SellerTaxRepresentativeTradeParty'),
    test: (p) => filled(p, 'PostalTradeAddress/CountryID'),
    message: 'the tax representative country code (BT-69) is missing',
  },
  {
    id: 'BR-56',
    context: anywhere('SellerTaxRepresentativeTradeParty'),
    test: (p) =>
      at(p, 'SpecifiedTaxRegistration/ID').some((i) => i.attrs.schemeID === 'VA' && norm(i.text) !== ''),
    message: 'the tax representative has no VAT identifier (BT-63)',
  },
  {
    id: 'BR-29',
    context: under('ApplicableHeaderTradeSettlement', 'BillingSpecifiedPeriod'),
    test: periodInOrder,
    message: 'the invoicing period ends before it starts (BT-73 / BT-74)',
  },
  {
    id: 'BR-30',
    context: under('SpecifiedLineTradeSettlement', 'BillingSpecifiedPeriod'),
    test: periodInOrder,
    message: 'a line period ends before it starts (BT-134 / BT-135)',
  },
  {
    id: 'BR-CO-19',
    context: under('ApplicableHeaderTradeSettlement', 'BillingSpecifiedPeriod'),
    test: (p) => has(p, 'StartDateTime') || has(p, 'EndDateTime'),
    message: 'an invoicing period (BG-14) needs a start or an end date',
  },
  {
    id: 'BR-CO-20',
    context: under('SpecifiedLineTradeSettlement', 'BillingSpecifiedPeriod'),
    test: (p) => has(p, 'StartDateTime') || has(p, 'EndDateTime'),
    message: 'a line period (BG-26) needs a start or an end date',
  },
  ...(
    [
      ['ApplicableHeaderTradeSettlement', false, 'BR-31', 'BR-32', 'BR-33', 'BR-CO-21', 'document allowance'],
      ['ApplicableHeaderTradeSettlement', true, 'BR-36', 'BR-37', 'BR-38', 'BR-CO-22', 'document charge'],
      ['SpecifiedLineTradeSettlement', false, 'BR-41', '', 'BR-42', 'BR-CO-23', 'line allowance'],
      ['SpecifiedLineTradeSettlement', true, 'BR-43', '', 'BR-44', 'BR-CO-24', 'line charge'],
    ] as const
  ).flatMap(([level, charge, amount, category, reason, coReason, what]): Rule[] => {
    const context = allowancesOf(level, charge);
    return [
      { id: amount, context, test: (a) => has(a, 'ActualAmount'), message: `a ${what} has no amount` },
      ...(category
        ? [
            {
              id: category,
              context,
              test: (a: El) => vatCategory(a, 'CategoryTradeTax'),
              message: `a ${what} has no VAT category`,
            },
          ]
        : []),
      { id: reason, context, test: hasReason, message: `a ${what} has no reason text or code` },
      { id: coReason, context, test: hasReason, message: `a ${what} needs a reason text or code` },
    ];
  }),
  {
    id: 'BR-49',
    context: anywhere('SpecifiedTradeSettlementPaymentMeans'),
    test: (p) => has(p, 'TypeCode'),
    message: 'payment instructions have no payment means code (BT-81)',
  },
  ...(['BR-50', 'BR-61'] as const).map((id): Rule => ({
    id,
    context: (d) =>
      descendants(d.root, 'SpecifiedTradeSettlementPaymentMeans')
        .filter((p) => at(p, 'TypeCode').some((c) => c.text === '30' || c.text === '58'))
        .flatMap((p) => at(p, 'PayeePartyCreditorFinancialAccount')),
    test: (a) =>
      id === 'BR-50'
        ? filled(a, 'IBANID') || filled(a, 'ProprietaryID')
        : has(a, 'IBANID') || has(a, 'ProprietaryID'),
    message: 'a credit transfer names no payment account (BT-84)',
  })),
  {
    id: 'BR-52',
    context: anywhere('AdditionalReferencedDocument'),
    test: (r) => filled(r, 'IssuerAssignedID'),
    message: 'a supporting document has no reference (BT-122)',
  },
  {
    id: 'BR-53',
    context: anywhere('SpecifiedTradeSettlementHeaderMonetarySummation'),
    test: (s, d) => {
      const taxCurrency = at(d.root, `${SETTLEMENT}/TaxCurrencyCode`).map((c) => c.text);
      if (taxCurrency.length === 0) return true;
      const invoiceCurrency = at(d.root, `${SETTLEMENT}/InvoiceCurrencyCode`).map((c) => c.text);
      return (
        at(s, 'TaxTotalAmount').some((t) => taxCurrency.includes(t.attrs.currencyID ?? '')) &&
        !taxCurrency.some((c) => invoiceCurrency.includes(c))
      );
    },
    message:
      'a VAT accounting currency (BT-6) needs the VAT total in it (BT-111) and must differ from the invoice currency',
  },
  {
    id: 'BR-54',
    context: anywhere('ApplicableProductCharacteristic'),
    test: (c) => has(c, 'Description') && has(c, 'Value'),
    message: 'an item attribute needs a name and a value (BT-160 / BT-161)',
  },
  {
    id: 'BR-55',
    context: (d) => at(d.root, `${SETTLEMENT}/InvoiceReferencedDocument`),
    test: (r) => filled(r, 'IssuerAssignedID'),
    message: 'a preceding invoice reference has no invoice number (BT-25)',
  },
  {
    id: 'BR-57',
    context: (d) => at(d.root, `${TX}/ApplicableHeaderTradeDelivery`),
    test: (dl) =>
      !has(dl, 'ShipToTradeParty/PostalTradeAddress') ||
      filled(dl, 'ShipToTradeParty/PostalTradeAddress/CountryID'),
    message: 'the deliver-to address has no country code (BT-80)',
  },
  {
    id: 'BR-62',
    context: ROOT,
    test: (r) =>
      schemeGiven(r, `${AGREEMENT}/SellerTradeParty/URIUniversalCommunication/URIID`, 'schemeID') ||
      !has(r, `${AGREEMENT}/SellerTradeParty/URIUniversalCommunication`),
    message: 'the seller electronic address (BT-34) has no scheme',
  },
  {
    id: 'BR-63',
    context: ROOT,
    test: (r) =>
      schemeGiven(r, `${AGREEMENT}/BuyerTradeParty/URIUniversalCommunication/URIID`, 'schemeID') ||
      !has(r, `${AGREEMENT}/BuyerTradeParty/URIUniversalCommunication`),
    message: 'the buyer electronic address (BT-49) has no scheme',
  },
  {
    id: 'BR-64',
    context: LINES,
    test: (l) => schemeGiven(l, 'SpecifiedTradeProduct/GlobalID', 'schemeID'),
    message: 'an item standard identifier (BT-157) has no scheme',
  },
  {
    id: 'BR-65',
    context: anywhere('DesignatedProductClassification'),
    test: (c) => schemeGiven(c, 'ClassCode', 'listID'),
    message: 'an item classification (BT-158) has no scheme',
  },
  {
    id: 'BR-CO-03',
    context: (d) => at(d.root, `${SETTLEMENT}/ApplicableTradeTax`),
    test: (_t, d) =>
      !(descendants(d.root, 'TaxPointDate').length > 0 && descendants(d.root, 'DueDateTypeCode').length > 0),
    message: 'the VAT point date (BT-7) and the VAT point date code (BT-8) are mutually exclusive',
  },
  {
    id: 'BR-CO-04',
    context: LINES,
    test: (l) => vatCategory(l, 'SpecifiedLineTradeSettlement/ApplicableTradeTax'),
    message: 'an invoice line has no VAT category (BT-151)',
  },
  {
    id: 'BR-CO-09',
    context: (d) =>
      descendants(d.root, 'ID').filter(
        (i) => i.parent?.name === 'SpecifiedTaxRegistration' && i.attrs.schemeID === 'VA',
      ),
    test: (i) => VAT_PREFIXES.includes(i.text.slice(0, 2)),
    message: 'a VAT identifier (BT-31 / BT-48 / BT-63) does not start with a country prefix',
  },
  {
    id: 'BR-CO-26',
    context: anywhere('SellerTradeParty'),
    test: (s) =>
      has(s, 'ID') ||
      has(s, 'GlobalID') ||
      has(s, 'SpecifiedLegalOrganization/ID') ||
      at(s, 'SpecifiedTaxRegistration/ID').some((i) => i.attrs.schemeID === 'VA'),
    message:
      'the seller needs an identifier, a legal registration or a VAT identifier (BT-29 / BT-30 / BT-31)',
  },
];

/**
 * Lines that bill something: EXTENDED GROUP and INFORMATION lines are headings and notes without
 * VAT terms (the model rules skip them too, see billedLines in model.ts).
 */
/** A code must be one code (no spaces) of the list, or of the shape for the lists we check by shape. */
const inList = (list: ReadonlySet<string>, v: string | undefined): boolean =>
  list.has(norm(v)) && !norm(v).includes(' ');
const shaped = (shape: RegExp, v: string | undefined): boolean => shape.test(norm(v));
const withAttr =
  (attr: string, ...names: string[]) =>
  (d: Doc) =>
    descendants(d.root, ...names).filter((e) => attr in e.attrs);
const insideOf = (el: El, name: string): boolean => {
  for (let p = el.parent; p; p = p.parent) if (p.name === name) return true;
  return false;
};
const reasonCodes = (charge: boolean) => (d: Doc) =>
  descendants(d.root, 'SpecifiedTradeAllowanceCharge')
    .filter((a) => at(a, 'ChargeIndicator/Indicator').some((i) => i.text === String(charge)))
    .flatMap((a) => at(a, 'ReasonCode'));

/** Code-list rules of the CII binding the model does not check (BR-CL-03, 05..08, 10, 11, 13, 15, 19..22, 24..26). */
export const CII_CODE_RULES: Rule[] = [
  {
    id: 'BR-CL-03',
    context: withAttr('currencyID', 'TaxTotalAmount'),
    test: (e) => inList(CURRENCIES, e.attrs.currencyID),
    message: 'a VAT total currencyID is not an ISO 4217 code',
  },
  {
    id: 'BR-CL-05',
    context: anywhere('TaxCurrencyCode'),
    test: (e) => inList(CURRENCIES, e.text),
    message: 'the VAT accounting currency (BT-6) is not an ISO 4217 code',
  },
  {
    id: 'BR-CL-06',
    context: anywhere('DueDateTypeCode'),
    test: (e) => inList(VAT_DATE_CODES_CII, e.text),
    message: 'the VAT point date code (BT-8) is not 5, 29 or 72 (UNTDID 2475)',
  },
  {
    id: 'BR-CL-07',
    context: anywhere('ReferenceTypeCode'),
    test: (e) => shaped(LETTER_CODE, e.text),
    message: 'a reference type code is not an UNTDID 1153 code',
  },
  {
    id: 'BR-CL-08',
    context: anywhere('SubjectCode'),
    test: (e) => shaped(NOTE_SUBJECT, e.text),
    message: 'a note subject code (BT-21) is not an UNTDID 4451 code',
  },
  {
    id: 'BR-CL-10',
    context: (d) =>
      withAttr(
        'schemeID',
        'GlobalID',
      )(d).filter((e) => !insideOf(e, 'SpecifiedTradeProduct') && !insideOf(e, 'ShipToTradeParty')),
    test: (e) => inList(ICD, e.attrs.schemeID),
    message: 'a party identifier scheme is not an ISO 6523 ICD code',
  },
  {
    id: 'BR-CL-11',
    context: (d) => withAttr('schemeID', 'ID')(d).filter((e) => !insideOf(e, 'SpecifiedTaxRegistration')),
    test: (e) => inList(ICD, e.attrs.schemeID),
    message: 'a legal registration identifier scheme is not an ISO 6523 ICD code',
  },
  {
    id: 'BR-CL-13',
    context: withAttr('listID', 'ClassCode'),
    test: (e) => shaped(ITEM_CLASSIFICATION_CODE, e.attrs.listID),
    message: 'an item classification scheme (BT-158-1) is not an UNTDID 7143 code',
  },
  {
    id: 'BR-CL-15',
    context: under('OriginTradeCountry', 'ID'),
    test: (e) => inList(COUNTRIES, e.text),
    message: 'the item country of origin (BT-159) is not ISO 3166-1 alpha-2',
  },
  {
    id: 'BR-CL-19',
    context: reasonCodes(false),
    test: (e) => inList(ALLOWANCE_REASONS, e.text),
    message: 'an allowance reason code is not in UNTDID 5189',
  },
  {
    id: 'BR-CL-20',
    context: reasonCodes(true),
    test: (e) => shaped(LETTER_CODE, e.text),
    message: 'a charge reason code is not an UNTDID 7161 code',
  },
  {
    id: 'BR-CL-21',
    context: (d) =>
      withAttr('schemeID', 'GlobalID')(d).filter((e) => e.parent?.name === 'SpecifiedTradeProduct'),
    test: (e) => inList(ICD, e.attrs.schemeID),
    message: 'an item standard identifier scheme (BT-157-1) is not an ISO 6523 ICD code',
  },
  {
    id: 'BR-CL-22',
    context: anywhere('ExemptionReasonCode'),
    test: (e) => shaped(VATEX_CODE, e.text.toUpperCase()),
    message: 'an exemption reason code (BT-121) is not a VATEX code',
  },
  {
    id: 'BR-CL-24',
    context: withAttr('mimeCode', 'AttachmentBinaryObject'),
    test: (e) => ATTACHMENT_MIME_TYPES.has(e.attrs.mimeCode ?? ''),
    message: 'an attachment media type is not one EN 16931 allows (PDF, PNG, JPEG, CSV, XLSX, ODS)',
  },
  {
    id: 'BR-CL-25',
    context: (d) =>
      withAttr('schemeID', 'URIID')(d).filter((e) => e.parent?.name === 'URIUniversalCommunication'),
    test: (e) => inList(EAS, e.attrs.schemeID),
    message: 'an electronic address scheme is not in the EAS code list',
  },
  {
    id: 'BR-CL-26',
    context: (d) =>
      withAttr(
        'schemeID',
        'GlobalID',
      )(d).filter(
        (e) =>
          e.parent?.name === 'ShipToTradeParty' && e.parent.parent?.name === 'ApplicableHeaderTradeDelivery',
      ),
    test: (e) => inList(ICD, e.attrs.schemeID),
    message: 'a deliver-to location identifier scheme (BT-71-1) is not an ISO 6523 ICD code',
  },
];

export function ciiDoc(root: El): Doc {
  const lines = at(root, `${TX}/IncludedSupplyChainTradeLineItem`).filter(
    (l) => !['GROUP', 'INFORMATION'].includes(val(l, 'AssociatedDocumentLineDocument/LineStatusReasonCode')),
  );
  return { root, credit: false, lines };
}
