/**
 * Confidence calibration: runs the engine over the dev corpus with its rule scores uncalibrated,
 * compares every field with the truth (bench/corpus-scoring.ts, as bench:extract does), and fits
 * per source a monotone mapping from coarse score buckets to the accuracy measured in them. It
 * prints the table per source and per kind, a two-fold cross-validation (folds by invoice family,
 * so renditions of one invoice never sit on both sides) with the held-out accuracy of the fields
 * at or above the automation threshold, and writes src/extraction/calibration-table.ts.
 *
 *   npm run bench:calibration [-- --corpus ../shared/corpus/dev] [--threshold 0.99] [--dry-run]
 *     [--save-samples /tmp/s.json | --load-samples /tmp/s.json]
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  calibrateConfidence,
  type CalibrationBucket,
  type CalibrationTable,
} from '../src/extraction/calibration.js';
import {
  disposeExtraction,
  extractInvoice,
  FIELD_NAMES,
  type ExtractionResult,
  type FieldSource,
} from '../src/extraction/index.js';
import { DEFAULT_AUTOMATION_THRESHOLD } from '../src/modules/tenants/tenants.automation.js';
import { expectedValue, pct, readCorpus, sameValue } from './corpus-scoring.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const corpusDir = arg('corpus', '../shared/corpus/dev');
const threshold = Number(arg('threshold', String(DEFAULT_AUTOMATION_THRESHOLD)));
const dryRun = args.includes('--dry-run');
/** Scored samples can be kept outside the repository to refit without running the engine again. */
const saveSamples = arg('save-samples', '');
const loadSamples = arg('load-samples', '');
const TABLE_FILE = 'src/extraction/calibration-table.ts';

/** Lower edges of the score buckets: coarse on purpose, so the table cannot learn single files. */
const EDGES = [0, 0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.98];
/** A bucket with fewer scored values than this is pooled with the one below it. */
const MIN_BUCKET_COUNT = 10;
/** The sources a table is fitted for (`user` is a person's word: confidence 1 as it is). */
const SOURCES: FieldSource[] = ['xml', 'qr', 'text', 'ocr', 'learned'];

export interface Sample {
  readonly kind: string;
  readonly group: string;
  readonly field: string;
  readonly source: FieldSource;
  readonly score: number;
  readonly ok: boolean;
}

/** Every extracted field that has a truth to compare with, with its uncalibrated score. */
export function samplesOf(
  result: ExtractionResult,
  expected: Record<string, unknown>,
  kind: string,
  group: string,
): Sample[] {
  const samples: Sample[] = [];
  for (const field of FIELD_NAMES) {
    const truth = expectedValue(expected, field);
    const extracted = result.fields[field];
    if (truth === undefined || !extracted) continue;
    samples.push({
      kind,
      group,
      field,
      source: extracted.source,
      score: extracted.confidence,
      ok: sameValue(field, truth, extracted.value),
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

export function fitTable(samples: readonly Sample[]): {
  table: CalibrationTable;
  blocks: Map<FieldSource, Block[]>;
} {
  const table: CalibrationTable = {};
  const blocks = new Map<FieldSource, Block[]>();
  for (const source of SOURCES) {
    const own = samples.filter((s) => s.source === source);
    if (own.length < MIN_BUCKET_COUNT) continue;
    const fitted = fitSource(own);
    blocks.set(source, fitted);
    // The smoothing pulls small blocks down more than large ones: the running maximum keeps the
    // mapping monotone after it too.
    let floor = 0;
    table[source] = fitted.map((b, i): CalibrationBucket => {
      floor = Math.max(floor, smoothed(b));
      return { from: i === 0 ? 0 : b.from, confidence: floor };
    });
  }
  return { table, blocks };
}

function aboveThreshold(table: CalibrationTable, samples: readonly Sample[]): { ok: number; n: number } {
  const above = samples.filter((s) => calibrateConfidence(table, s.source, s.score) >= threshold);
  return { ok: above.filter((s) => s.ok).length, n: above.length };
}

const foldOf = (group: string): number => createHash('sha256').update(group).digest()[0]! % 2;

async function collect(): Promise<Sample[]> {
  const corpus = readCorpus(corpusDir);
  if ('missing' in corpus) {
    console.log(`${corpus.missing}: nothing to calibrate on (the dev corpus lives in ../shared/corpus/dev)`);
    process.exit(0);
  }
  const samples: Sample[] = [];
  for (const doc of corpus.documents) {
    const bytes = new Uint8Array(readFileSync(join(corpusDir, doc.file)));
    try {
      const result = await extractInvoice({ bytes, filename: doc.file }, { calibrate: false });
      samples.push(...samplesOf(result, doc.expected, doc.kind, doc.group ?? doc.id));
    } catch (error) {
      console.error(`skipped ${doc.id} (${doc.kind}): ${(error as Error).message}`);
    }
  }
  return samples;
}

function printBlocks(blocks: Map<FieldSource, Block[]>, table: CalibrationTable): void {
  console.log('\nCalibration table (rule score bucket -> measured accuracy, count; calibrated confidence)\n');
  console.log(
    `${'source'.padEnd(8)}${'score'.padEnd(14)}${'right'.padStart(8)}${'count'.padStart(8)}${'accuracy'.padStart(10)}${'calibrated'.padStart(12)}`,
  );
  for (const [source, list] of blocks) {
    list.forEach((b, i) => {
      const range = `${b.from.toFixed(2)}-${Number.isFinite(b.to) ? b.to.toFixed(2) : '1.00'}`;
      console.log(
        `${source.padEnd(8)}${range.padEnd(14)}${String(b.ok).padStart(8)}${String(b.n).padStart(8)}${pct(b.ok, b.n).padStart(10)}${table[source]![i]!.confidence.toFixed(3).padStart(12)}`,
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
      `  ${source}: [\n${buckets!.map((b) => `    { from: ${b.from}, confidence: ${b.confidence} },`).join('\n')}\n  ],`,
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

const samples: Sample[] = loadSamples
  ? (JSON.parse(readFileSync(loadSamples, 'utf8')) as Sample[])
  : await collect();
await disposeExtraction();
if (saveSamples) writeFileSync(saveSamples, JSON.stringify(samples));
const { table, blocks } = fitTable(samples);
printBlocks(blocks, table);
printKinds(table, samples);
printCrossValidation(samples);
if (dryRun) console.log(`\n--dry-run: ${TABLE_FILE} left as it is`);
else {
  writeFileSync(TABLE_FILE, tableModule(table, samples.length));
  console.log(`\nwrote ${TABLE_FILE} (run prettier on it: npm run format)`);
}
