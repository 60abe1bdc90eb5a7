/**
 * UN/CEFACT CII D16B CrossIndustryInvoice (the Factur-X / ZUGFeRD 2 / XRechnung syntax) from the
 * EN 16931 model, following the EN 16931 CII binding; element order is the D16B schema's. The
 * guideline identifier claims EN 16931 only when `conformance.ts` found the data meet it.
 */
import type {
  EAddress,
  EAllowanceCharge,
  EIdentifier,
  EInvoice,
  ELine,
  EOtherParty,
  EParty,
} from '../einvoice.js';
import { TAX_POINT_CODE_TO_2475 } from '../formats/cii-einvoice.js';
import { checkConformance, claimsPeppol, type Conformance } from './conformance.js';
import { EN16931_CUSTOMIZATION, PEPPOL_CUSTOMIZATION, PEPPOL_PROFILE } from './ubl.js';
import { group, groupWith, leaf } from './xml-write.js';

function date102(tag: string, iso: string | undefined, element = 'udt:DateTimeString'): string {
  if (!iso) return '';
  return group(tag, leaf(element, iso.replaceAll('-', ''), { format: '102' }));
}

function address(a: EAddress | undefined): string {
  if (!a) return '';
  const [one, two, ...rest] = a.lines;
  return group(
    'ram:PostalTradeAddress',
    leaf('ram:PostcodeCode', a.postcode),
    leaf('ram:LineOne', one),
    leaf('ram:LineTwo', two),
    leaf('ram:LineThree', rest.join(', ') || undefined),
    leaf('ram:CityName', a.city),
    leaf('ram:CountryID', a.country),
    leaf('ram:CountrySubDivisionName', a.subdivision),
  );
}

function ids(list: EIdentifier[]): string {
  // BT-29 without a scheme is ram:ID, with an ICD scheme ram:GlobalID (the CII binding).
  return [
    ...list.filter((i) => !i.scheme).map((i) => leaf('ram:ID', i.id)),
    ...list.filter((i) => i.scheme).map((i) => leaf('ram:GlobalID', i.id, { schemeID: i.scheme })),
  ].join('');
}

function party(tag: string, p: EParty, role: 'seller' | 'buyer'): string {
  return group(
    tag,
    ids(p.ids),
    leaf('ram:Name', p.name),
    role === 'seller' ? leaf('ram:Description', p.legalInfo) : '',
    group(
      'ram:SpecifiedLegalOrganization',
      p.legalId ? leaf('ram:ID', p.legalId.id, { schemeID: p.legalId.scheme }) : '',
      leaf('ram:TradingBusinessName', p.tradingName),
    ),
    p.contact
      ? group(
          'ram:DefinedTradeContact',
          leaf('ram:PersonName', p.contact.name),
          group('ram:TelephoneUniversalCommunication', leaf('ram:CompleteNumber', p.contact.phone)),
          group('ram:EmailURIUniversalCommunication', leaf('ram:URIID', p.contact.email)),
        )
      : '',
    address(p.address),
    p.electronicAddress
      ? group(
          'ram:URIUniversalCommunication',
          leaf('ram:URIID', p.electronicAddress.id, { schemeID: p.electronicAddress.scheme }),
        )
      : '',
    p.vatId ? group('ram:SpecifiedTaxRegistration', leaf('ram:ID', p.vatId, { schemeID: 'VA' })) : '',
    p.taxRegistrationId && role === 'seller'
      ? group('ram:SpecifiedTaxRegistration', leaf('ram:ID', p.taxRegistrationId, { schemeID: 'FC' }))
      : '',
  );
}

function otherParty(tag: string, p: EOtherParty | undefined, taxRepresentative: boolean): string {
  if (!p) return '';
  return group(
    tag,
    taxRepresentative ? '' : ids(p.ids),
    leaf('ram:Name', p.name),
    !taxRepresentative && p.legalId
      ? group('ram:SpecifiedLegalOrganization', leaf('ram:ID', p.legalId.id, { schemeID: p.legalId.scheme }))
      : '',
    taxRepresentative ? address(p.address) : '',
    taxRepresentative && p.vatId
      ? group('ram:SpecifiedTaxRegistration', leaf('ram:ID', p.vatId, { schemeID: 'VA' }))
      : '',
  );
}

