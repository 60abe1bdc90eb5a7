/**
 * UBL 2.1 Invoice / CreditNote from the EN 16931 model, following the EN 16931 UBL binding and
 * Peppol BIS Billing 3.0. Element order is the UBL 2.1 schema's. The CustomizationID claims only
 * what `conformance.ts` found the data meet; a caller refuses to export what meets nothing.
 */
import type {
  EAddress,
  EAllowanceCharge,
  EInvoice,
  ELine,
  EOtherParty,
  EParty,
  EPaymentMeans,
} from '../einvoice.js';
import { checkConformance, claimsPeppol, type Conformance } from './conformance.js';
import { group, groupWith, leaf } from './xml-write.js';

export const EN16931_CUSTOMIZATION = 'urn:cen.eu:en16931:2017';
export const PEPPOL_CUSTOMIZATION =
  'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0';
export const PEPPOL_PROFILE = 'urn:fdc:peppol.eu:2017:poacc:billing:01:1.0';

const VAT_SCHEME = '<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>';

function money(name: string, value: string | undefined, currency: string): string {
  return leaf(name, value, { currencyID: currency });
}

function address(tag: string, a: EAddress | undefined): string {
  if (!a) return '';
  const [street, additional, ...rest] = a.lines;
  return group(
    tag,
    leaf('cbc:StreetName', street),
    leaf('cbc:AdditionalStreetName', additional),
    leaf('cbc:CityName', a.city),
    leaf('cbc:PostalZone', a.postcode),
    leaf('cbc:CountrySubentity', a.subdivision),
    rest.length ? group('cac:AddressLine', leaf('cbc:Line', rest.join(', '))) : '',
    group('cac:Country', leaf('cbc:IdentificationCode', a.country)),
  );
}

function party(p: EParty, role: 'seller' | 'buyer', creditorId?: string): string {
  // BT-29 may repeat; BT-46 occurs at most once (UBL-SR-16). BT-90 is a seller id with scheme SEPA.
  const ids =
    role === 'seller'
      ? [...p.ids, ...(creditorId ? [{ id: creditorId, scheme: 'SEPA' }] : [])]
      : p.ids.slice(0, 1);
  return group(
    'cac:Party',
    p.electronicAddress
      ? leaf('cbc:EndpointID', p.electronicAddress.id, { schemeID: p.electronicAddress.scheme })
      : '',
    ...ids.map((id) => group('cac:PartyIdentification', leaf('cbc:ID', id.id, { schemeID: id.scheme }))),
    p.tradingName ? group('cac:PartyName', leaf('cbc:Name', p.tradingName)) : '',
    address('cac:PostalAddress', p.address),
    p.vatId ? group('cac:PartyTaxScheme', leaf('cbc:CompanyID', p.vatId), VAT_SCHEME) : '',
    p.taxRegistrationId && role === 'seller'
      ? group(
          'cac:PartyTaxScheme',
          leaf('cbc:CompanyID', p.taxRegistrationId),
          '<cac:TaxScheme><cbc:ID>FC</cbc:ID></cac:TaxScheme>',
        )
      : '',
    group(
      'cac:PartyLegalEntity',
      leaf('cbc:RegistrationName', p.name),
      p.legalId ? leaf('cbc:CompanyID', p.legalId.id, { schemeID: p.legalId.scheme }) : '',
      role === 'seller' ? leaf('cbc:CompanyLegalForm', p.legalInfo) : '',
    ),
    p.contact
      ? group(
          'cac:Contact',
          leaf('cbc:Name', p.contact.name),
          leaf('cbc:Telephone', p.contact.phone),
          leaf('cbc:ElectronicMail', p.contact.email),
        )
      : '',
  );
}

