/**
 * Extraction benchmark: runs the engine over a corpus manifest and prints per-kind / per-field
 * accuracy (normalised as the corpus README defines), speed against pdftotext, and a bad-input pass.
 *
 *   npm run bench:extract [-- --corpus ../shared/corpus/dev] [--bad ../shared/corpus/bad] [--kind ubl] [--scans]
 *
 * `--scans` also reads every image wrapped in a one-page PDF at 200 dpi (kind `image-as-scan`): the
 * scanned-PDF path (render, OCR, letterhead looks) on the same pages and truth as the images.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import {
  disposeExtraction,
  extractInvoice,
  ExtractionError,
  type ExtractionResult,
} from '../src/extraction/index.js';
import { MAX_OCR_SIDE_PX, OCR_DPI } from '../src/extraction/ocr/ocr-image.js';
import {
  actualValue,
  expectedValue,
  pct,
  readCorpus,
  sameValue,
  SCALAR_FIELDS,
  type CorpusEntry,
} from './corpus-scoring.js';
import { documentText, indexText, isPrinted, PRINTED_RULE } from './printed.js';
import { argValue, expectOptions, hasFlag } from './cli-args.js';

expectOptions({ values: ['corpus', 'bad', 'kind'], flags: ['verbose', 'scans'] });
const corpusDir = argValue('corpus', '../shared/corpus/dev');
const badDir = argValue('bad', join(corpusDir, '..', 'bad'));
const onlyKind = argValue('kind', '');
const verbose = hasFlag('verbose');
const scans = hasFlag('scans');

/** The image as a scan: one PDF page at OCR_DPI, its longest side at most MAX_OCR_SIDE_PX like the image path. */
async function asScannedPdf(file: string, bytes: Uint8Array): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const image = file.endsWith('.png') ? await pdf.embedPng(bytes) : await pdf.embedJpg(bytes);
  const scale = Math.min(1, MAX_OCR_SIDE_PX / Math.max(image.width, image.height)) * (72 / OCR_DPI);
  const page = pdf.addPage([image.width * scale, image.height * scale]);
  page.drawImage(image, { x: 0, y: 0, width: image.width * scale, height: image.height * scale });
  return pdf.save();
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

type Tally = Map<string, { ok: number; n: number }>;
const bump = (t: Tally, key: string, ok: boolean): void => {
  const cur = t.get(key) ?? { ok: 0, n: 0 };
  t.set(key, { ok: cur.ok + (ok ? 1 : 0), n: cur.n + 1 });
};

