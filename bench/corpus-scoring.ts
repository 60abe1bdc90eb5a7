/**
 * The corpus and how an engine answer is scored against its truth, shared by the benchmarks that
 * read `../shared/corpus/<set>/manifest.json` (extract, calibration, straight-through): one
 * normalisation (the corpus README's: amounts as numbers, ids without spaces / dots / dashes,
 * names case- and space-folded), so every benchmark counts a field as right the same way.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIELD_NAMES, type ExtractionResult, type FieldName } from '../src/extraction/index.js';

export interface CorpusEntry {
  id: string;
  file: string;
  kind: string;
  /** The family of renditions of one invoice: never split between folds or sets. */
  group?: string;
  expected: Record<string, unknown>;
  textLayerCheck?: { found: string[]; notFound: string[] };
}

/** The invoice family an entry belongs to: its `group`, else the entry alone. */
export const familyOf = (doc: CorpusEntry): string => doc.group ?? doc.id;

/**
 * Whether the page itself prints the field's truth, as the corpus checked it against the text layer
 * (`textLayerCheck`); undefined where the corpus did not check (images, OCR).
 */
export function printedOnPage(doc: CorpusEntry, field: string): boolean | undefined {
  const check = doc.textLayerCheck;
  if (!check) return undefined;
  if (check.notFound.includes(field)) return false;
  return check.found.includes(field) ? true : undefined;
}

/**
 * A document whose page prints none of its truth's values (the manifest's text-layer check found
 * nothing: some visual-only copies show another invoice than the XML the truth comes from). What
 * the engine reads there cannot be scored against that truth: counted, it would show as wrong
 * fields of a right reading, and an automation of it as a success or a failure it is not. Such a
 * document is reported apart, never silently dropped.
 */
export function printsAnotherInvoice(doc: CorpusEntry): boolean {
  const check = doc.textLayerCheck;
  return check !== undefined && check.found.length === 0 && check.notFound.length > 0;
}

/** Kinds whose truth is an XML invoice the engine reads as XML. */
export const XML_KINDS = new Set(['ubl', 'cii', 'isdoc', 'facturx-pdf']);

/** documentType plus every field of the extraction contract. */
export const SCALAR_FIELDS = ['documentType', ...FIELD_NAMES];
const AMOUNT = new Set(['totals.net', 'totals.tax', 'totals.gross', 'totals.due']);
const IDS = new Set(['seller.vatId', 'seller.companyId', 'buyer.vatId', 'payment.iban']);
const NAMES = new Set(['seller.name', 'buyer.name']);

/** The corpus's documents, or null (with the reason) when the directory is not there. */
export function readCorpus(corpusDir: string): { documents: CorpusEntry[] } | { missing: string } {
  const path = join(corpusDir, 'manifest.json');
  if (!existsSync(path)) return { missing: `no corpus manifest at ${path}` };
  return JSON.parse(readFileSync(path, 'utf8')) as { documents: CorpusEntry[] };
}

/** The expected value at a dotted path of a manifest entry's `expected` ("seller.name"). */
export function expectedValue(obj: Record<string, unknown>, path: string): string | undefined {
  let cur: unknown = obj;
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

export function actualValue(result: ExtractionResult, field: string): string | undefined {
  if (field === 'documentType') return result.documentType;
  return result.fields[field as keyof ExtractionResult['fields']]?.value;
}

export function pct(ok: number, n: number): string {
  return n === 0 ? '   -  ' : `${((100 * ok) / n).toFixed(1).padStart(5)}%`;
}

/** Who the truth says the supplier is: its VAT ID, else its folded name, else the document itself. */
export function supplierKey(doc: CorpusEntry): string {
  const vat = expectedValue(doc.expected, 'seller.vatId');
  if (vat) return `v:${vat.toUpperCase().replace(/[^A-Z0-9]/g, '')}`;
  const name = expectedValue(doc.expected, 'seller.name');
  return name ? `n:${name.toLowerCase().replace(/\s+/g, ' ').trim()}` : `d:${doc.id}`;
}

/** The fields a person would correct from the truth: truth known, the read value missing or different. */
export function truthDiffs(
  doc: CorpusEntry,
  fields: Readonly<Partial<Record<FieldName, { readonly value: string } | undefined>>>,
): { field: FieldName; truth: string }[] {
  const diffs: { field: FieldName; truth: string }[] = [];
  for (const field of FIELD_NAMES) {
    const truth = expectedValue(doc.expected, field);
    if (truth !== undefined && !sameValue(field, truth, fields[field]?.value)) diffs.push({ field, truth });
  }
  return diffs;
}
