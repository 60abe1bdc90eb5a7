/**
 * The EN 16931 model an export writes, from a stored extraction result: the model the XML reader
 * kept (`result.einvoice`) with the reviewed field values laid over it (a reviewer's correction
 * wins), or, for documents read from text, a model built from the fields, lines and breakdown
 * alone. Nothing is invented: a category the data do not give stays empty, and `conformance.ts`
 * then names the missing term instead of the export guessing it.
 */
import { normaliseId } from '../fields/ids.js';
import { fromMinorUnits, isDecimalString, toMinorUnits } from '../fields/amount.js';
import type { EInvoice, ELine, EVatRow } from '../einvoice.js';
import type { ExtractionResult, FieldName } from '../types.js';

function positive(rate: string | undefined): boolean {
  return !!rate && isDecimalString(rate) && toMinorUnits(rate) > 0n;
}

/** Only a positive rate tells the category (S); rate 0 may be Z, E, O, AE, K or G. */
function categoryFromRate(category: string | undefined, rate: string | undefined): string {
  return category ?? (positive(rate) ? 'S' : '');
}

function fromFields(result: ExtractionResult): EInvoice {
  const f = (name: FieldName) => result.fields[name]?.value;
  const lines: ELine[] = result.lines.map((l, i) => ({
    id: String(i + 1),
    quantity: l.quantity ?? '',
    net: l.netAmount ?? '',
    price: l.unitPrice ?? '',
    name: l.description ?? '',
    category: categoryFromRate(undefined, l.vatRate),
    ...(l.vatRate ? { rate: l.vatRate } : {}),
    allowances: [],
  }));
  const vat: EVatRow[] = result.vatBreakdown.map((r) => ({
    category: categoryFromRate(r.category, r.rate),
    rate: r.rate,
    base: r.base,
    tax: r.tax,
  }));
  const lineNet = lines.every((l) => isDecimalString(l.net))
    ? lines.reduce((sum, l) => sum + toMinorUnits(l.net), 0n)
    : undefined;
  const iban = f('payment.iban');
  const net = f('totals.net') ?? '';
  return {
    number: f('invoiceNumber') ?? '',
    issueDate: f('issueDate') ?? '',
    ...(f('dueDate') ? { dueDate: f('dueDate') } : {}),
    typeCode: result.documentType === 'credit_note' ? '381' : '380',
    currency: f('currency') ?? '',
    precedingInvoices: [],
    notes: [],
    seller: {
      ...(f('seller.name') ? { name: f('seller.name') } : {}),
      ids: [],
      ...(f('seller.companyId') ? { legalId: { id: f('seller.companyId')! } } : {}),
      ...(f('seller.vatId') ? { vatId: f('seller.vatId') } : {}),
    },
    buyer: {
      ...(f('buyer.name') ? { name: f('buyer.name') } : {}),
      ids: [],
      ...(f('buyer.vatId') ? { vatId: f('buyer.vatId') } : {}),
    },
    ...(f('payment.reference') ? { paymentReference: f('payment.reference') } : {}),
    paymentMeans: iban ? [{ code: '58', account: iban }] : [],
    allowanceCharges: [],
    totals: {
      lineNet: lineNet !== undefined && lines.length ? fromMinorUnits(lineNet) : net,
      net,
      ...(f('totals.tax') ? { tax: f('totals.tax') } : {}),
      gross: f('totals.gross') ?? '',
      due: f('totals.due') ?? f('totals.gross') ?? '',
    },
    vat,
    lines,
  };
}

/**
 * Lays a reviewer's corrections (fields with source `user`) over the reader's model; the values
 * the reader itself normalised stay as the source wrote them.
 */
function withFields(model: EInvoice, result: ExtractionResult): EInvoice {
  const f = (name: FieldName) => {
    const field = result.fields[name];
    return field?.source === 'user' ? field.value : undefined;
  };
  const inv: EInvoice = structuredClone(model);
  const set = <K extends keyof EInvoice>(key: K, value: EInvoice[K] | undefined) => {
    if (value !== undefined) inv[key] = value;
  };
  set('number', f('invoiceNumber'));
  set('issueDate', f('issueDate'));
  set('dueDate', f('dueDate'));
  set('currency', f('currency'));
  set('paymentReference', f('payment.reference'));
  if (f('seller.name')) inv.seller.name = f('seller.name');
  if (f('seller.vatId')) inv.seller.vatId = f('seller.vatId');
  if (f('buyer.name')) inv.buyer.name = f('buyer.name');
  if (f('buyer.vatId')) inv.buyer.vatId = f('buyer.vatId');
  if (f('totals.net')) inv.totals.net = f('totals.net')!;
  if (f('totals.tax')) inv.totals.tax = f('totals.tax');
  if (f('totals.gross')) inv.totals.gross = f('totals.gross')!;
  if (f('totals.due')) inv.totals.due = f('totals.due')!;
  const iban = f('payment.iban');
  if (iban && !inv.paymentMeans.some((m) => m.account && normaliseId(m.account) === iban)) {
    const transfer = inv.paymentMeans.find((m) => m.account);
    if (transfer) transfer.account = iban;
    else inv.paymentMeans.push({ code: '58', account: iban });
  }
  return inv;
}

export function einvoiceOf(result: ExtractionResult): EInvoice {
  return result.einvoice ? withFields(result.einvoice, result) : fromFields(result);
}
