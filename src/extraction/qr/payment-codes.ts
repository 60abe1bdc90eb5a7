import { parseAmount } from '../fields/amount.js';
import { parseDate } from '../fields/date.js';
import { normaliseId } from '../fields/ids.js';
import type { FieldName } from '../types.js';

/** What a payment QR code states; every value already normalised. */
export type PaymentCode = { kind: 'spayd' | 'epc' | 'swiss' } & Partial<Record<FieldName, string>>;

/** Czech/Slovak "QR platba" (SPAYD): `SPD*1.0*ACC:<IBAN>[+BIC]*AM:123.45*CC:CZK*X-VS:...`. */
function parseSpayd(text: string): PaymentCode | null {
  if (!/^SPD\*\d\.\d\*/.test(text)) return null;
  const pairs = new Map<string, string>();
  for (const part of text.split('*').slice(2)) {
    const i = part.indexOf(':');
    if (i > 0 && !pairs.has(part.slice(0, i))) pairs.set(part.slice(0, i), part.slice(i + 1));
  }
  const code: PaymentCode = { kind: 'spayd' };
  const account = pairs.get('ACC')?.split(',')[0]?.split('+')[0];
  if (account) code['payment.iban'] = normaliseId(account);
  const amount = pairs.get('AM');
  if (amount && /^\d+(\.\d{1,2})?$/.test(amount)) code['totals.due'] = amount;
  const currency = pairs.get('CC');
  if (currency && /^[A-Z]{3}$/.test(currency)) code.currency = currency;
  // RN: the recipient's name, i.e. the creditor the invoice is from.
  const recipient = pairs.get('RN')?.trim();
  if (recipient) code['seller.name'] = recipient.slice(0, 140);
  const vs = pairs.get('X-VS');
  if (vs) code['payment.reference'] = vs;
  const due = pairs.get('DT');
  const dueDate = due ? parseDate(due) : null;
  if (dueDate) code.dueDate = dueDate;
  return code;
}

/** EPC069-12 "GiroCode" / SEPA credit transfer QR: fixed lines starting with `BCD`. */
function parseEpc(text: string): PaymentCode | null {
  const lines = text.split(/\r?\n/);
  if (lines[0] !== 'BCD' || lines[3] !== 'SCT') return null;
  const code: PaymentCode = { kind: 'epc' };
  if (lines[5]) code['seller.name'] = lines[5].trim();
  if (lines[6]) code['payment.iban'] = normaliseId(lines[6]);
  const m = lines[7]?.match(/^([A-Z]{3})(\d+(?:\.\d{1,2})?)$/);
  if (m) {
    code.currency = m[1]!;
    code['totals.due'] = m[2]!;
  }
  const reference = lines[9]?.trim() || lines[10]?.trim();
  if (reference) code['payment.reference'] = reference;
  return code;
}

/** Swiss QR-bill (`SPC`, version 0200): creditor IBAN, name, amount, currency, reference. */
function parseSwiss(text: string): PaymentCode | null {
  const lines = text.split(/\r?\n/);
  if (lines[0] !== 'SPC') return null;
  const code: PaymentCode = { kind: 'swiss' };
  if (lines[3]) code['payment.iban'] = normaliseId(lines[3]);
  if (lines[5]) code['seller.name'] = lines[5].trim();
  const amount = lines[18] ? parseAmount(lines[18]) : null;
  if (amount) code['totals.due'] = amount;
  if (lines[19] && /^(CHF|EUR)$/.test(lines[19].trim())) code.currency = lines[19].trim();
  if (lines[28]?.trim()) code['payment.reference'] = lines[28].trim().replace(/\s+/g, '');
  return code;
}

/** Recognises SPAYD, EPC/GiroCode and Swiss QR-bill payloads; other QR codes give null. */
export function parsePaymentCode(text: string): PaymentCode | null {
  const trimmed = text.trim();
  return parseSpayd(trimmed) ?? parseEpc(trimmed) ?? parseSwiss(trimmed);
}