async function runCorpus(): Promise<void> {
  const manifest = readCorpus(corpusDir);
  if ('missing' in manifest) throw new Error(manifest.missing);
  const docs = manifest.documents.filter((d) => !onlyKind || d.kind === onlyKind);
  const perKindField = new Map<string, Tally>();
  const perKindFieldPrinted = new Map<string, Tally>();
  const perKindAll: Tally = new Map();
  const perKindPrintable: Tally = new Map();
  const notPrinted = new Map<string, Map<string, number>>();
  const times = new Map<string, number[]>();
  const letterhead = { docs: 0, reread: 0, ocrMs: 0, letterheadMs: 0, lines: 0, issuerLineMs: 0, totalMs: 0 };
  const errors: string[] = [];
  const withErrorFindings: string[] = [];
  const started = performance.now();
  const runs = docs.map((doc) => ({ doc, kind: doc.kind, scan: false }));
  if (scans)
    runs.push(
      ...docs.filter((d) => d.kind === 'image').map((doc) => ({ doc, kind: 'image-as-scan', scan: true })),
    );
  for (const { doc, kind, scan } of runs) {
    const file = new Uint8Array(readFileSync(join(corpusDir, doc.file)));
    const bytes = scan ? await asScannedPdf(doc.file, file) : file;
    const t0 = performance.now();
    let result: ExtractionResult | null = null;
    try {
      result = await extractInvoice({
        bytes,
        filename: scan ? doc.file.replace(/\.\w+$/, '.pdf') : doc.file,
      });
    } catch (error) {
      errors.push(`${doc.id} (${kind}): ${error instanceof ExtractionError ? error.code : String(error)}`);
    }
    times.set(kind, [...(times.get(kind) ?? []), performance.now() - t0]);
    if (result?.format === 'image') {
      const { ocrMs = 0, letterheadMs, issuerLineMs, totalMs } = result.timings;
      if (issuerLineMs !== undefined) {
        letterhead.lines++;
        letterhead.issuerLineMs += issuerLineMs;
      }
      letterhead.docs++;
      letterhead.ocrMs += ocrMs;
      letterhead.totalMs += totalMs;
      if (letterheadMs !== undefined) {
        letterhead.reread++;
        letterhead.letterheadMs += letterheadMs;
      }
    }
    const errorCodes = result?.findings.filter((f) => f.severity === 'error').map((f) => f.code) ?? [];
    if (errorCodes.length)
      withErrorFindings.push(`${doc.id} (${kind}): ${[...new Set(errorCodes)].join(',')}`);
    // Outside the timed region: the text the "printed" rule searches (bench/printed.ts).
    const printedIndex = indexText(await documentText(bytes));
    const tally = perKindField.get(kind) ?? new Map();
    perKindField.set(kind, tally);
    const printedTally = perKindFieldPrinted.get(kind) ?? new Map();
    perKindFieldPrinted.set(kind, printedTally);
    const missing = notPrinted.get(kind) ?? new Map<string, number>();
    notPrinted.set(kind, missing);
    for (const field of SCALAR_FIELDS) {
      const expected = expectedValue(doc.expected, field);
      if (expected === undefined) continue;
      const actual = result ? actualValue(result, field) : undefined;
      const ok = sameValue(field, expected, actual);
      const printed = isPrinted(field, expected, printedIndex, {
        sellerVatId: expectedValue(doc.expected, 'seller.vatId'),
      });
      bump(tally, field, ok);
      bump(perKindAll, kind, ok);
      if (printed) {
        bump(printedTally, field, ok);
        bump(perKindPrintable, kind, ok);
      } else missing.set(field, (missing.get(field) ?? 0) + 1);
      if (!ok && verbose)
        console.log(
          `  miss ${doc.id} ${kind} ${field}${printed ? '' : ' (not printed)'}: expected ${expected} got ${actual}`,
        );
    }
  }
  const elapsed = performance.now() - started;
  printAccuracy(perKindField, perKindAll, perKindPrintable);
  printPrintedAccuracy(perKindFieldPrinted, notPrinted);
  printSpeed(times, runs.length, elapsed, docs);
  if (letterhead.docs)
    console.log(
      `\nimages: letterhead second OCR pass on ${letterhead.reread} of ${letterhead.docs}; in the same run it took ${letterhead.letterheadMs.toFixed(0)} ms against ${letterhead.ocrMs.toFixed(0)} ms of first-pass OCR (${((100 * letterhead.letterheadMs) / Math.max(1, letterhead.ocrMs)).toFixed(0)} %) and ${((100 * letterhead.letterheadMs) / Math.max(1, letterhead.totalMs)).toFixed(0)} % of all image time; per image ${(letterhead.totalMs / letterhead.docs).toFixed(0)} ms with it, ${((letterhead.totalMs - letterhead.letterheadMs) / letterhead.docs).toFixed(0)} ms without`,
    );
  if (letterhead.lines)
    console.log(
      `images: issuer line read again as strips on ${letterhead.lines} of ${letterhead.docs}: ${letterhead.issuerLineMs.toFixed(0)} ms (${((100 * letterhead.issuerLineMs) / Math.max(1, letterhead.ocrMs)).toFixed(0)} % of first-pass OCR)`,
    );
  if (errors.length) console.log(`\nErrors on dev documents (${errors.length}):\n  ${errors.join('\n  ')}`);
  console.log(`\ndev documents with error findings: ${withErrorFindings.length}`);
  if (verbose || withErrorFindings.length) console.log(`  ${withErrorFindings.join('\n  ')}`);
}

