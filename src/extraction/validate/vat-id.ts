import { isValidIco, passesLuhn } from './company-id.js';
import { mod97 } from './iban.js';

const digitsOf = (s: string): number[] => [...s].map(Number);

function weightedSum(digits: number[], weights: number[]): number {
  return weights.reduce((sum, w, i) => sum + w * (digits[i] ?? 0), 0);
}

/** ISO 7064 MOD 11,10, used by German USt-IdNr. */
function iso7064Mod11_10(body: string): boolean {
  let product = 10;
  for (const ch of body.slice(0, -1)) {
    let sum = (Number(ch) + product) % 10;
    if (sum === 0) sum = 10;
    product = (sum * 2) % 11;
  }
  const check = (11 - product) % 10;
  return check === Number(body.at(-1));
}

function checkAustria(body: string): boolean {
  const d = digitsOf(body.slice(1));
  let sum = 0;
  for (let i = 0; i < 7; i++) {
    const v = (d[i] ?? 0) * (i % 2 === 1 ? 2 : 1);
    sum += Math.floor(v / 10) + (v % 10);
  }
  return (10 - ((sum + 4) % 10)) % 10 === d[7];
}

function checkPoland(body: string): boolean {
  const d = digitsOf(body);
  return weightedSum(d, [6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11 === d[9];
}

function checkEstonia(body: string): boolean {
  const d = digitsOf(body);
  return (10 - (weightedSum(d, [3, 7, 1, 3, 7, 1, 3, 7]) % 10)) % 10 === d[8];
}

function checkFrance(body: string): boolean {
  const key = body.slice(0, 2);
  const siren = body.slice(2);
  if (!/^\d{2}$/.test(key)) return true; // alphanumeric keys use a different, rarely seen scheme
  return Number(key) === (12 + 3 * (Number(siren) % 97)) % 97;
}

function checkNetherlands(body: string): boolean {
  // Since 2020 sole traders get IDs that satisfy mod-97 over "NL" + body; older ones mod-11.
  const d = digitsOf(body.slice(0, 9));
  const mod11 = weightedSum(d, [9, 8, 7, 6, 5, 4, 3, 2]) % 11 === d[8];
  const letters = ('NL' + body).replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  return mod11 || mod97(letters) === 1;
}

function checkCzech(body: string): boolean {
  if (body.length === 8) return isValidIco(body);
  if (body.length === 10) {
    // Birth-number based IDs: divisible by 11, or remainder 10 written as check digit 0.
    return Number(body) % 11 === 0 || (Number(body.slice(0, 9)) % 11 === 10 && body.endsWith('0'));
  }
  return body.length === 9;
}

interface VatRule {
  pattern: RegExp;
  check?: (body: string) => boolean;
}

const RULES: Record<string, VatRule> = {
  CZ: { pattern: /^\d{8,10}$/, check: checkCzech },
  SK: { pattern: /^\d{10}$/, check: (b) => BigInt(b) % 11n === 0n },
  DE: { pattern: /^\d{9}$/, check: iso7064Mod11_10 },
  AT: { pattern: /^U\d{8}$/, check: checkAustria },
  PL: { pattern: /^\d{10}$/, check: checkPoland },
  EE: { pattern: /^\d{9}$/, check: checkEstonia },
  FR: { pattern: /^[0-9A-HJ-NP-Z]{2}\d{9}$/, check: checkFrance },
  IT: { pattern: /^\d{11}$/, check: passesLuhn }, // partita IVA: a Luhn check digit
  NL: { pattern: /^\d{9}B\d{2}$/, check: checkNetherlands },
  BE: { pattern: /^[01]\d{9}$/, check: (b) => 97 - (Number(b.slice(0, 8)) % 97) === Number(b.slice(8)) },
  ES: { pattern: /^[0-9A-Z]\d{7}[0-9A-Z]$/ },
  GB: { pattern: /^(\d{9}|\d{12}|GD\d{3}|HA\d{3})$/ },
  CH: { pattern: /^E\d{9}(MWST|TVA|IVA)?$/ },
  HU: { pattern: /^\d{8}$/ },
  SE: { pattern: /^\d{12}$/ },
  DK: { pattern: /^\d{8}$/ },
  LU: { pattern: /^\d{8}$/ },
};

export type VatIdProblem = 'format' | 'checksum';

/**
 * Checks a normalised VAT ID (country prefix, upper-case, no spaces). Returns null when valid
 * or when the country has no known rule (unknown countries are not flagged).
 */
export function checkVatId(vatId: string): VatIdProblem | null {
  const m = vatId.match(/^([A-Z]{2})([0-9A-Z]+)$/);
  if (!m) return 'format';
  const country = m[1] === 'EL' ? 'GR' : m[1]!;
  const rule = RULES[country];
  if (!rule) return null;
  if (!rule.pattern.test(m[2]!)) return 'format';
  return rule.check && !rule.check(m[2]!) ? 'checksum' : null;
}
