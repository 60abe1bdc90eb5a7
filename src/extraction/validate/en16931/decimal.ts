/**
 * Exact decimal arithmetic for the EN 16931 rules (xs:decimal semantics): a value is an integer
 * `units` scaled by 10^-scale, so sums, products and comparisons never go through binary floats.
 * The standard's rules compare without tolerance unless they say otherwise (BR-CO-10..16).
 */
export interface Dec {
  units: bigint;
  scale: number;
}

/** xs:decimal lexical space, with the surrounding whitespace XML Schema collapses. */
const LEXICAL = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/;

export function dec(text: string | undefined): Dec | null {
  if (text === undefined) return null;
  const m = LEXICAL.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const frac = m[3] ?? '';
  const units = BigInt(`${m[2] || '0'}${frac}`);
  return { units: m[1] === '-' ? -units : units, scale: frac.length };
}

export const ZERO: Dec = { units: 0n, scale: 0 };

function align(a: Dec, b: Dec): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.units * 10n ** BigInt(scale - a.scale), b.units * 10n ** BigInt(scale - b.scale), scale];
}

export function add(a: Dec, b: Dec): Dec {
  const [x, y, scale] = align(a, b);
  return { units: x + y, scale };
}

export function sub(a: Dec, b: Dec): Dec {
  const [x, y, scale] = align(a, b);
  return { units: x - y, scale };
}

export function mul(a: Dec, b: Dec): Dec {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

/** Division by a power of ten (percent → fraction) is exact. */
export function shift(a: Dec, places: number): Dec {
  return { units: a.units, scale: a.scale + places };
}

export function cmp(a: Dec, b: Dec): number {
  const [x, y] = align(a, b);
  return x === y ? 0 : x < y ? -1 : 1;
}

export function abs(a: Dec): Dec {
  return a.units < 0n ? { units: -a.units, scale: a.scale } : a;
}

export function fromInt(n: number): Dec {
  return { units: BigInt(n), scale: 0 };
}

/** XPath round() to `places` decimals: half-way values go towards positive infinity. */
export function round(a: Dec, places = 0): Dec {
  if (a.scale <= places) return a;
  const factor = 10n ** BigInt(a.scale - places);
  // floor(x + 0.5) on the scaled integer.
  const doubled = a.units * 2n + factor;
  const twice = factor * 2n;
  let q = doubled / twice;
  if (doubled % twice !== 0n && doubled < 0n) q -= 1n;
  return { units: q, scale: places };
}

export function sum(values: Array<Dec | null>): Dec | null {
  let total = ZERO;
  for (const v of values) {
    if (v === null) return null;
    total = add(total, v);
  }
  return total;
}

export function format(a: Dec): string {
  const negative = a.units < 0n;
  const digits = (negative ? -a.units : a.units).toString().padStart(a.scale + 1, '0');
  const out = a.scale > 0 ? `${digits.slice(0, -a.scale)}.${digits.slice(-a.scale)}` : digits;
  return negative ? `-${out}` : out;
}
