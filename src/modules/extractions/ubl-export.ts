/**
 * UBL 2.1 (EN 16931 / Peppol BIS 3 shape) generated from a validated extraction, for ERPs that
 * import e-invoices. Only data the extraction holds is written; a document read without line
 * items gets one summary line carrying the net total, so the result stays a valid EN 16931
 * structure (BR-16: at least one line).
 */
import type { ExtractionResult, InvoiceLine, VatBreakdownRow } from '../../extraction/model.js';

const CUSTOMIZATION = 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0';

function esc(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function el(name: string, value: string | undefined, attributes = ''): string {
  return value === undefined || value === '' ? '' : `<${name}${attributes}>${esc(value)}</${name}>`;
}

/**
 * The extraction holds no postal address, but EN 16931 requires the country (BR-09, BR-11): it is
 * the VAT ID's prefix (EL stands for Greece).
 */
function postalAddress(vatId?: string): string {
  const prefix = vatId?.slice(0, 2);
  if (!prefix || !/^[A-Z]{2}$/.test(prefix)) return '';
  return `<cac:PostalAddress><cac:Country>${el('cbc:IdentificationCode', prefix === 'EL' ? 'GR' : prefix)}</cac:Country></cac:PostalAddress>`;
}

function party(
  role: 'AccountingSupplierParty' | 'AccountingCustomerParty',
  name?: string,
  vatId?: string,
  companyId?: string,
): string {
  return (
    `<cac:${role}><cac:Party>` +
    (name ? `<cac:PartyName>${el('cbc:Name', name)}</cac:PartyName>` : '') +
    postalAddress(vatId) +
    (vatId
      ? `<cac:PartyTaxScheme>${el('cbc:CompanyID', vatId)}<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>`
      : '') +
    `<cac:PartyLegalEntity>${el('cbc:RegistrationName', name ?? '')}${el('cbc:CompanyID', companyId)}</cac:PartyLegalEntity>` +
    `</cac:Party></cac:${role}>`
  );
}

function taxSubtotal(row: VatBreakdownRow, currency: string): string {
  const category = row.category ?? (Number(row.rate) > 0 ? 'S' : 'Z');
  return (
    `<cac:TaxSubtotal>${el('cbc:TaxableAmount', row.base, ` currencyID="${esc(currency)}"`)}${el('cbc:TaxAmount', row.tax, ` currencyID="${esc(currency)}"`)}` +
    `<cac:TaxCategory>${el('cbc:ID', category)}${el('cbc:Percent', row.rate)}<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>`
  );
}

function line(index: number, l: InvoiceLine, currency: string, root: 'Invoice' | 'CreditNote'): string {
  const tag = root === 'Invoice' ? 'InvoiceLine' : 'CreditNoteLine';
  const qtyTag = root === 'Invoice' ? 'cbc:InvoicedQuantity' : 'cbc:CreditedQuantity';
  return (
    `<cac:${tag}>${el('cbc:ID', String(index + 1))}${el(qtyTag, l.quantity ?? '1', ' unitCode="C62"')}` +
    `${el('cbc:LineExtensionAmount', l.netAmount ?? '0.00', ` currencyID="${esc(currency)}"`)}` +
    `<cac:Item>${el('cbc:Name', l.description ?? 'Item')}<cac:ClassifiedTaxCategory>${el('cbc:ID', Number(l.vatRate ?? '0') > 0 ? 'S' : 'Z')}${el('cbc:Percent', l.vatRate ?? '0')}<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>` +
    `<cac:Price>${el('cbc:PriceAmount', l.unitPrice ?? l.netAmount ?? '0.00', ` currencyID="${esc(currency)}"`)}</cac:Price></cac:${tag}>`
  );
}

export function toUbl(result: ExtractionResult): string {
  const f = (name: keyof ExtractionResult['fields']) => result.fields[name]?.value;
  const root = result.documentType === 'credit_note' ? 'CreditNote' : 'Invoice';
  const currency = f('currency') ?? 'EUR';
  const amount = (name: string, value?: string) => el(`cbc:${name}`, value, ` currencyID="${esc(currency)}"`);
  const lines =
    result.lines.length > 0
      ? result.lines
      : [
          {
            description: 'Invoice total',
            quantity: '1',
            netAmount: f('totals.net'),
            unitPrice: f('totals.net'),
          },
        ];
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<${root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:${root}-2" ` +
    `xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" ` +
    `xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">` +
    `${el('cbc:CustomizationID', CUSTOMIZATION)}${el('cbc:ID', f('invoiceNumber'))}${el('cbc:IssueDate', f('issueDate'))}` +
    (root === 'Invoice'
      ? `${el('cbc:DueDate', f('dueDate'))}${el('cbc:InvoiceTypeCode', '380')}`
      : el('cbc:CreditNoteTypeCode', '381')) +
    `${el('cbc:DocumentCurrencyCode', currency)}` +
    party('AccountingSupplierParty', f('seller.name'), f('seller.vatId'), f('seller.companyId')) +
    party('AccountingCustomerParty', f('buyer.name'), f('buyer.vatId')) +
    (f('payment.iban')
      ? `<cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>${el('cbc:PaymentID', f('payment.reference'))}<cac:PayeeFinancialAccount>${el('cbc:ID', f('payment.iban'))}</cac:PayeeFinancialAccount></cac:PaymentMeans>`
      : '') +
    `<cac:TaxTotal>${amount('TaxAmount', f('totals.tax') ?? '0.00')}${result.vatBreakdown.map((row) => taxSubtotal(row, currency)).join('')}</cac:TaxTotal>` +
    `<cac:LegalMonetaryTotal>${amount('LineExtensionAmount', f('totals.net'))}${amount('TaxExclusiveAmount', f('totals.net'))}` +
    `${amount('TaxInclusiveAmount', f('totals.gross'))}${amount('PayableAmount', f('totals.due') ?? f('totals.gross'))}</cac:LegalMonetaryTotal>` +
    lines.map((l, i) => line(i, l, currency, root)).join('') +
    `</${root}>\n`
  );
}
