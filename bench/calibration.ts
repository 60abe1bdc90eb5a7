/**
 * Confidence calibration: runs the engine over the dev corpus with its rule scores uncalibrated,
 * compares every field with the truth (bench/corpus-scoring.ts, as bench:extract does), and fits
 * per source, and per source for values an independent check confirmed (`confirmedBy`), a
 * monotone mapping from coarse score buckets to the accuracy measured in them. It prints the table
 * per key and per kind, the accuracy per check, a two-fold cross-validation (folds by invoice
 * family, so renditions of one invoice never sit on both sides) with the held-out accuracy of the
 * fields at or above the automation threshold, and writes src/extraction/calibration-table.ts.
 *
 * The documents are read as a firm reads them (as bench:stp does): each supplier's first invoice
 * family on first sight; a person corrects its first document from the truth and validates it,
 * which teaches the supplier's profile (hints for the corrected fields, learnFieldHint) and puts
 * it in the supplier directory; the supplier's other invoices are then read with every profile and
 * directory entry so taught. A document is never read with what its own family taught.
 *
 *   npm run bench:calibration [-- --corpus ../shared/corpus/dev] [--threshold 0.99] [--dry-run]
 *     [--save-samples /tmp/s.json | --load-samples /tmp/s.json]
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  calibrateConfidence,
  calibrationInput,
  type CalibrationBucket,
  type CalibrationKey,
  type CalibrationTable,
} from '../src/extraction/calibration.js';
import {
  CONSTANT_FIELDS,
  disposeExtraction,
  extractInvoice,
  FIELD_NAMES,
  layerUnits,
  layerWords,
  learnFieldHint,
  normaliseFieldValue,
  PLACED_FIELDS,
  type ConstantField,
  type ExtractionResult,
  type LearnedConstants,
  type FieldCheck,
  type FieldHint,
  type FieldName,
  type FieldSource,
  type KnownSupplier,
  type LearnedSupplier,
} from '../src/extraction/index.js';
import { buildDirectory } from '../src/modules/extractions/extractions.suppliers.js';
import { DEFAULT_AUTOMATION_THRESHOLD } from '../src/modules/tenants/tenants.automation.js';
import {
  expectedValue,
  familyOf,
  pct,
  printedOnPage,
  readCorpus,
  sameValue,
  supplierKey,
  truthDiffs,
  type CorpusEntry,
} from './corpus-scoring.js';
import { argValue, expectOptions, hasFlag } from './cli-args.js';

expectOptions({ values: ['corpus', 'threshold', 'save-samples', 'load-samples'], flags: ['dry-run'] });
const corpusDir = argValue('corpus', '../shared/corpus/dev');
const threshold = Number(argValue('threshold', String(DEFAULT_AUTOMATION_THRESHOLD)));
const dryRun = hasFlag('dry-run');
/** Scored samples can be kept outside the repository to refit without running the engine again. */
const saveSamples = argValue('save-samples', '');
const loadSamples = argValue('load-samples', '');
const TABLE_FILE = 'src/extraction/calibration-table.ts';

/** Lower edges of the score buckets: coarse on purpose, so the table cannot learn single files. */
const EDGES = [0, 0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.98];
/** A bucket with fewer scored values than this is pooled with the one below it. */
const MIN_BUCKET_COUNT = 10;
/** The sources a table is fitted for (`user` is a person's word: confidence 1 as it is). */
const SOURCES: FieldSource[] = ['xml', 'qr', 'text', 'ocr', 'learned'];
const KEYS: CalibrationKey[] = SOURCES.flatMap((s): CalibrationKey[] => [s, `${s}+confirmed`]);

export interface Sample {
  readonly kind: string;
  readonly group: string;
  readonly field: string;
  readonly source: FieldSource;
  readonly score: number;
  readonly ok: boolean;
  /** The check that confirmed the value, if one did. */
  readonly confirmedBy?: FieldCheck | undefined;
  /** Read with what the supplier's first, corrected document taught (a later invoice). */
  readonly taught?: boolean | undefined;
  /** The truth is not printed on the page (left out of the fit). */
  readonly unprinted?: boolean | undefined;
}