function printAccuracy(perKindField: Map<string, Tally>, perKindAll: Tally, printable: Tally): void {
  const kinds = [...perKindField.keys()].sort();
  console.log(`\nAccuracy per field (exact after normalisation; n = fields with truth)\n`);
  console.log(`${'field'.padEnd(18)}${kinds.map((k) => k.padStart(16)).join('')}`);
  for (const field of SCALAR_FIELDS) {
    const cells = kinds.map((k) => {
      const t = perKindField.get(k)?.get(field);
      return (t ? `${pct(t.ok, t.n)} (${t.n})` : '-').padStart(16);
    });
    console.log(`${field.padEnd(18)}${cells.join('')}`);
  }
  const all = kinds.map((k) => {
    const t = perKindAll.get(k)!;
    return `${pct(t.ok, t.n)} (${t.n})`.padStart(16);
  });
  console.log(`${'ALL FIELDS'.padEnd(18)}${all.join('')}`);
  const pr = kinds.map((k) => {
    const t = printable.get(k);
    return (t ? `${pct(t.ok, t.n)} (${t.n})` : '-').padStart(16);
  });
  console.log(`${'ALL where printed'.padEnd(18)}${pr.join('')}`);
}

/** The same table over the fields whose truth is printed, with the count of those that are not. */
function printPrintedAccuracy(
  perKindField: Map<string, Tally>,
  notPrinted: Map<string, Map<string, number>>,
): void {
  const kinds = [...perKindField.keys()].sort();
  console.log(`\nAccuracy where printed (${PRINTED_RULE}); [m] = fields whose truth is not printed\n`);
  console.log(`${'field'.padEnd(18)}${kinds.map((k) => k.padStart(22)).join('')}`);
  for (const field of SCALAR_FIELDS) {
    const cells = kinds.map((k) => {
      const t = perKindField.get(k)?.get(field);
      const m = notPrinted.get(k)?.get(field) ?? 0;
      const cell = t ? `${pct(t.ok, t.n)} (${t.ok}/${t.n})` : m ? '-' : '';
      return `${cell}${m ? ` [${m}]` : ''}`.padStart(22);
    });
    if (cells.some((c) => c.trim())) console.log(`${field.padEnd(18)}${cells.join('')}`);
  }
}

function pdftotextMs(files: string[]): number[] | null {
  if (spawnSync('pdftotext', ['-v'], { stdio: 'ignore' }).error) return null;
  return files.map((f) => {
    const t0 = performance.now();
    execFileSync('pdftotext', ['-layout', f, '-'], { stdio: ['ignore', 'ignore', 'ignore'] });
    return performance.now() - t0;
  });
}

function printSpeed(
  times: Map<string, number[]>,
  count: number,
  elapsedMs: number,
  docs: CorpusEntry[],
): void {
  console.log(
    `\nSpeed: ${count} docs in ${(elapsedMs / 1000).toFixed(1)} s = ${((count * 1000) / elapsedMs).toFixed(1)} docs/s\n`,
  );
  console.log(`${'kind'.padEnd(18)}${'docs'.padStart(6)}${'p50 ms'.padStart(10)}${'p95 ms'.padStart(10)}`);
  for (const [kind, list] of [...times.entries()].sort()) {
    console.log(
      `${kind.padEnd(18)}${String(list.length).padStart(6)}${quantile(list, 0.5).toFixed(1).padStart(10)}${quantile(list, 0.95).toFixed(1).padStart(10)}`,
    );
  }
  const textKinds = ['pdf-visual-only', 'pdf-text'];
  const textDocs = docs.filter((d) => textKinds.includes(d.kind));
  const engine = textKinds.flatMap((k) => times.get(k) ?? []);
  const poppler = pdftotextMs(textDocs.map((d) => join(corpusDir, d.file)));
  if (poppler && engine.length) {
    const e = quantile(engine, 0.5);
    const p = quantile(poppler, 0.5);
    const eSum = engine.reduce((a, b) => a + b, 0);
    const pSum = poppler.reduce((a, b) => a + b, 0);
    console.log(
      `\ntext-layer PDFs (${textKinds.join(', ')}): engine p50 ${e.toFixed(1)} ms, pdftotext -layout p50 ${p.toFixed(1)} ms (process spawn included) -> ratio ${(e / p).toFixed(2)}x; totals ${eSum.toFixed(0)} ms vs ${pSum.toFixed(0)} ms -> ${(eSum / pSum).toFixed(2)}x`,
    );
  } else {
    console.log('\npdftotext not installed: no comparison (apt-get install poppler-utils)');
  }
}

