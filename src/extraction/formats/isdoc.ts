import { toMinorUnits } from '../fields/amount.js';
import type { InvoiceLine, VatBreakdownRow } from '../types.js';
import { toStructuredInvoice, type StructuredInvoice } from './structured.js';
import { isdocTransferDetails } from './isdoc-payment.js';
import { all, first, textAt } from './xml-nav.js';
import type { XmlNode } from './xml-parse.js';

function partyVatId(party: XmlNode | undefined): string | undefined {
  const schemes = all(party, 'PartyTaxScheme');
  const vat = schemes.find((s) => textAt(s, 'TaxScheme')?.toUpperCase() === 'VAT');
  return textAt(vat, 'CompanyID');
}

function readVatBreakdown(root: XmlNode): VatBreakdownRow[] {
  return all(root, 'TaxTotal/TaxSubTotal').map((sub) => ({
    rate: textAt(sub, 'TaxCategory/Percent') ?? '0',
    base: textAt(sub, 'TaxableAmount') ?? '0',
    tax: textAt(sub, 'TaxAmount') ?? '0',
  }));
}

function readLines(root: XmlNode): InvoiceLine[] {
  return all(root, 'InvoiceLines/InvoiceLine').map((line) => ({
    description: textAt(line, 'Item/Description'),
    quantity: textAt(line, 'InvoicedQuantity'),
    unitPrice: textAt(line, 'UnitPrice'),
    netAmount: textAt(line, 'LineExtensionAmount'),
    vatRate: textAt(line, 'ClassifiedTaxCategory/Percent'),
  }));
}

/**
 * ISDOC's TaxTotal/TaxAmount is the tax of what remains after advance payments, so it is the
 * invoice's tax only when no advance was claimed.
 */
function taxWithoutAdvance(root: XmlNode): string | undefined {
  const claimed = textAt(root, 'LegalMonetaryTotal/AlreadyClaimedTaxInclusiveAmount');
  if (claimed && /^-?\d+(\.\d+)?$/.test(claimed) && toMinorUnits(claimed) !== 0n) return undefined;
  return textAt(root, 'TaxTotal/TaxAmount');
}

/** Reads a Czech ISDOC 6.x invoice; currency and totals are the local-currency values. */
export function readIsdoc(root: XmlNode): StructuredInvoice {
  const seller = first(root, 'AccountingSupplierParty/Party');
  const buyer = first(root, 'AccountingCustomerParty/Party');
  const totals = first(root, 'LegalMonetaryTotal');
  const details = isdocTransferDetails(root);
  // Doklad's own ISDOC export keeps in Extensions what ISDOC has no element for (isdoc-einvoice.ts).
  const extension = first(root, 'Extensions/EN16931');
  const type = textAt(root, 'DocumentType');
  return toStructuredInvoice(
    {
      values: {
        invoiceNumber: textAt(root, 'ID'),
        issueDate: textAt(root, 'IssueDate'),
        dueDate: textAt(details, 'PaymentDueDate') ?? textAt(extension, 'DueDate'),
        currency: textAt(root, 'LocalCurrencyCode'),
        'seller.name': textAt(seller, 'PartyName/Name'),
        'seller.vatId': partyVatId(seller),
        'seller.companyId': textAt(seller, 'PartyIdentification/ID'),
        'buyer.name': textAt(buyer, 'PartyName/Name'),
        'buyer.vatId': partyVatId(buyer),
        'totals.net': textAt(totals, 'TaxExclusiveAmount'),
        'totals.tax': taxWithoutAdvance(root),
        'totals.gross': textAt(totals, 'TaxInclusiveAmount'),
        'totals.due': textAt(totals, 'PayableAmount'),
        'payment.iban':
          textAt(details, 'IBAN') ??
          textAt(root, 'PaymentMeans/AlternateBankAccounts/AlternateBankAccount/IBAN'),
        'payment.reference': textAt(details, 'VariableSymbol') ?? textAt(extension, 'PaymentReference'),
      },
      vatBreakdown: readVatBreakdown(root),
      lines: readLines(root),
    },
    type === '1' ? 'invoice' : type === '2' ? 'credit_note' : 'unknown',
  );
}