/**
 * Every extracted field that has a truth to compare with, with its uncalibrated score. A field the
 * manifest's text-layer check found not printed on the page (`textLayerCheck.notFound`: some
 * visual-only copies print another invoice than their XML, whose values are the truth) is marked
 * `unprinted`: no reading of that page can be right about it, so the fit leaves it out (unless
 * the value was filled from what a person taught), and the output says how many there were.
 */
export function samplesOf(
  doc: CorpusEntry,
  result: ExtractionResult,
  group: string,
  taught = false,
): Sample[] {
  const samples: Sample[] = [];
  for (const field of FIELD_NAMES) {
    const truth = expectedValue(doc.expected, field);
    const extracted = result.fields[field];
    if (truth === undefined || !extracted) continue;
    samples.push({
      kind: doc.kind,
      group,
      field,
      source: extracted.source,
      score: extracted.confidence,
      ok: sameValue(field, truth, extracted.value),
      ...(extracted.confirmedBy ? { confirmedBy: extracted.confirmedBy } : {}),
      ...(taught ? { taught } : {}),
      // A value filled from what a person taught (source learned) may be right about what the
      // page does not print: it is scored.
      ...(printedOnPage(doc, field) === false && extracted.source !== 'learned' ? { unprinted: true } : {}),
    });
  }
  return samples;
}

interface Block {
  from: number;
  to: number;
  ok: number;
  n: number;
}

const bucketOf = (score: number): number => EDGES.findLastIndex((edge) => score >= edge);
/** The accuracy a block stands for, pulled towards one half by one pseudo-observation. */
const smoothed = (b: Block): number => Math.floor((1000 * (b.ok + 0.5)) / (b.n + 1)) / 1000;

/** Buckets of one source: small ones pooled downwards, then pool-adjacent-violators for monotony. */
function fitSource(samples: readonly Sample[]): Block[] {
  const raw: Block[] = EDGES.map((from, i) => ({ from, to: EDGES[i + 1] ?? Infinity, ok: 0, n: 0 }));
  for (const s of samples) {
    const b = raw[bucketOf(s.score)]!;
    b.n += 1;
    if (s.ok) b.ok += 1;
  }
  const pooled: Block[] = [];
  for (const b of raw.filter((x) => x.n > 0)) {
    const last = pooled.at(-1);
    if (last && (b.n < MIN_BUCKET_COUNT || last.n < MIN_BUCKET_COUNT)) {
      last.to = b.to;
      last.ok += b.ok;
      last.n += b.n;
    } else pooled.push({ ...b });
  }
  const blocks: Block[] = [];
  for (const b of pooled) {
    blocks.push({ ...b });
    while (
      blocks.length > 1 &&
      blocks.at(-2)!.ok / blocks.at(-2)!.n >= blocks.at(-1)!.ok / blocks.at(-1)!.n
    ) {
      const top = blocks.pop()!;
      const below = blocks.at(-1)!;
      below.to = top.to;
      below.ok += top.ok;
      below.n += top.n;
    }
  }
  return blocks;
}

/** The key and score a sample is calibrated under once `table` (or its key set) is known. */
function inputOf(table: CalibrationTable | null, s: Sample): { key: CalibrationKey; score: number } {
  return calibrationInput(table, { source: s.source, confidence: s.score, confirmedBy: s.confirmedBy });
}

export function fitTable(samples: readonly Sample[]): {
  table: CalibrationTable;
  blocks: Map<CalibrationKey, Block[]>;
} {
  // Confirmed values of a source get their own table only when there are enough of them; the
  // others are calibrated with their source's unconfirmed values, at their reading's own score,
  // exactly as the engine does for a key the table lacks.
  const present: CalibrationTable = {};
  for (const source of SOURCES) {
    const confirmed = samples.filter((s) => s.source === source && s.confirmedBy).length;
    if (confirmed >= MIN_BUCKET_COUNT) present[`${source}+confirmed`] = [{ from: 0, confidence: 1 }];
  }
  const table: CalibrationTable = {};
  const blocks = new Map<CalibrationKey, Block[]>();
  const keyed = samples.map((s) => ({ ...s, ...inputOf(present, s) }));
  for (const key of KEYS) {
    const own = keyed.filter((s) => s.key === key);
    if (own.length < MIN_BUCKET_COUNT) continue;
    const fitted = fitSource(own);
    blocks.set(key, fitted);
    // The smoothing pulls small blocks down more than large ones: the running maximum keeps the
    // mapping monotone after it too.
    let floor = 0;
    table[key] = fitted.map((b, i): CalibrationBucket => {
      floor = Math.max(floor, smoothed(b));
      return { from: i === 0 ? 0 : b.from, confidence: floor };
    });
  }
  return { table, blocks };
}