async function runBad(): Promise<void> {
  const path = join(badDir, 'manifest.json');
  if (!existsSync(path)) return console.log(`\nno bad-input set at ${badDir}`);
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as {
    documents: Array<CorpusEntry & { defectClass?: string }>;
  };
  let rejected = 0;
  let flagged = 0;
  let clean = 0;
  let crashed = 0;
  let slowest = 0;
  const lines: string[] = [];
  const perClass = new Map<string, { rejected: number; flagged: number; clean: number; crashed: number }>();
  const tally = (cls: string, outcome: 'rejected' | 'flagged' | 'clean' | 'crashed'): void => {
    const row = perClass.get(cls) ?? { rejected: 0, flagged: 0, clean: 0, crashed: 0 };
    row[outcome]++;
    perClass.set(cls, row);
  };
  for (const doc of manifest.documents) {
    const bytes = new Uint8Array(readFileSync(join(badDir, doc.file)));
    const t0 = performance.now();
    let outcome: string;
    try {
      const result = await extractInvoice({ bytes }, { timeoutMs: 20_000 });
      const serious = result.findings.filter((f) => f.severity !== 'info');
      if (result.needsReview || serious.length) {
        flagged++;
        tally(doc.defectClass ?? '-', 'flagged');
        outcome = `flagged: ${[...new Set(serious.map((f) => f.code))].join(',') || 'needsReview'}`;
      } else {
        clean++;
        tally(doc.defectClass ?? '-', 'clean');
        outcome = 'CLEAN (not flagged)';
      }
    } catch (error) {
      if (error instanceof ExtractionError) {
        rejected++;
        tally(doc.defectClass ?? '-', 'rejected');
        outcome = `error ${error.code}`;
      } else {
        crashed++;
        tally(doc.defectClass ?? '-', 'crashed');
        outcome = `CRASH ${String(error)}`;
      }
    }
    const ms = performance.now() - t0;
    slowest = Math.max(slowest, ms);
    lines.push(
      `  ${doc.file.padEnd(28)} ${(doc.defectClass ?? '').padEnd(26)} ${ms.toFixed(0).padStart(6)} ms  ${outcome}`,
    );
  }
  console.log(
    `\nBad inputs (${manifest.documents.length}): ${rejected} rejected with a code, ${flagged} flagged, ${clean} returned clean, ${crashed} crashed; slowest ${slowest.toFixed(0)} ms`,
  );
  console.log(
    `\n${'defectClass'.padEnd(28)}${['rejected', 'flagged', 'clean', 'crashed'].map((h) => h.padStart(10)).join('')}`,
  );
  for (const [cls, row] of [...perClass.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    const cells = [row.rejected, row.flagged, row.clean, row.crashed].map((n) => String(n).padStart(10));
    console.log(`${cls.padEnd(28)}${cells.join('')}`);
  }
  if (verbose || crashed || clean) console.log(lines.join('\n'));
}

await runCorpus();
if (!onlyKind) await runBad();
await disposeExtraction();
