/**
 * The corpus's ground truth as the benchmarks score it (shared/corpus/README.md, "Rules for
 * expected"): manifest entries, a truth value by field name, and the comparison — amounts
 * numerically, ids without case, spaces, dots and dashes, names without case and extra spaces.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Entry {
  id: string;
  file: string;
  kind: string;
  expected: Record<string, unknown>;
  textLayerCheck?: { found: string[]; notFound: string[] };
}

export function loadManifest(corpusDir: string): Entry[] {
  return (JSON.parse(readFileSync(join(corpusDir, 'manifest.json'), 'utf8')) as { documents: Entry[] })
    .documents;
}

const AMOUNT = new Set(['totals.net', 'totals.tax', 'totals.gross', 'totals.due']);
const IDS = new Set(['seller.vatId', 'seller.companyId', 'buyer.vatId', 'payment.iban']);
const NAMES = new Set(['seller.name', 'buyer.name']);

/** The truth of a dotted field name ("seller.vatId"); undefined = unknown, not scored. */
export function truthOf(expected: Record<string, unknown>, path: string): string | undefined {
  let cur: unknown = expected;
  for (const key of path.split('.'))
    cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
  return typeof cur === 'string' ? cur : undefined;
}

/** Canonical decimal text for numeric comparison without floats. */
function canonAmount(s: string): string {
  const neg = s.trim().startsWith('-');
  const [i = '0', f = ''] = s.trim().replace(/^[-+]/, '').split('.');
  const frac = f.replace(/0+$/, '');
  const int = i.replace(/^0+(?=\d)/, '');
  const out = frac ? `${int}.${frac}` : int;
  return neg && out !== '0' ? `-${out}` : out;
}

export function sameValue(field: string, expected: string, actual: string | undefined): boolean {
  if (actual === undefined) return false;
  if (AMOUNT.has(field)) return canonAmount(expected) === canonAmount(actual);
  if (IDS.has(field))
    return expected.toUpperCase().replace(/[\s.-]/g, '') === actual.toUpperCase().replace(/[\s.-]/g, '');
  if (NAMES.has(field))
    return (
      expected.toLowerCase().replace(/\s+/g, ' ').trim() === actual.toLowerCase().replace(/\s+/g, ' ').trim()
    );
  return expected.trim() === actual.trim();
}