function aboveThreshold(table: CalibrationTable, samples: readonly Sample[]): { ok: number; n: number } {
  const above = samples.filter((s) => {
    const { key, score } = inputOf(table, s);
    return calibrateConfidence(table, key, score) >= threshold;
  });
  return { ok: above.filter((s) => s.ok).length, n: above.length };
}

const foldOf = (group: string): number => createHash('sha256').update(group).digest()[0]! % 2;

/** A corpus document read by the engine (calibration off), with what it was read with. */
async function read(
  doc: CorpusEntry,
  options: { learnedSuppliers?: LearnedSupplier[]; suppliers?: KnownSupplier[] },
): Promise<ExtractionResult | null> {
  const bytes = new Uint8Array(readFileSync(join(corpusDir, doc.file)));
  try {
    return await extractInvoice(
      { bytes, filename: doc.file },
      { calibrate: false, keepTextLayer: true, ...options },
    );
  } catch (error) {
    console.error(`skipped ${doc.id} (${doc.kind}): ${(error as Error).message}`);
    return null;
  }
}

/**
 * What a person's correction of `doc` from its truth and its validation teach the firm, as
 * PATCH …/extraction and the supplier directory do (suppliers.service.ts learnFromCorrection,
 * extractions.suppliers.ts buildDirectory): a hint per corrected field printed on the page, a
 * constant per corrected constant field it does not print, the corrected seller as master data,
 * and the places of the number and dates it left as read.
 */
function taughtBy(doc: CorpusEntry, result: ExtractionResult) {
  const words = layerWords(result.textLayer);
  const units = layerUnits(result.textLayer);
  const corrected = new Map<FieldName, string>();
  for (const { field, truth } of truthDiffs(doc, result.fields)) {
    const normalised = normaliseFieldValue(field, truth);
    if ('value' in normalised) corrected.set(field, normalised.value);
  }
  const hints: FieldHint[] = [];
  const value = (field: FieldName) => corrected.get(field) ?? result.fields[field]?.value;
  const constants: LearnedConstants = {};
  for (const [field, after] of corrected) {
    const hint = words.length ? learnFieldHint(words, field, after, units) : null;
    if (hint) hints.push(hint);
    else if ((CONSTANT_FIELDS as readonly string[]).includes(field)) {
      // A buyer's VAT ID is kept with the buyer it was entered for, and not without one.
      const buyer = value('buyer.name');
      if (field === 'buyer.vatId' && !buyer) continue;
      if (field === 'buyer.vatId') constants.forBuyer = buyer;
      constants[field as ConstantField] = after;
    }
  }
  const seller = {
    name: value('seller.name') ?? null,
    vat_id: value('seller.vatId') ?? null,
    company_id: value('seller.companyId') ?? null,
    iban: value('payment.iban') ?? null,
    invoice_number: value('invoiceNumber') ?? null,
    currency: value('currency') ?? null,
    buyer_name: value('buyer.name') ?? null,
    buyer_vat_id: value('buyer.vatId') ?? null,
    payment_reference: value('payment.reference') ?? null,
    issue_date: value('issueDate') ?? null,
    due_date: value('dueDate') ?? null,
    // A corrected field is stored as the person's value, without a place (corrections.ts).
    places: Object.fromEntries(
      PLACED_FIELDS.map((f) => [f, corrected.has(f) ? null : (result.fields[f] ?? null)]),
    ),
    validated_at: null,
  };
  const profile: LearnedSupplier = {
    name: seller.name ?? undefined,
    vatId: seller.vat_id ?? undefined,
    companyId: seller.company_id ?? undefined,
    ibans: seller.iban ? [seller.iban] : [],
    hints,
    constants,
  };
  return { profile, seller };
}

