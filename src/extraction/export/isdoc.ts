/**
 * ISDOC 6.0.2 (the Czech e-invoice Pohoda, Money S3, ABRA and Helios import) from the EN 16931
 * model. ISDOC has no VAT category codes, no document-level allowances and no buyer reference:
 * categories follow from its flags (VATApplicable, LocalReverseChargeFlag), document allowances
 * and charges become lines, and what ISDOC cannot say (the EN 16931 categories and exemption
 * reasons, buyer reference, electronic addresses) goes into `Extensions` in Doklad's namespace,
 * which ISDOC allows for exactly this and which `formats/isdoc-einvoice.ts` reads back.
 */
import { createHash } from 'node:crypto';
import type { EAllowanceCharge, EInvoice, ELine, EParty, EPaymentMeans, EVatRow } from '../einvoice.js';
import { fromMinorUnits, isDecimalString, toMinorUnits } from '../fields/amount.js';
import { ISDOC_EXTENSION_NS } from '../formats/isdoc-einvoice.js';
import { esc, group, groupWith, leaf } from './xml-write.js';

/** An element ISDOC requires: written even when the value is unknown (empty). */
function req(name: string, value: string | undefined, attrs = ''): string {
  return `<${name}${attrs}>${esc(value ?? '')}</${name}>`;
}

function cents(value: string | undefined): bigint {
  return value !== undefined && isDecimalString(value) ? toMinorUnits(value) : 0n;
}

/** net × rate / 100, rounded half away from zero to the cent. */
function taxOf(net: string, rate: string | undefined): bigint {
  const n = cents(net);
  const r = rate && isDecimalString(rate) ? toMinorUnits(rate, 4) : 0n; // rate × 10^4
  const scaled = n * r; // cents × rate × 10^4; divide by 100 × 10^4
  const divisor = 1_000_000n;
  const q = scaled / divisor;
  const rem = scaled % divisor;
  const twice = (rem < 0n ? -rem : rem) * 2n;
  return twice >= divisor ? q + (scaled < 0n ? -1n : 1n) : q;
}

