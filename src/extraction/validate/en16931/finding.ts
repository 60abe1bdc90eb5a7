import { toMinorUnits } from '../../fields/amount.js';
import type { Finding } from '../../types.js';

/** Identifiers the standard and its syntax bindings define; our own checks have other names. */
const OFFICIAL_RULE = /^(BR(-[A-Z]+)?-\d+|BR-DEC-\d+|(UBL|CII)-(SR|DT|CR)-\d+|XSD)$/;

/**
 * A finding for a rule of EN 16931 (BR-*), a CIUS or a syntax binding. The code is stable and
 * machine-readable (`en16931_br_co_10`); `rule` carries the official id when there is one, and the
 * message names it so an accountant can look it up.
 */
export function violation(rule: string, message: string, severity: Finding['severity'] = 'error'): Finding {
  const code = `en16931_${rule.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`;
  return { code, severity, message: `${rule}: ${message}`, ...(OFFICIAL_RULE.test(rule) ? { rule } : {}) };
}

const DECIMAL = /^[-+]?\d+(\.\d+)?$/;

/** A decimal string as integer units of `scale` decimals, or null when it is not a number. */
export function units(value: string | undefined, scale = 2): bigint | null {
  if (value === undefined || !DECIMAL.test(value.trim())) return null;
  return toMinorUnits(value.trim(), scale);
}

/** Sum of decimal strings; null when any is not a number. */
export function sum(values: Array<string | undefined>, scale = 2): bigint | null {
  let total = 0n;
  for (const v of values) {
    const u = units(v, scale);
    if (u === null) return null;
    total += u;
  }
  return total;
}

export function absDiff(a: bigint, b: bigint): bigint {
  return a > b ? a - b : b - a;
}

/** Formats integer cents for a message. */
export function money(value: bigint): string {
  const negative = value < 0n;
  const abs = (negative ? -value : value).toString().padStart(3, '0');
  return `${negative ? '-' : ''}${abs.slice(0, -2)}.${abs.slice(-2)}`;
}
