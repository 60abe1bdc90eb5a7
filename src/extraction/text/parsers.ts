import { parseAmount } from '../fields/amount.js';
import { DATE_IN_TEXT, parseDate } from '../fields/date.js';
import { CURRENCY_SYMBOLS, KNOWN_CURRENCIES, normaliseId } from '../fields/ids.js';
import { checkIban, isValidIban } from '../validate/iban.js';
import type { FieldName } from '../types.js';
import { REGISTER_ABBREVIATIONS } from './labels.js';

/** Reads a field value from the text that follows a label; null when the text holds none. */
export type ValueParser = (text: string) => string | null;

const AMOUNT_IN_TEXT =
  /(?<![\p{L}\d.,/])[-−]?\d{1,3}(?:[ '’.,\u00a0]\d{3})+(?:[.,]\d{1,2})?(?![\d%/])|(?<![\p{L}\d.,/])[-−]?\d+(?:[.,]\d{1,2})?(?![\d%.,/])/gu;

/** The rightmost amount in the text: summary rows print the value last. */
export function parseAmountIn(text: string): string | null {
  // Percentages and dates ("due on August 3, 2014") hold numbers that are not amounts.
  const cleaned = text
    .replace(/\s+,/g, ',')
    // Short forms ("5 May 18", "30-092017") are only dates when they parse as one.
    .replace(DATE_IN_TEXT, (m) =>
      (/\d{4}/.test(m) && !/^\d{1,2}[/-]\d{6}$/.test(m)) || parseDate(m) ? ' ' : m,
    )
    .replace(/\d+(?:[.,]\d+)?\s?%/g, ' ')
    // Receipts print the currency glued to the amount ("RM15.90"); OCR splits "85. 54".
    .replace(/\b(RM|[A-Z]{3})(?=\d)/g, '$1 ')
    // OCR reads a rule or a shadow before a receipt amount as "/" or "|" ("TOTAL /18.00").
    .replace(/(^|\s)[/|](?=\d+[.,]\d{2}(?!\d))/g, '$1')
    .replace(/(\d)([.,]) (\d{2})(?!\d)/g, '$1$2$3');
  const matches = [...cleaned.matchAll(AMOUNT_IN_TEXT)].map((m) => m[0]);
  // Totals carry decimals; a bare integer in the same text is more likely a count or quantity.
  const withDecimals = matches.filter((m) => /[.,]\d{2}$/.test(m));
  if (withDecimals.length) return parseAmount(withDecimals.at(-1)!);
  for (let i = matches.length - 1; i >= 0; i--) {
    // A long bare digit string is an ID (tax number, account), not an amount.
    if (/^\d{8,}$/.test(matches[i]!)) continue;
    const amount = parseAmount(matches[i]!);
    if (amount !== null) return amount;
  }
  return null;
}

export function parseDateIn(text: string): string | null {
  // Text layers often leave a space before the comma: "August 3 , 2014".
  for (const m of text.replace(/\s+,/g, ',').matchAll(DATE_IN_TEXT)) {
    const date = parseDate(m[0]);
    if (date) return date;
  }
  return null;
}

const NUMBER_NOISE = /^(?:nr\.?|no\.?|n°|nº|number|#|:|číslo|č\.|numer|vom|of|du)$/i;

/** The first token that looks like a document number (has a digit, no spaces, not a date). */
export function parseDocumentNumber(text: string): string | null {
  for (const raw of text.split(/\s+/)) {
    const token = raw.replace(/^[#:№]+|[:,;]+$/g, '');
    if (!token || NUMBER_NOISE.test(token)) continue;
    if (!/\d/.test(token)) return null;
    if (!/^[A-Z0-9][A-Z0-9/_.-]{1,39}$/i.test(token) || parseDate(token)) return null;
    return token;
  }
  return null;
}

export function parseCurrencyIn(text: string): string | null {
  for (const m of text.matchAll(/\b[A-Z]{3}\b/g)) if (KNOWN_CURRENCIES.has(m[0])) return m[0];
  for (const [symbol, code] of Object.entries(CURRENCY_SYMBOLS)) if (text.includes(symbol)) return code;
  return null;
}

function parseReference(text: string): string | null {
  const token = text
    .split(/\s+/)
    .map((t) => t.replace(/^[:#]+|[:,;]+$/g, ''))
    .find((t) => t && !NUMBER_NOISE.test(t));
  return token && /^[A-Z0-9/-]{1,35}$/i.test(token) && /\d/.test(token) ? token : null;
}

/** A register entry with its register's abbreviation, after up to three words (a court, a town). */
const REGISTER_ENTRY = new RegExp(
  `^(?:[\\p{L}.,-]+\\s+){0,3}?(${REGISTER_ABBREVIATIONS})\\s*(?:nr|no)?\\.?\\s*:?\\s*(\\d[\\d ]{2,10}\\d)(?:\\s?([a-z])\\b)?`,
  'iu',
);

/** A company registration number: digits with optional spaces, slashes or a register prefix. */
function parseCompanyId(text: string): string | null {
  const start = text.replace(/^[\s:#.]+/, '').replace(/^(?:nr|no|n°|number|číslo)\.?\s*:?\s*/iu, '');
  // India's corporate identity number (CIN) is letters and digits in a fixed pattern.
  const cin = /^[LU]\d{5}[A-Z]{2}\d{4}[A-Z]{3}\d{6}\b/u.exec(start);
  if (cin) return cin[0];
  // "Amtsgericht Köln HRB 12345", "HRB Nr. 372876", "FN 123456a": a register entry is written with
  // its register's abbreviation ("HRB 12345", the Austrian Firmenbuch with its check letter), the
  // way the register itself writes it; the court or town before it is not part of the number.
  const entry = REGISTER_ENTRY.exec(start);
  if (entry) {
    const register = entry[1]!.toUpperCase();
    const suffix = register === 'FN' && entry[3] ? entry[3].toLowerCase() : '';
    return `${register} ${entry[2]!.replace(/\s+/g, ' ')}${suffix}`;
  }
  // "KvK Rotterdam 24330087": the register's town before the number.
  const number = start.replace(/^\p{Lu}\p{Ll}+\s+(?=\d{6,})/u, '');
  const m = number.match(/^(?:[A-Z]{1,3}\s?)?\d[\d /.-]{3,20}\d(?![\d])/u);
  if (!m || parseDate(m[0]) || /^\d{1,3}([.,]\d{3})*,\d{2}$/.test(m[0])) return null;
  return m[0].replace(/\s+/g, ' ').trim();
}

/** VAT IDs as printed; Czech and Belgian ones are often grouped with dots (CZ 123.456.78, BE 0123.456.789). */
export const VAT_ID_IN_TEXT =
  /\b(?:ATU\s?\d{8}|(?:DE|EE|PT|EL|GR)\s?\d{9}|CZ\s?\d{3}\.?\d{3}\.?\d{2,4}|SK\s?\d{10}|PL\s?\d{10}|PL\s?\d{3}-?\d{3}-?\d{2}-?\d{2}|FR\s?[0-9A-Z]{2}(?:\s?\d){9}|IT\s?\d{11}|NL\s?\d{9}B\d{2}|BE\s?[01]?\d{3}\.?\d{3}\.?\d{3}|BE\s?0?\d{9,10}|ES\s?[0-9A-Z]\d{7}[0-9A-Z]|GB\s?\d{9}(?:\d{3})?|IE\s?\d{7}[A-Z]{1,2}|DK\s?\d{8}|LU\s?\d{8}|HU\s?\d{8}|SE\s?\d{12}|FI\s?\d{8}|SI\s?\d{8}|HR\s?\d{11}|LT\s?\d{9,12}|LV\s?\d{11}|RO\s?\d{2,10}|BG\s?\d{9,10}|CY\s?\d{8}[A-Z]|MT\s?\d{8}|XI\s?\d{9}(?:\d{3})?|CHE[-\s]?\d{3}\.?\d{3}\.?\d{3})\b/g;

const IBAN_IN_TEXT = /\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b/g;

/** The first IBAN in the text that passes mod-97 (spaces between groups allowed). */
export function parseIbanIn(text: string): string | null {
  for (const m of text.matchAll(IBAN_IN_TEXT)) {
    const iban = normaliseId(m[0]);
    if (isValidIban(iban)) return iban;
    // A greedy match may swallow a following word; try shorter prefixes of whole groups.
    for (let len = iban.length - 1; len >= 15; len--)
      if (isValidIban(iban.slice(0, len))) return iban.slice(0, len);
  }
  return null;
}

/** An IBAN of the right length for its country after an "IBAN" label, checksum not tested. */
export function ibanShapedAfterLabel(text: string): string | null {
  const m = text.match(/\bIBAN\b\s*:?\s*([A-Z]{2}\d{2}(?:\s?[A-Z0-9]{1,4}){3,8})/);
  if (!m) return null;
  const iban = normaliseId(m[1]!);
  for (let len = iban.length; len >= 15; len--) {
    const problem = checkIban(iban.slice(0, len));
    if (problem === null || problem === 'checksum') return iban.slice(0, len);
  }
  return null;
}

export const PARSERS: Partial<Record<FieldName, ValueParser>> = {
  invoiceNumber: parseDocumentNumber,
  issueDate: parseDateIn,
  dueDate: parseDateIn,
  currency: parseCurrencyIn,
  'totals.gross': parseAmountIn,
  'totals.net': parseAmountIn,
  'totals.tax': parseAmountIn,
  'totals.due': parseAmountIn,
  'payment.reference': parseReference,
  'seller.companyId': parseCompanyId,
};