function allowanceCharge(a: EAllowanceCharge, documentLevel: boolean): string {
  return group(
    'ram:SpecifiedTradeAllowanceCharge',
    group('ram:ChargeIndicator', leaf('udt:Indicator', a.charge ? 'true' : 'false')),
    leaf('ram:CalculationPercent', a.percent),
    leaf('ram:BasisAmount', a.base),
    leaf('ram:ActualAmount', a.amount),
    leaf('ram:ReasonCode', a.reasonCode),
    leaf('ram:Reason', a.reason),
    documentLevel
      ? group(
          'ram:CategoryTradeTax',
          leaf('ram:TypeCode', 'VAT'),
          leaf('ram:CategoryCode', a.category),
          leaf('ram:RateApplicablePercent', a.rate),
        )
      : '',
  );
}

function line(l: ELine): string {
  const basis = (quantity: string | undefined) =>
    leaf('ram:BasisQuantity', quantity, { unitCode: quantity ? (l.unitCode ?? 'C62') : undefined });
  return group(
    'ram:IncludedSupplyChainTradeLineItem',
    group(
      'ram:AssociatedDocumentLineDocument',
      leaf('ram:LineID', l.id),
      group('ram:IncludedNote', leaf('ram:Content', l.note)),
    ),
    group(
      'ram:SpecifiedTradeProduct',
      l.standardItemId
        ? leaf('ram:GlobalID', l.standardItemId.id, { schemeID: l.standardItemId.scheme })
        : '',
      leaf('ram:SellerAssignedID', l.sellerItemId),
      leaf('ram:BuyerAssignedID', l.buyerItemId),
      leaf('ram:Name', l.name),
      leaf('ram:Description', l.description),
      group('ram:OriginTradeCountry', leaf('ram:ID', l.originCountry)),
    ),
    group(
      'ram:SpecifiedLineTradeAgreement',
      group('ram:BuyerOrderReferencedDocument', leaf('ram:LineID', l.orderLineRef)),
      l.grossPrice !== undefined
        ? group(
            'ram:GrossPriceProductTradePrice',
            leaf('ram:ChargeAmount', l.grossPrice),
            basis(l.baseQuantity),
            l.priceDiscount
              ? group(
                  'ram:AppliedTradeAllowanceCharge',
                  group('ram:ChargeIndicator', leaf('udt:Indicator', 'false')),
                  leaf('ram:ActualAmount', l.priceDiscount),
                )
              : '',
          )
        : '',
      group('ram:NetPriceProductTradePrice', leaf('ram:ChargeAmount', l.price), basis(l.baseQuantity)),
    ),
    group(
      'ram:SpecifiedLineTradeDelivery',
      leaf('ram:BilledQuantity', l.quantity, { unitCode: l.unitCode ?? 'C62' }),
    ),
    group(
      'ram:SpecifiedLineTradeSettlement',
      group(
        'ram:ApplicableTradeTax',
        leaf('ram:TypeCode', 'VAT'),
        leaf('ram:CategoryCode', l.category),
        leaf('ram:RateApplicablePercent', l.rate),
      ),
      group(
        'ram:BillingSpecifiedPeriod',
        date102('ram:StartDateTime', l.periodStart),
        date102('ram:EndDateTime', l.periodEnd),
      ),
      ...l.allowances.map((a) => allowanceCharge(a, false)),
      group('ram:SpecifiedTradeSettlementLineMonetarySummation', leaf('ram:LineTotalAmount', l.net)),
      group('ram:ReceivableSpecifiedTradeAccountingAccount', leaf('ram:ID', l.accountingRef)),
    ),
  );
}