async function collect(): Promise<Sample[]> {
  const corpus = readCorpus(corpusDir);
  if ('missing' in corpus) {
    console.log(`${corpus.missing}: nothing to calibrate on (the dev corpus lives in ../shared/corpus/dev)`);
    process.exit(0);
  }
  const firstFamily = new Map<string, string>();
  for (const doc of corpus.documents)
    if (!firstFamily.has(supplierKey(doc))) firstFamily.set(supplierKey(doc), familyOf(doc));
  const taughtFamilies = new Set(firstFamily.values());
  const samples: Sample[] = [];
  const profiles: LearnedSupplier[] = [];
  const sellers: Parameters<typeof buildDirectory>[0][number][] = [];
  const corrected = new Set<string>();
  // First sight: every document of a supplier's first family (and of a family some supplier
  // learned from); a person corrects the first document of each such family.
  for (const doc of corpus.documents.filter((d) => taughtFamilies.has(familyOf(d)))) {
    const result = await read(doc, {});
    if (!result) continue;
    samples.push(...samplesOf(doc, result, familyOf(doc)));
    if (firstFamily.get(supplierKey(doc)) !== familyOf(doc) || corrected.has(supplierKey(doc))) continue;
    corrected.add(supplierKey(doc));
    const taught = taughtBy(doc, result);
    profiles.push(taught.profile);
    sellers.push(taught.seller);
  }
  const directory = buildDirectory(sellers);
  for (const doc of corpus.documents.filter((d) => !taughtFamilies.has(familyOf(d)))) {
    const result = await read(doc, { learnedSuppliers: profiles, suppliers: directory });
    if (result) samples.push(...samplesOf(doc, result, familyOf(doc), true));
  }
  return samples;
}

function printBlocks(blocks: Map<CalibrationKey, Block[]>, table: CalibrationTable): void {
  console.log('\nCalibration table (rule score bucket -> measured accuracy, count; calibrated confidence)\n');
  console.log(
    `${'key'.padEnd(18)}${'score'.padEnd(14)}${'right'.padStart(8)}${'count'.padStart(8)}${'accuracy'.padStart(10)}${'calibrated'.padStart(12)}`,
  );
  for (const [source, list] of blocks) {
    list.forEach((b, i) => {
      const range = `${b.from.toFixed(2)}-${Number.isFinite(b.to) ? b.to.toFixed(2) : '1.00'}`;
      console.log(
        `${source.padEnd(18)}${range.padEnd(14)}${String(b.ok).padStart(8)}${String(b.n).padStart(8)}${pct(b.ok, b.n).padStart(10)}${table[source]![i]!.confidence.toFixed(3).padStart(12)}`,
      );
    });
  }
}

function printKinds(table: CalibrationTable, samples: readonly Sample[]): void {
  console.log(
    `\nPer kind: every scored field, and those at or above the threshold ${threshold} once calibrated\n`,
  );
  console.log(
    `${'kind'.padEnd(18)}${'fields'.padStart(8)}${'accuracy'.padStart(10)}${'>= thr'.padStart(8)}${'share'.padStart(8)}${'accuracy'.padStart(10)}`,
  );
  const kinds = [...new Set(samples.map((s) => s.kind))].sort();
  for (const kind of [...kinds, 'ALL']) {
    const own = samples.filter((s) => kind === 'ALL' || s.kind === kind);
    const ok = own.filter((s) => s.ok).length;
    const above = aboveThreshold(table, own);
    console.log(
      `${kind.padEnd(18)}${String(own.length).padStart(8)}${pct(ok, own.length).padStart(10)}${String(above.n).padStart(8)}${pct(above.n, own.length).padStart(8)}${pct(above.ok, above.n).padStart(10)}`,
    );
  }
}