function otherParty(
  tag: string,
  p: EOtherParty | undefined,
  taxRepresentative: boolean,
  creditorId?: string,
): string {
  if (!p) return '';
  const ids = [...p.ids.slice(0, 1), ...(creditorId ? [{ id: creditorId, scheme: 'SEPA' }] : [])];
  return group(
    tag,
    ...(taxRepresentative
      ? []
      : ids.map((id) => group('cac:PartyIdentification', leaf('cbc:ID', id.id, { schemeID: id.scheme })))),
    group('cac:PartyName', leaf('cbc:Name', p.name)),
    taxRepresentative ? address('cac:PostalAddress', p.address) : '',
    p.vatId && taxRepresentative
      ? group('cac:PartyTaxScheme', leaf('cbc:CompanyID', p.vatId), VAT_SCHEME)
      : '',
    !taxRepresentative && p.legalId
      ? group('cac:PartyLegalEntity', leaf('cbc:CompanyID', p.legalId.id, { schemeID: p.legalId.scheme }))
      : '',
  );
}

function paymentMeans(m: EPaymentMeans, inv: EInvoice, isCreditNote: boolean, first: boolean): string {
  return group(
    'cac:PaymentMeans',
    // BT-82 occurs once per invoice in the UBL binding (UBL-SR-46): the first means carries it.
    leaf('cbc:PaymentMeansCode', m.code, { name: first ? m.text : undefined }),
    isCreditNote && first ? leaf('cbc:PaymentDueDate', inv.dueDate) : '',
    leaf('cbc:PaymentID', inv.paymentReference),
    m.cardNumber
      ? group(
          'cac:CardAccount',
          leaf('cbc:PrimaryAccountNumberID', m.cardNumber),
          // Peppol requires the card network; the model does not know it.
          leaf('cbc:NetworkID', 'NA'),
          leaf('cbc:HolderName', m.cardHolder),
        )
      : '',
    m.account
      ? group(
          'cac:PayeeFinancialAccount',
          leaf('cbc:ID', m.account),
          leaf('cbc:Name', m.accountName),
          m.bic ? group('cac:FinancialInstitutionBranch', leaf('cbc:ID', m.bic)) : '',
        )
      : '',
    m.mandate || m.debitedAccount
      ? group(
          'cac:PaymentMandate',
          leaf('cbc:ID', m.mandate),
          m.debitedAccount ? group('cac:PayerFinancialAccount', leaf('cbc:ID', m.debitedAccount)) : '',
        )
      : '',
  );
}

function allowanceCharge(a: EAllowanceCharge, currency: string, documentLevel: boolean): string {
  return group(
    'cac:AllowanceCharge',
    leaf('cbc:ChargeIndicator', a.charge ? 'true' : 'false'),
    leaf('cbc:AllowanceChargeReasonCode', a.reasonCode),
    leaf('cbc:AllowanceChargeReason', a.reason),
    leaf('cbc:MultiplierFactorNumeric', a.percent),
    money('cbc:Amount', a.amount, currency),
    money('cbc:BaseAmount', a.base, currency),
    documentLevel
      ? group('cac:TaxCategory', leaf('cbc:ID', a.category), leaf('cbc:Percent', a.rate), VAT_SCHEME)
      : '',
  );
}

function line(l: ELine, currency: string, isCreditNote: boolean): string {
  const tag = isCreditNote ? 'cac:CreditNoteLine' : 'cac:InvoiceLine';
  return group(
    tag,
    leaf('cbc:ID', l.id),
    leaf('cbc:Note', l.note),
    leaf(isCreditNote ? 'cbc:CreditedQuantity' : 'cbc:InvoicedQuantity', l.quantity, {
      unitCode: l.unitCode ?? 'C62',
    }),
    money('cbc:LineExtensionAmount', l.net, currency),
    leaf('cbc:AccountingCost', l.accountingRef),
    group('cac:InvoicePeriod', leaf('cbc:StartDate', l.periodStart), leaf('cbc:EndDate', l.periodEnd)),
    group('cac:OrderLineReference', leaf('cbc:LineID', l.orderLineRef)),
    ...l.allowances.map((a) => allowanceCharge(a, currency, false)),
    group(
      'cac:Item',
      leaf('cbc:Description', l.description),
      leaf('cbc:Name', l.name),
      group('cac:BuyersItemIdentification', leaf('cbc:ID', l.buyerItemId)),
      group('cac:SellersItemIdentification', leaf('cbc:ID', l.sellerItemId)),
      l.standardItemId
        ? group(
            'cac:StandardItemIdentification',
            leaf('cbc:ID', l.standardItemId.id, { schemeID: l.standardItemId.scheme }),
          )
        : '',
      group('cac:OriginCountry', leaf('cbc:IdentificationCode', l.originCountry)),
      group('cac:ClassifiedTaxCategory', leaf('cbc:ID', l.category), leaf('cbc:Percent', l.rate), VAT_SCHEME),
    ),
    group(
      'cac:Price',
      money('cbc:PriceAmount', l.price, currency),
      leaf('cbc:BaseQuantity', l.baseQuantity, {
        unitCode: l.baseQuantity ? (l.unitCode ?? 'C62') : undefined,
      }),
      l.grossPrice !== undefined || l.priceDiscount !== undefined
        ? group(
            'cac:AllowanceCharge',
            leaf('cbc:ChargeIndicator', 'false'),
            money('cbc:Amount', l.priceDiscount ?? '0.00', currency),
            money('cbc:BaseAmount', l.grossPrice, currency),
          )
        : '',
    ),
  );
}

