import type { InvoiceLine, VatBreakdownRow } from '../types.js';
import { toStructuredInvoice, type StructuredInvoice } from './structured.js';
import { all, attr, first, text, textAt } from './xml-nav.js';
import type { XmlNode } from './xml-parse.js';

/** Element paths that differ between CII D16B (ZUGFeRD 2.x, Factur-X) and ZUGFeRD 1.0. */
interface CiiDialect {
  header: string;
  transaction: string;
  agreement: string;
  settlement: string;
  summation: string;
  ratePath: string;
  lineNet: string;
  context: string;
}

const D16B: CiiDialect = {
  header: 'ExchangedDocument',
  transaction: 'SupplyChainTradeTransaction',
  agreement: 'ApplicableHeaderTradeAgreement',
  settlement: 'ApplicableHeaderTradeSettlement',
  summation: 'SpecifiedTradeSettlementHeaderMonetarySummation',
  ratePath: 'RateApplicablePercent',
  lineNet: 'SpecifiedLineTradeSettlement/SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount',
  context: 'ExchangedDocumentContext',
};

const ZUGFERD1: CiiDialect = {
  header: 'HeaderExchangedDocument',
  transaction: 'SpecifiedSupplyChainTradeTransaction',
  agreement: 'ApplicableSupplyChainTradeAgreement',
  settlement: 'ApplicableSupplyChainTradeSettlement',
  summation: 'SpecifiedTradeSettlementMonetarySummation',
  ratePath: 'ApplicablePercent',
  lineNet: 'SpecifiedSupplyChainTradeSettlement/SpecifiedTradeSettlementMonetarySummation/LineTotalAmount',
  context: 'SpecifiedExchangedDocumentContext',
};

function partyVatId(party: XmlNode | undefined): string | undefined {
  const regs = all(party, 'SpecifiedTaxRegistration/ID');
  return text(regs.find((r) => attr(r, 'schemeID') === 'VA'));
}

/** The amount in the invoice currency when several are given (BT-110 vs BT-111). */
function amountInCurrency(nodes: XmlNode[], currency: string | undefined): string | undefined {
  const match =
    nodes.find((n) => attr(n, 'currencyID') === currency) ??
    nodes.find((n) => !attr(n, 'currencyID')) ??
    nodes[0];
  return text(match);
}

function readVatBreakdown(settlement: XmlNode | undefined, d: CiiDialect): VatBreakdownRow[] {
  return all(settlement, 'ApplicableTradeTax').map((t) => {
    const row: VatBreakdownRow = {
      rate: textAt(t, d.ratePath) ?? '0',
      base: textAt(t, 'BasisAmount') ?? '0',
      tax: textAt(t, 'CalculatedAmount') ?? '0',
    };
    const category = textAt(t, 'CategoryCode');
    if (category) row.category = category;
    return row;
  });
}

function readLines(transaction: XmlNode | undefined, d: CiiDialect): InvoiceLine[] {
  return all(transaction, 'IncludedSupplyChainTradeLineItem').map((line) => ({
    description: textAt(line, 'SpecifiedTradeProduct/Name'),
    quantity:
      textAt(line, 'SpecifiedLineTradeDelivery/BilledQuantity') ??
      textAt(line, 'SpecifiedSupplyChainTradeDelivery/BilledQuantity'),
    unitPrice:
      textAt(line, 'SpecifiedLineTradeAgreement/NetPriceProductTradePrice/ChargeAmount') ??
      textAt(line, 'SpecifiedSupplyChainTradeAgreement/NetPriceProductTradePrice/ChargeAmount'),
    netAmount: textAt(line, d.lineNet),
    vatRate: textAt(line, `SpecifiedLineTradeSettlement/ApplicableTradeTax/${d.ratePath}`),
  }));
}

/** Reads a CII D16B CrossIndustryInvoice, or a ZUGFeRD 1.0 CrossIndustryDocument when `legacy`. */
export function readCii(root: XmlNode, legacy = false): StructuredInvoice {
  const d = legacy ? ZUGFERD1 : D16B;
  const header = first(root, d.header);
  const transaction = first(root, d.transaction);
  const agreement = first(transaction, d.agreement);
  const settlement = first(transaction, d.settlement);
  const summation = first(settlement, d.summation);
  const seller = first(agreement, 'SellerTradeParty');
  const buyer = first(agreement, 'BuyerTradeParty');
  const currency = textAt(settlement, 'InvoiceCurrencyCode');
  return toStructuredInvoice({
    typeCode: textAt(header, 'TypeCode'),
    values: {
      invoiceNumber: textAt(header, 'ID'),
      issueDate: textAt(header, 'IssueDateTime/DateTimeString'),
      dueDate: textAt(settlement, 'SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString'),
      currency,
      'seller.name': textAt(seller, 'Name'),
      'seller.vatId': partyVatId(seller),
      'seller.companyId': legacy ? undefined : textAt(seller, 'SpecifiedLegalOrganization/ID'),
      'buyer.name': textAt(buyer, 'Name'),
      'buyer.vatId': partyVatId(buyer),
      'totals.net': amountInCurrency(all(summation, 'TaxBasisTotalAmount'), currency),
      'totals.tax': amountInCurrency(all(summation, 'TaxTotalAmount'), currency),
      'totals.gross': amountInCurrency(all(summation, 'GrandTotalAmount'), currency),
      'totals.due': amountInCurrency(all(summation, 'DuePayableAmount'), currency),
      // BT-84 is the IBAN or, for other accounts, the proprietary id (as UBL's one account ID).
      'payment.iban':
        textAt(
          settlement,
          'SpecifiedTradeSettlementPaymentMeans/PayeePartyCreditorFinancialAccount/IBANID',
        ) ??
        textAt(
          settlement,
          'SpecifiedTradeSettlementPaymentMeans/PayeePartyCreditorFinancialAccount/ProprietaryID',
        ),
      'payment.reference': textAt(settlement, 'PaymentReference'),
    },
    vatBreakdown: readVatBreakdown(settlement, d),
    lines: readLines(transaction, d),
  });
}
