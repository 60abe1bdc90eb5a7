/**
 * What label variants shared across firms would give on the dev corpus, and how often they would
 * be wrong. Each supplier of the corpus stands for one firm that corrected its documents from the
 * truth and allowed training: every corrected field printed beside a label teaches that label
 * (`learnFieldHint`, as a correction does), kept only where `isShareableLabel` allows. A supplier's
 * documents are then read with the labels taught by at least K *other* suppliers (the production
 * threshold is K = 3, `MIN_FIRMS`), so no document is helped by its own supplier's corrections:
 * this measures what a label learned elsewhere gives to a layout never corrected. Fields are
 * scored as bench:extract does (bench/corpus-scoring.ts).
 *
 *   npm run bench:shared-labels [-- --corpus ../shared/corpus/dev]
 *
 * Only non-XML documents (an e-invoice's values are exact); documents whose page prints another
 * invoice than their truth are left out, as in bench:learning.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  disposeExtraction,
  extractInvoice,
  FIELD_NAMES,
  isShareableLabel,
  layerUnits,
  layerWords,
  learnFieldHint,
  normaliseFieldValue,
  type ExtractionResult,
  type FieldName,
  type SharedLabel,
} from '../src/extraction/index.js';
import { applySharedLabels } from '../src/extraction/hints/shared-labels.js';
import { MIN_FIRMS } from '../src/modules/suppliers/suppliers.shared-labels.js';
import { argValue, expectOptions } from './cli-args.js';
import {
  expectedValue,
  printsAnotherInvoice,
  readCorpus,
  sameValue,
  supplierKey,
  truthDiffs,
  XML_KINDS,
  type CorpusEntry,
} from './corpus-scoring.js';

expectOptions({ values: ['corpus'] });
const corpusDir = argValue('corpus', '../shared/corpus/dev');
const THRESHOLDS = [1, 2, MIN_FIRMS];

interface Read {
  readonly doc: CorpusEntry;
  readonly supplier: string;
  readonly result: ExtractionResult;
}

const keyOf = (field: string, label: string) => `${field}\u0000${label}`;

/** The shareable labels a person's correction of `doc` from its truth teaches. */
function taughtLabels({ doc, result }: Read): Set<string> {
  const words = layerWords(result.textLayer);
  const taught = new Set<string>();
  if (words.length === 0) return taught;
  for (const { field, truth } of truthDiffs(doc, result.fields)) {
    const normalised = normaliseFieldValue(field, truth);
    if (!('value' in normalised)) continue;
    const hint = learnFieldHint(words, field, normalised.value, layerUnits(result.textLayer));
    if (hint && hint.anchor !== 'page' && isShareableLabel(field, hint.label))
      taught.add(keyOf(field, hint.label));
  }
  return taught;
}

interface Outcome {
  published: number;
  documents: number;
  filled: number;
  right: number;
  wrong: number;
  /** Fields the truth has and the engine left empty, where a shared label could have helped. */
  empty: number;
}

function evaluate(reads: readonly Read[], bySupplier: ReadonlyMap<string, Set<string>>, k: number): Outcome {
  const outcome: Outcome = { published: 0, documents: 0, filled: 0, right: 0, wrong: 0, empty: 0 };
  const allPublished = new Set<string>();
  for (const read of reads) {
    const firms = new Map<string, number>();
    for (const [supplier, keys] of bySupplier)
      if (supplier !== read.supplier) for (const key of keys) firms.set(key, (firms.get(key) ?? 0) + 1);
    const labels: SharedLabel[] = [...firms]
      .filter(([, count]) => count >= k)
      .map(([key]) => {
        allPublished.add(key);
        const [field, label] = key.split('\u0000') as [FieldName, string];
        return { field, label };
      });
    const fields = structuredClone(read.result.fields);
    for (const field of FIELD_NAMES)
      if (!fields[field] && expectedValue(read.doc.expected, field) !== undefined) outcome.empty += 1;
    const findings = applySharedLabels(fields, layerWords(read.result.textLayer), labels);
    if (findings.length > 0) outcome.documents += 1;
    for (const finding of findings) {
      const field = finding.field as FieldName;
      const truth = expectedValue(read.doc.expected, field);
      outcome.filled += 1;
      if (truth !== undefined && sameValue(field, truth, fields[field]?.value)) outcome.right += 1;
      else outcome.wrong += 1;
    }
  }
  outcome.published = allPublished.size;
  return outcome;
}

async function main(): Promise<void> {
  const corpus = readCorpus(corpusDir);
  if ('missing' in corpus) {
    console.log(`${corpus.missing}: nothing to measure (the dev corpus lives in ../shared/corpus/dev)`);
    return;
  }
  const reads: Read[] = [];
  for (const doc of corpus.documents) {
    if (XML_KINDS.has(doc.kind) || printsAnotherInvoice(doc)) continue;
    try {
      const bytes = new Uint8Array(readFileSync(join(corpusDir, doc.file)));
      const result = await extractInvoice({ bytes, filename: doc.file }, { keepTextLayer: true });
      reads.push({ doc, supplier: supplierKey(doc), result });
    } catch (error) {
      console.error(`skipped ${doc.id} (${doc.kind}): ${(error as Error).message}`);
    }
  }
  const bySupplier = new Map<string, Set<string>>();
  for (const read of reads) {
    const keys = bySupplier.get(read.supplier) ?? new Set<string>();
    for (const key of taughtLabels(read)) keys.add(key);
    bySupplier.set(read.supplier, keys);
  }
  const taughtBy = new Map<string, number>();
  for (const keys of bySupplier.values())
    for (const key of keys) taughtBy.set(key, (taughtBy.get(key) ?? 0) + 1);

  console.log(
    `\n${reads.length} non-XML documents of ${bySupplier.size} suppliers; ` +
      `${taughtBy.size} distinct shareable labels taught by their corrections\n`,
  );
  console.log(
    '| firms needed (K) | labels published | documents given a value | fields filled | right | wrong | empty fields with a truth |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const k of THRESHOLDS) {
    const o = evaluate(reads, bySupplier, k);
    console.log(
      `| ${k}${k === MIN_FIRMS ? ' (production)' : ''} | ${o.published} | ${o.documents} | ${o.filled} | ${o.right} | ${o.wrong} | ${o.empty} |`,
    );
  }
  const widest = [...taughtBy].sort((a, b) => b[1] - a[1]).slice(0, 15);
  console.log('\nMost widely taught labels (field: label, suppliers):');
  for (const [key, count] of widest) console.log(`- ${key.replace('\u0000', ': ')} (${count})`);
}

try {
  await main();
} finally {
  await disposeExtraction();
}