function taxTotal(inv: EInvoice): string {
  const c = inv.currency;
  const main = group(
    'cac:TaxTotal',
    money('cbc:TaxAmount', inv.totals.tax, c),
    ...inv.vat.map((row) =>
      group(
        'cac:TaxSubtotal',
        money('cbc:TaxableAmount', row.base, c),
        money('cbc:TaxAmount', row.tax, c),
        group(
          'cac:TaxCategory',
          leaf('cbc:ID', row.category),
          leaf('cbc:Percent', row.rate),
          leaf('cbc:TaxExemptionReasonCode', row.exemptionReasonCode),
          leaf('cbc:TaxExemptionReason', row.exemptionReason),
          VAT_SCHEME,
        ),
      ),
    ),
  );
  const inTaxCurrency =
    inv.taxCurrency && inv.totals.taxInTaxCurrency
      ? group('cac:TaxTotal', money('cbc:TaxAmount', inv.totals.taxInTaxCurrency, inv.taxCurrency))
      : '';
  return main + inTaxCurrency;
}

function customization(inv: EInvoice, conformance: Conformance): { customization: string; profile?: string } {
  if (claimsPeppol(inv, conformance, 'ubl'))
    return { customization: PEPPOL_CUSTOMIZATION, profile: PEPPOL_PROFILE };
  return { customization: EN16931_CUSTOMIZATION };
}