/** How often each independent check's values were right, and on which fields. */
function printChecks(samples: readonly Sample[]): void {
  console.log(
    '\nConfirmed values per check and source (all scored fields), and values read with what was taught\n',
  );
  console.log(
    `${'check'.padEnd(10)}${'source'.padEnd(9)}${'right'.padStart(7)}${'count'.padStart(7)}${'accuracy'.padStart(10)}  fields`,
  );
  const rows = new Map<string, Sample[]>();
  for (const s of samples) {
    const key = s.confirmedBy ? `${s.confirmedBy} ${s.source}` : s.taught ? `taught ${s.source}` : '';
    if (key) rows.set(key, [...(rows.get(key) ?? []), s]);
  }
  for (const [key, list] of [...rows].sort()) {
    const [check, source] = key.split(' ');
    const ok = list.filter((s) => s.ok).length;
    const wrong = [...new Set(list.filter((s) => !s.ok).map((s) => s.field))];
    const fields = [...new Set(list.map((s) => s.field))].length;
    console.log(
      `${check!.padEnd(10)}${source!.padEnd(9)}${String(ok).padStart(7)}${String(list.length).padStart(7)}${pct(ok, list.length).padStart(10)}  ${fields} fields${wrong.length ? `; wrong: ${wrong.join(', ')}` : ''}`,
    );
  }
}

function printCrossValidation(samples: readonly Sample[]): void {
  console.log(
    `\nTwo-fold cross-validation by invoice family: fit on one fold, score the other at ${threshold}\n`,
  );
  console.log(
    `${'held-out'.padEnd(10)}${'fields'.padStart(8)}${'>= thr'.padStart(8)}${'accuracy'.padStart(10)}${'wrong'.padStart(8)}`,
  );
  let ok = 0;
  let n = 0;
  for (const fold of [0, 1]) {
    const { table } = fitTable(samples.filter((s) => foldOf(s.group) !== fold));
    const heldOut = samples.filter((s) => foldOf(s.group) === fold);
    const above = aboveThreshold(table, heldOut);
    ok += above.ok;
    n += above.n;
    console.log(
      `${`fold ${fold}`.padEnd(10)}${String(heldOut.length).padStart(8)}${String(above.n).padStart(8)}${pct(above.ok, above.n).padStart(10)}${String(above.n - above.ok).padStart(8)}`,
    );
  }
  console.log(
    `${'both'.padEnd(10)}${''.padStart(8)}${String(n).padStart(8)}${pct(ok, n).padStart(10)}${String(n - ok).padStart(8)}   goal >= 99.5%`,
  );
}

function tableModule(table: CalibrationTable, count: number): string {
  const lines = Object.entries(table).map(
    ([source, buckets]) =>
      `  ${/^\w+$/.test(source) ? source : `'${source}'`}: [\n${buckets!.map((b) => `    { from: ${b.from}, confidence: ${b.confidence} },`).join('\n')}\n  ],`,
  );
  return `/**
 * Generated by \`npm run bench:calibration\` from the dev corpus (${count} scored fields); do not edit
 * by hand. Regenerate after a change to the engine's rules or scores: the script prints the table,
 * the accuracy per kind and the cross-validated accuracy above the automation threshold.
 */
import type { CalibrationTable } from './calibration.js';

export const CALIBRATION: CalibrationTable = {
${lines.join('\n')}
};
`;
}

const scored: Sample[] = loadSamples
  ? (JSON.parse(readFileSync(loadSamples, 'utf8')) as Sample[])
  : await collect();
await disposeExtraction();
if (saveSamples) writeFileSync(saveSamples, JSON.stringify(scored));
const unprinted = scored.filter((s) => s.unprinted);
const samples = scored.filter((s) => !s.unprinted);
console.log(
  `\n${scored.length} scored fields; ${unprinted.length} left out because the manifest finds their truth not printed on the page (${unprinted.filter((s) => s.ok).length} of them equal to the truth anyway)`,
);
const { table, blocks } = fitTable(samples);
printBlocks(blocks, table);
printKinds(table, samples);
printChecks(samples);
printCrossValidation(samples);
if (dryRun) console.log(`\n--dry-run: ${TABLE_FILE} left as it is`);
else {
  writeFileSync(TABLE_FILE, tableModule(table, samples.length));
  console.log(`\nwrote ${TABLE_FILE} (run prettier on it: npm run format)`);
}
