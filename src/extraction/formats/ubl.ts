import type { InvoiceLine, VatBreakdownRow } from '../types.js';
import { toStructuredInvoice, type StructuredInvoice } from './structured.js';
import { all, attr, children, first, text, textAt } from './xml-nav.js';
import type { XmlNode } from './xml-parse.js';

/** VAT ID of a UBL party: the PartyTaxScheme whose TaxScheme/ID is VAT (BT-31 / BT-48). */
function partyVatId(party: XmlNode | undefined): string | undefined {
  const schemes = all(party, 'PartyTaxScheme');
  const vat = schemes.find((s) => textAt(s, 'TaxScheme/ID')?.toUpperCase() === 'VAT');
  return textAt(vat, 'CompanyID');
}

/** The TaxTotal in the document currency; UBL may add a second one in the tax currency. */
function documentTaxTotal(root: XmlNode, currency: string | undefined): XmlNode | undefined {
  const totals = children(root, 'TaxTotal');
  return totals.find((t) => attr(first(t, 'TaxAmount'), 'currencyID') === currency) ?? totals[0];
}

function readVatBreakdown(taxTotal: XmlNode | undefined): VatBreakdownRow[] {
  return all(taxTotal, 'TaxSubtotal').map((sub) => {
    const row: VatBreakdownRow = {
      rate: textAt(sub, 'TaxCategory/Percent') ?? textAt(sub, 'Percent') ?? '0',
      base: textAt(sub, 'TaxableAmount') ?? '0',
      tax: textAt(sub, 'TaxAmount') ?? '0',
    };
    const category = textAt(sub, 'TaxCategory/ID');
    if (category) row.category = category;
    return row;
  });
}

function readLines(root: XmlNode, isCreditNote: boolean): InvoiceLine[] {
  const lines = children(root, isCreditNote ? 'CreditNoteLine' : 'InvoiceLine');
  return lines.map((line) => ({
    description: textAt(line, 'Item/Name') ?? textAt(line, 'Item/Description'),
    quantity: text(first(line, isCreditNote ? 'CreditedQuantity' : 'InvoicedQuantity')),
    unitPrice: textAt(line, 'Price/PriceAmount'),
    netAmount: textAt(line, 'LineExtensionAmount'),
    vatRate: textAt(line, 'Item/ClassifiedTaxCategory/Percent'),
  }));
}

/** Reads an OASIS UBL 2.1 Invoice or CreditNote, following the EN 16931 UBL binding. */
export function readUbl(root: XmlNode, rootName: string): StructuredInvoice {
  const isCreditNote = rootName === 'CreditNote';
  const currency = textAt(root, 'DocumentCurrencyCode');
  const seller = first(root, 'AccountingSupplierParty/Party');
  const buyer = first(root, 'AccountingCustomerParty/Party');
  const totals = first(root, 'LegalMonetaryTotal');
  const taxTotal = documentTaxTotal(root, currency);
  const typeCode = textAt(root, isCreditNote ? 'CreditNoteTypeCode' : 'InvoiceTypeCode');
  return toStructuredInvoice(
    {
      typeCode,
      values: {
        invoiceNumber: textAt(root, 'ID'),
        issueDate: textAt(root, 'IssueDate'),
        dueDate: textAt(root, 'DueDate') ?? textAt(root, 'PaymentMeans/PaymentDueDate'),
        currency,
        'seller.name': textAt(seller, 'PartyLegalEntity/RegistrationName'),
        'seller.vatId': partyVatId(seller),
        'seller.companyId': textAt(seller, 'PartyLegalEntity/CompanyID'),
        'buyer.name': textAt(buyer, 'PartyLegalEntity/RegistrationName'),
        'buyer.vatId': partyVatId(buyer),
        'totals.net': textAt(totals, 'TaxExclusiveAmount'),
        'totals.tax': textAt(taxTotal, 'TaxAmount'),
        'totals.gross': textAt(totals, 'TaxInclusiveAmount'),
        'totals.due': textAt(totals, 'PayableAmount'),
        'payment.iban': textAt(root, 'PaymentMeans/PayeeFinancialAccount/ID'),
        'payment.reference': textAt(root, 'PaymentMeans/PaymentID'),
      },
      vatBreakdown: readVatBreakdown(taxTotal),
      lines: readLines(root, isCreditNote),
    },
    typeCode ? undefined : isCreditNote ? 'credit_note' : 'invoice',
  );
}