function settlement(inv: EInvoice): string {
  const t = inv.totals;
  const mandate = inv.paymentMeans.find((m) => m.mandate)?.mandate;
  return group(
    'ram:ApplicableHeaderTradeSettlement',
    leaf('ram:CreditorReferenceID', inv.creditorId),
    leaf('ram:PaymentReference', inv.paymentReference),
    leaf('ram:TaxCurrencyCode', inv.taxCurrency),
    leaf('ram:InvoiceCurrencyCode', inv.currency),
    otherParty('ram:PayeeTradeParty', inv.payee, false),
    ...inv.paymentMeans.map((m) =>
      group(
        'ram:SpecifiedTradeSettlementPaymentMeans',
        leaf('ram:TypeCode', m.code),
        leaf('ram:Information', m.text),
        m.cardNumber
          ? group(
              'ram:ApplicableTradeSettlementFinancialCard',
              leaf('ram:ID', m.cardNumber),
              leaf('ram:CardholderName', m.cardHolder),
            )
          : '',
        group('ram:PayerPartyDebtorFinancialAccount', leaf('ram:IBANID', m.debitedAccount)),
        m.account
          ? group(
              'ram:PayeePartyCreditorFinancialAccount',
              // An IBAN starts with a country code and check digits; anything else is a national account.
              /^[A-Z]{2}\d{2}/.test(m.account) ? leaf('ram:IBANID', m.account) : '',
              leaf('ram:AccountName', m.accountName),
              /^[A-Z]{2}\d{2}/.test(m.account) ? '' : leaf('ram:ProprietaryID', m.account),
            )
          : '',
        group('ram:PayeeSpecifiedCreditorFinancialInstitution', leaf('ram:BICID', m.bic)),
      ),
    ),
    ...inv.vat.map((row, i) =>
      group(
        'ram:ApplicableTradeTax',
        leaf('ram:CalculatedAmount', row.tax),
        leaf('ram:TypeCode', 'VAT'),
        leaf('ram:ExemptionReason', row.exemptionReason),
        leaf('ram:BasisAmount', row.base),
        leaf('ram:CategoryCode', row.category),
        leaf('ram:ExemptionReasonCode', row.exemptionReasonCode),
        i === 0 ? date102('ram:TaxPointDate', inv.taxPointDate, 'udt:DateString') : '',
        leaf(
          'ram:DueDateTypeCode',
          inv.taxPointDateCode && (TAX_POINT_CODE_TO_2475[inv.taxPointDateCode] ?? inv.taxPointDateCode),
        ),
        leaf('ram:RateApplicablePercent', row.rate),
      ),
    ),
    group(
      'ram:BillingSpecifiedPeriod',
      date102('ram:StartDateTime', inv.periodStart),
      date102('ram:EndDateTime', inv.periodEnd),
    ),
    ...inv.allowanceCharges.map((a) => allowanceCharge(a, true)),
    group(
      'ram:SpecifiedTradePaymentTerms',
      leaf('ram:Description', inv.paymentTerms),
      date102('ram:DueDateDateTime', inv.dueDate),
      leaf('ram:DirectDebitMandateID', mandate),
    ),
    group(
      'ram:SpecifiedTradeSettlementHeaderMonetarySummation',
      leaf('ram:LineTotalAmount', t.lineNet),
      leaf('ram:ChargeTotalAmount', t.charges),
      leaf('ram:AllowanceTotalAmount', t.allowances),
      leaf('ram:TaxBasisTotalAmount', t.net),
      leaf('ram:TaxTotalAmount', t.tax, { currencyID: inv.currency }),
      inv.taxCurrency && t.taxInTaxCurrency
        ? leaf('ram:TaxTotalAmount', t.taxInTaxCurrency, { currencyID: inv.taxCurrency })
        : '',
      leaf('ram:RoundingAmount', t.rounding),
      leaf('ram:GrandTotalAmount', t.gross),
      leaf('ram:TotalPrepaidAmount', t.prepaid),
      leaf('ram:DuePayableAmount', t.due),
    ),
    // D16B has room for one preceding invoice (BG-3) at document level.
    ...inv.precedingInvoices
      .slice(0, 1)
      .map((p) =>
        group(
          'ram:InvoiceReferencedDocument',
          leaf('ram:IssuerAssignedID', p.id),
          date102('ram:FormattedIssueDateTime', p.issueDate, 'qdt:DateTimeString'),
        ),
      ),
    group('ram:ReceivableSpecifiedTradeAccountingAccount', leaf('ram:ID', inv.accountingReference)),
  );
}