/** Writes the invoice as UBL 2.1; `conformance` (default: checked here) decides the claim. */
export function writeUbl(inv: EInvoice, conformance: Conformance = checkConformance(inv)): string {
  const isCreditNote = ['381', '261', '262', '296', '308', '396', '420', '458', '532'].includes(inv.typeCode);
  const root = isCreditNote ? 'CreditNote' : 'Invoice';
  const c = inv.currency;
  const claim = customization(inv, conformance);
  const delivery = inv.delivery;
  const documentRefs = (tag: string, id: string | undefined) => group(tag, leaf('cbc:ID', id));
  const body = [
    leaf('cbc:CustomizationID', claim.customization),
    leaf('cbc:ProfileID', claim.profile ?? inv.businessProcess),
    leaf('cbc:ID', inv.number),
    leaf('cbc:IssueDate', inv.issueDate),
    isCreditNote ? '' : leaf('cbc:DueDate', inv.dueDate),
    isCreditNote ? leaf('cbc:TaxPointDate', inv.taxPointDate) : '',
    leaf(isCreditNote ? 'cbc:CreditNoteTypeCode' : 'cbc:InvoiceTypeCode', inv.typeCode),
    ...inv.notes.map((n) => leaf('cbc:Note', n.subject ? `#${n.subject}#${n.text}` : n.text)),
    isCreditNote ? '' : leaf('cbc:TaxPointDate', inv.taxPointDate),
    leaf('cbc:DocumentCurrencyCode', c),
    leaf('cbc:TaxCurrencyCode', inv.taxCurrency),
    leaf('cbc:AccountingCost', inv.accountingReference),
    leaf('cbc:BuyerReference', inv.buyerReference),
    group(
      'cac:InvoicePeriod',
      leaf('cbc:StartDate', inv.periodStart),
      leaf('cbc:EndDate', inv.periodEnd),
      leaf('cbc:DescriptionCode', inv.taxPointDateCode),
    ),
    inv.orderReference || inv.salesOrderReference
      ? group(
          'cac:OrderReference',
          // UBL requires OrderReference/ID; "NA" is the binding's placeholder when only BT-14 exists.
          leaf('cbc:ID', inv.orderReference ?? 'NA'),
          leaf('cbc:SalesOrderID', inv.salesOrderReference),
        )
      : '',
    ...inv.precedingInvoices.map((p) =>
      group(
        'cac:BillingReference',
        group('cac:InvoiceDocumentReference', leaf('cbc:ID', p.id), leaf('cbc:IssueDate', p.issueDate)),
      ),
    ),
    documentRefs('cac:DespatchDocumentReference', inv.despatchAdviceReference),
    documentRefs('cac:ReceiptDocumentReference', inv.receivingAdviceReference),
    isCreditNote ? '' : documentRefs('cac:OriginatorDocumentReference', inv.tenderReference),
    documentRefs('cac:ContractDocumentReference', inv.contractReference),
    isCreditNote && inv.projectReference
      ? group(
          'cac:AdditionalDocumentReference',
          leaf('cbc:ID', inv.projectReference),
          leaf('cbc:DocumentTypeCode', '50'),
        )
      : '',
    isCreditNote ? documentRefs('cac:OriginatorDocumentReference', inv.tenderReference) : '',
    isCreditNote ? '' : documentRefs('cac:ProjectReference', inv.projectReference),
    group('cac:AccountingSupplierParty', party(inv.seller, 'seller', inv.payee ? undefined : inv.creditorId)),
    group('cac:AccountingCustomerParty', party(inv.buyer, 'buyer')),
    otherParty('cac:PayeeParty', inv.payee, false, inv.creditorId),
    otherParty('cac:TaxRepresentativeParty', inv.taxRepresentative, true),
    delivery
      ? group(
          'cac:Delivery',
          leaf('cbc:ActualDeliveryDate', delivery.date),
          delivery.locationId || delivery.address
            ? group(
                'cac:DeliveryLocation',
                delivery.locationId
                  ? leaf('cbc:ID', delivery.locationId.id, { schemeID: delivery.locationId.scheme })
                  : '',
                address('cac:Address', delivery.address),
              )
            : '',
          group('cac:DeliveryParty', group('cac:PartyName', leaf('cbc:Name', delivery.name))),
        )
      : '',
    // BT-83 lives inside BG-16 in UBL: without a known means it goes with code 1 (not defined).
    ...(inv.paymentMeans.length || !inv.paymentReference ? inv.paymentMeans : [{ code: '1' }]).map((m, i) =>
      paymentMeans(m, inv, isCreditNote, i === 0),
    ),
    group('cac:PaymentTerms', leaf('cbc:Note', inv.paymentTerms)),
    ...inv.allowanceCharges.map((a) => allowanceCharge(a, c, true)),
    taxTotal(inv),
    group(
      'cac:LegalMonetaryTotal',
      money('cbc:LineExtensionAmount', inv.totals.lineNet, c),
      money('cbc:TaxExclusiveAmount', inv.totals.net, c),
      money('cbc:TaxInclusiveAmount', inv.totals.gross, c),
      money('cbc:AllowanceTotalAmount', inv.totals.allowances, c),
      money('cbc:ChargeTotalAmount', inv.totals.charges, c),
      money('cbc:PrepaidAmount', inv.totals.prepaid, c),
      money('cbc:PayableRoundingAmount', inv.totals.rounding, c),
      money('cbc:PayableAmount', inv.totals.due, c),
    ),
    ...inv.lines.map((l) => line(l, c, isCreditNote)),
  ];
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    groupWith(
      root,
      {
        xmlns: `urn:oasis:names:specification:ubl:schema:xsd:${root}-2`,
        'xmlns:cac': 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2',
        'xmlns:cbc': 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2',
      },
      ...body,
    ) +
    '\n'
  );
}
