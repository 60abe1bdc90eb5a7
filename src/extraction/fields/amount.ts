/**
 * Amount normalisation. Money is never a float: amounts travel as decimal strings and
 * arithmetic happens on bigint minor units.
 */

const CURRENCY_NOISE = /(?:[A-Z]{3}|Kč|Kc|zł|zl|Sk|Ft|lei|RM|Rs\.?|€|\$|£|¥|₹|CHF|Fr\.)/gi;
const SPACES = /[\s\u00a0\u2009\u202f]/g;

/**
 * Parses an amount in any common notation (`1 234,56`, `1.234,56`, `1,234.56`, `1'234.56`,
 * `-12.50 EUR`, `(12.50)`, `12,50-`) into a normalised decimal string (`1234.56`), or null.
 */
export function parseAmount(raw: string): string | null {
  let s = raw.replace(CURRENCY_NOISE, '').replace(SPACES, '').replace(/[’'`]/g, '');
  let negative = false;
  if (/^\(.*\)$/.test(s)) {
    negative = true;
    s = s.slice(1, -1);
  }
  if (/^[-−–]/.test(s)) {
    negative = true;
    s = s.slice(1);
  } else if (/[-−–]$/.test(s)) {
    negative = true;
    s = s.slice(0, -1);
  }
  s = s.replace(/^\+/, '').replace(/[,.]-+$/, '');
  if (!/^\d[\d.,]*$/.test(s) || /[.,]{2}/.test(s)) return null;
  const digits = normaliseSeparators(s);
  if (digits === null) return null;
  const trimmed = digits.replace(/^0+(?=\d)/, '');
  return negative && /[1-9]/.test(trimmed) ? `-${trimmed}` : trimmed;
}

/** Decides which of `.` and `,` is the decimal separator; the other one groups thousands. */
function normaliseSeparators(s: string): string | null {
  const lastDot = s.lastIndexOf('.');
  const lastComma = s.lastIndexOf(',');
  if (lastDot < 0 && lastComma < 0) return s;
  if (lastDot >= 0 && lastComma >= 0) {
    const decimal = lastDot > lastComma ? '.' : ',';
    const group = decimal === '.' ? ',' : '.';
    const [intPart, frac] = splitOnce(s, decimal);
    if (intPart.includes(decimal) || !validGrouping(intPart, group)) return null;
    return `${intPart.split(group).join('')}.${frac}`;
  }
  const sep = lastDot >= 0 ? '.' : ',';
  const parts = s.split(sep);
  if (parts.length > 2) return validGrouping(s, sep) ? parts.join('') : null;
  const [intPart = '', frac = ''] = parts;
  // A single separator followed by exactly three digits groups thousands ("1.234", "12,500"),
  // except after a lone zero ("0,125") where it can only be a decimal fraction.
  if (frac.length === 3 && intPart !== '0' && intPart !== '') return intPart + frac;
  if (frac.length === 0) return intPart;
  return `${intPart || '0'}.${frac}`;
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.lastIndexOf(sep);
  return [s.slice(0, i), s.slice(i + 1)];
}

function validGrouping(intPart: string, group: string): boolean {
  const groups = intPart.split(group);
  return (
    groups.every((g, i) => (i === 0 ? g.length >= 1 && g.length <= 3 : g.length === 3)) || groups.length === 1
  );
}

/** Integer minor units at the given scale (default 2), rounding half away from zero. */
export function toMinorUnits(amount: string, scale = 2): bigint {
  const negative = amount.startsWith('-');
  const [intPart = '0', frac = ''] = amount.replace(/^[-+]/, '').split('.');
  const padded = (frac + '0'.repeat(scale + 1)).slice(0, scale + 1);
  let units = BigInt(intPart || '0') * 10n ** BigInt(scale) + BigInt(padded.slice(0, scale) || '0');
  if (Number(padded[scale] ?? '0') >= 5) units += 1n;
  return negative ? -units : units;
}

/** Formats minor units back into a decimal string with `scale` decimals. */
export function fromMinorUnits(units: bigint, scale = 2): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const text = abs.toString().padStart(scale + 1, '0');
  const out = scale > 0 ? `${text.slice(0, -scale)}.${text.slice(-scale)}` : text;
  return negative ? `-${out}` : out;
}

/** True when two decimal strings denote the same amount (at 2 decimals). */
export function sameAmount(a: string, b: string): boolean {
  return toMinorUnits(a) === toMinorUnits(b);
}

/** True when a canonical decimal string is well-formed. */
export function isDecimalString(value: string): boolean {
  return /^-?\d+(\.\d+)?$/.test(value);
}