/** Writes the invoice as CII D16B; `conformance` (default: checked here) decides the guideline claim. */
export function writeCii(inv: EInvoice, conformance: Conformance = checkConformance(inv)): string {
  const peppol = claimsPeppol(inv, conformance, 'cii');
  const guideline = peppol ? PEPPOL_CUSTOMIZATION : EN16931_CUSTOMIZATION;
  const process = peppol ? PEPPOL_PROFILE : inv.businessProcess;
  const delivery = inv.delivery;
  const ref = (tag: string, id: string | undefined) => group(tag, leaf('ram:IssuerAssignedID', id));
  const body = [
    group(
      'rsm:ExchangedDocumentContext',
      group('ram:BusinessProcessSpecifiedDocumentContextParameter', leaf('ram:ID', process)),
      group('ram:GuidelineSpecifiedDocumentContextParameter', leaf('ram:ID', guideline)),
    ),
    group(
      'rsm:ExchangedDocument',
      leaf('ram:ID', inv.number),
      leaf('ram:TypeCode', inv.typeCode),
      date102('ram:IssueDateTime', inv.issueDate),
      ...inv.notes.map((n) =>
        group('ram:IncludedNote', leaf('ram:Content', n.text), leaf('ram:SubjectCode', n.subject)),
      ),
    ),
    group(
      'rsm:SupplyChainTradeTransaction',
      ...inv.lines.map(line),
      group(
        'ram:ApplicableHeaderTradeAgreement',
        leaf('ram:BuyerReference', inv.buyerReference),
        party('ram:SellerTradeParty', inv.seller, 'seller'),
        party('ram:BuyerTradeParty', inv.buyer, 'buyer'),
        otherParty('ram:SellerTaxRepresentativeTradeParty', inv.taxRepresentative, true),
        ref('ram:SellerOrderReferencedDocument', inv.salesOrderReference),
        ref('ram:BuyerOrderReferencedDocument', inv.orderReference),
        ref('ram:ContractReferencedDocument', inv.contractReference),
        inv.tenderReference
          ? group(
              'ram:AdditionalReferencedDocument',
              leaf('ram:IssuerAssignedID', inv.tenderReference),
              leaf('ram:TypeCode', '50'),
            )
          : '',
        inv.projectReference
          ? group(
              'ram:SpecifiedProcuringProject',
              leaf('ram:ID', inv.projectReference),
              leaf('ram:Name', 'Project reference'),
            )
          : '',
      ),
      // ApplicableHeaderTradeDelivery is mandatory in CII even when empty.
      `<ram:ApplicableHeaderTradeDelivery>${
        delivery
          ? group(
              'ram:ShipToTradeParty',
              delivery.locationId && !delivery.locationId.scheme
                ? leaf('ram:ID', delivery.locationId.id)
                : '',
              delivery.locationId?.scheme
                ? leaf('ram:GlobalID', delivery.locationId.id, { schemeID: delivery.locationId.scheme })
                : '',
              leaf('ram:Name', delivery.name),
              address(delivery.address),
            ) + group('ram:ActualDeliverySupplyChainEvent', date102('ram:OccurrenceDateTime', delivery.date))
          : ''
      }${ref('ram:DespatchAdviceReferencedDocument', inv.despatchAdviceReference)}${ref(
        'ram:ReceivingAdviceReferencedDocument',
        inv.receivingAdviceReference,
      )}</ram:ApplicableHeaderTradeDelivery>`,
      settlement(inv),
    ),
  ];
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    groupWith(
      'rsm:CrossIndustryInvoice',
      {
        'xmlns:rsm': 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100',
        'xmlns:ram': 'urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100',
        'xmlns:qdt': 'urn:un:unece:uncefact:data:standard:QualifiedDataType:100',
        'xmlns:udt': 'urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100',
      },
      ...body,
    ) +
    '\n'
  );
}