function uuidFor(inv: EInvoice): string {
  const h = createHash('sha256')
    .update(`${inv.seller.vatId ?? inv.seller.name ?? ''}|${inv.number}|${inv.issueDate}`)
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`.toUpperCase();
}

function party(p: EParty): string {
  const a = p.address;
  return group(
    'Party',
    `<PartyIdentification>${req('ID', p.legalId?.id)}</PartyIdentification>`,
    `<PartyName>${req('Name', p.name)}</PartyName>`,
    `<PostalAddress>${req('StreetName', a?.lines.join(', '))}${req('BuildingNumber', '')}${req('CityName', a?.city)}${req(
      'PostalZone',
      a?.postcode,
    )}<Country>${req('IdentificationCode', a?.country)}${req('Name', '')}</Country></PostalAddress>`,
    p.vatId ? `<PartyTaxScheme>${req('CompanyID', p.vatId)}${req('TaxScheme', 'VAT')}</PartyTaxScheme>` : '',
    p.contact
      ? group(
          'Contact',
          leaf('Name', p.contact.name),
          leaf('Telephone', p.contact.phone),
          leaf('ElectronicMail', p.contact.email),
        )
      : '',
  );
}

function categoryFlags(
  category: string,
  rate: string | undefined,
  tag: 'ClassifiedTaxCategory' | 'TaxCategory',
): string {
  const percent = req('Percent', category === 'O' ? '0' : (rate ?? '0'));
  const applicable = req('VATApplicable', category === 'O' ? 'false' : 'true');
  if (tag === 'ClassifiedTaxCategory')
    return `<${tag}>${percent}${req('VATCalculationMethod', '0')}${applicable}</${tag}>`;
  return `<${tag}>${percent}${applicable}${req('LocalReverseChargeFlag', category === 'AE' ? 'true' : 'false')}</${tag}>`;
}

interface IsdocLine {
  id: string;
  quantity: string;
  unitCode?: string;
  net: string;
  price: string;
  category: string;
  rate?: string;
  name: string;
  description?: string;
  note?: string;
  vatNote?: string;
  sellerItemId?: string;
  buyerItemId?: string;
}

function fromLine(l: ELine, vatNote: string | undefined): IsdocLine {
  return { ...l, vatNote };
}

/** A document allowance (negative) or charge as an ISDOC line: ISDOC has no other place for it. */
function fromAllowance(a: EAllowanceCharge, index: number): IsdocLine {
  const amount = a.charge ? a.amount : fromMinorUnits(-cents(a.amount));
  return {
    id: `${a.charge ? 'CHARGE' : 'ALLOWANCE'}-${index + 1}`,
    quantity: '1',
    net: amount,
    price: amount,
    category: a.category ?? 'S',
    rate: a.rate,
    name: a.reason ?? (a.charge ? 'Charge' : 'Allowance'),
  };
}

function line(l: IsdocLine): string {
  const tax = taxOf(l.net, l.category === 'O' ? '0' : l.rate);
  const unitTax = taxOf(l.price, l.category === 'O' ? '0' : l.rate);
  return (
    '<InvoiceLine>' +
    req('ID', l.id) +
    req('InvoicedQuantity', l.quantity, l.unitCode ? ` unitCode="${esc(l.unitCode)}"` : '') +
    req('LineExtensionAmount', l.net) +
    req('LineExtensionAmountTaxInclusive', fromMinorUnits(cents(l.net) + tax)) +
    req('LineExtensionTaxAmount', fromMinorUnits(tax)) +
    req('UnitPrice', l.price) +
    req('UnitPriceTaxInclusive', fromMinorUnits(cents(l.price) + unitTax)) +
    categoryFlags(l.category, l.rate, 'ClassifiedTaxCategory') +
    leaf('Note', l.note) +
    leaf('VATNote', l.vatNote) +
    group(
      'Item',
      leaf('Description', l.name),
      group('SellersItemIdentification', leaf('ID', l.sellerItemId)),
      group('BuyersItemIdentification', leaf('ID', l.buyerItemId)),
    ) +
    `<Extensions><d:Line xmlns:d="${ISDOC_EXTENSION_NS}">${leaf('d:Category', l.category)}${leaf('d:Name', l.name)}</d:Line></Extensions>` +
    '</InvoiceLine>'
  );
}

function subTotal(row: EVatRow): string {
  const inclusive = fromMinorUnits(cents(row.base) + cents(row.tax));
  return (
    '<TaxSubTotal>' +
    req('TaxableAmount', row.base) +
    req('TaxAmount', row.tax) +
    req('TaxInclusiveAmount', inclusive) +
    req('AlreadyClaimedTaxableAmount', '0') +
    req('AlreadyClaimedTaxAmount', '0') +
    req('AlreadyClaimedTaxInclusiveAmount', '0') +
    req('DifferenceTaxableAmount', row.base) +
    req('DifferenceTaxAmount', row.tax) +
    req('DifferenceTaxInclusiveAmount', inclusive) +
    categoryFlags(row.category, row.rate, 'TaxCategory') +
    '</TaxSubTotal>'
  );
}

/** The account in IBAN electronic format (no spaces), or undefined when it is no IBAN. */
function ibanOf(account: string | undefined): string | undefined {
  const compact = account?.replace(/\s+/g, '').toUpperCase();
  return compact && /^[A-Z]{2}\d{2}[A-Z0-9]{8,30}$/.test(compact) ? compact : undefined;
}

/** ISDOC payment means codes: 10 cash, 20 cheque, 31 debit transfer, 42 bank transfer, 48 card, 49 direct debit, 50 COD, 97 netting. */
function isdocMeansCode(m: EPaymentMeans): string {
  if (['10', '20', '31', '42', '48', '49', '50', '97'].includes(m.code)) return m.code;
  if (['54', '55'].includes(m.code)) return '48';
  if (['59'].includes(m.code)) return '49';
  return m.account ? '42' : '97';
}

function payment(m: EPaymentMeans, inv: EInvoice, amount: string): string {
  const iban = ibanOf(m.account);
  const details =
    inv.dueDate && (m.account || inv.paymentReference)
      ? `<Details>${req('PaymentDueDate', inv.dueDate)}${req('ID', iban ? '' : m.account)}${req('BankCode', m.bankCode)}${req(
          'Name',
          m.accountName,
        )}${req('IBAN', iban ?? '')}${req('BIC', m.bic)}${leaf('VariableSymbol', inv.paymentReference)}</Details>`
      : '';
  return `<Payment>${req('PaidAmount', amount)}${req('PaymentMeansCode', isdocMeansCode(m))}${details}</Payment>`;
}

/**
 * ISDOC's Details need a due date; without one the accounts go to AlternateBankAccounts, which
 * need none, so the IBAN survives.
 */
function alternateAccounts(inv: EInvoice): string {
  if (inv.dueDate) return '';
  const accounts = inv.paymentMeans.filter((m) => m.account);
  if (!accounts.length) return '';
  return `<AlternateBankAccounts>${accounts
    .map((m) => {
      const iban = ibanOf(m.account);
      return `<AlternateBankAccount>${req('ID', iban ? '' : m.account)}${req('BankCode', m.bankCode)}${req('Name', m.accountName)}${req(
        'IBAN',
        iban ?? '',
      )}${req('BIC', m.bic)}</AlternateBankAccount>`;
    })
    .join('')}</AlternateBankAccounts>`;
}

function extension(inv: EInvoice): string {
  const d = (name: string, value: string | undefined) => leaf(`d:${name}`, value);
  const endpoint = (tag: string, p: EParty) =>
    p.electronicAddress
      ? `<d:${tag}>${leaf('d:ElectronicAddress', p.electronicAddress.id, { scheme: p.electronicAddress.scheme })}</d:${tag}>`
      : '';
  return (
    `<Extensions><d:EN16931 xmlns:d="${ISDOC_EXTENSION_NS}">` +
    d('TypeCode', inv.typeCode) +
    d('BuyerReference', inv.buyerReference) +
    d('DueDate', inv.dueDate) +
    d('PaymentReference', inv.paymentReference) +
    endpoint('Seller', inv.seller) +
    endpoint('Buyer', inv.buyer) +
    inv.vat
      .map(
        (r) =>
          `<d:TaxSubTotal>${d('Category', r.category)}${d('ExemptionReasonCode', r.exemptionReasonCode)}${d('ExemptionReason', r.exemptionReason)}</d:TaxSubTotal>`,
      )
      .join('') +
    '</d:EN16931></Extensions>'
  );
}

/** Writes the invoice as ISDOC 6.0.2. Amounts are in the invoice currency, written as ISDOC's local currency. */
export function writeIsdoc(inv: EInvoice): string {
  const isCreditNote = ['381', '261', '262', '296', '308', '396', '420', '458', '532'].includes(inv.typeCode);
  const reasonFor = (l: ELine) =>
    inv.vat.find((r) => r.category === l.category && r.rate === l.rate)?.exemptionReason;
  const lines: IsdocLine[] = [
    ...inv.lines.map((l) => fromLine(l, reasonFor(l))),
    ...inv.allowanceCharges.map(fromAllowance),
  ];
  const t = inv.totals;
  const prepaid = t.prepaid ?? '0';
  const due = t.due;
  const body = [
    req('DocumentType', isCreditNote ? '2' : '1'),
    req('ID', inv.number),
    req('UUID', uuidFor(inv)),
    req('IssuingSystem', 'Doklad'),
    req('IssueDate', inv.issueDate),
    leaf('TaxPointDate', inv.taxPointDate),
    req('VATApplicable', inv.vat.every((r) => r.category === 'O') ? 'false' : 'true'),
    req('ElectronicPossibilityAgreementReference', ''),
    leaf('Note', inv.notes.map((n) => n.text).join('\n') || undefined),
    req('LocalCurrencyCode', inv.currency),
    req('CurrRate', '1'),
    req('RefCurrRate', '1'),
    extension(inv),
    group('AccountingSupplierParty', party(inv.seller)),
    group('AccountingCustomerParty', party(inv.buyer)),
    inv.orderReference || inv.salesOrderReference
      ? `<OrderReferences><OrderReference id="o1">${req('SalesOrderID', inv.salesOrderReference ?? inv.orderReference)}${leaf(
          'ExternalOrderID',
          inv.orderReference,
        )}</OrderReference></OrderReferences>`
      : '',
    inv.despatchAdviceReference
      ? `<DeliveryNoteReferences><DeliveryNoteReference id="d1">${req('ID', inv.despatchAdviceReference)}</DeliveryNoteReference></DeliveryNoteReferences>`
      : '',
    inv.precedingInvoices.length
      ? `<OriginalDocumentReferences>${inv.precedingInvoices
          .map(
            (p, i) =>
              `<OriginalDocumentReference id="p${i + 1}">${req('ID', p.id)}${leaf('IssueDate', p.issueDate)}</OriginalDocumentReference>`,
          )
          .join('')}</OriginalDocumentReferences>`
      : '',
    `<InvoiceLines>${lines.map(line).join('')}</InvoiceLines>`,
    `<TaxTotal>${inv.vat.map(subTotal).join('')}${req('TaxAmount', t.tax)}</TaxTotal>`,
    '<LegalMonetaryTotal>' +
      req('TaxExclusiveAmount', t.net) +
      req('TaxInclusiveAmount', t.gross) +
      req('AlreadyClaimedTaxExclusiveAmount', '0') +
      req('AlreadyClaimedTaxInclusiveAmount', '0') +
      req('DifferenceTaxExclusiveAmount', t.net) +
      req('DifferenceTaxInclusiveAmount', t.gross) +
      leaf('PayableRoundingAmount', t.rounding) +
      req('PaidDepositsAmount', prepaid) +
      req('PayableAmount', due) +
      '</LegalMonetaryTotal>',
    inv.paymentMeans.length
      ? `<PaymentMeans>${inv.paymentMeans.map((m, i) => payment(m, inv, i === 0 ? due : '0')).join('')}${alternateAccounts(inv)}</PaymentMeans>`
      : '',
  ];
  return `<?xml version="1.0" encoding="UTF-8"?>\n${groupWith('Invoice', { xmlns: 'http://isdoc.cz/namespace/2013', version: '6.0.2' }, ...body)}\n`;
}
