/**
 * Straight-through processing over the dev corpus, through the real pipeline (API + worker): a
 * firm at the `confident` automation level gets the corpus's non-XML documents (text PDFs, PDFs
 * whose XML was removed, images). For every supplier (by its truth: VAT ID, else name) the first
 * document is uploaded, corrected from the ground truth and validated by a person, which gives
 * the supplier its validated history; then the supplier's other documents are uploaded and the
 * worker decides. It reports the straight-through rate (auto-validated / later documents, and /
 * all non-XML documents) and the wrong-field rate among the auto-validated documents (every field
 * with a truth compared as bench:extract does), plus what the field and finding conditions alone
 * would admit at other thresholds (the supplier condition left out), for choosing one.
 *
 *   npm run bench:stp [-- --corpus ../shared/corpus/dev --threshold 0.99 --min-validated 1]
 *
 * `measureStraightThrough` is the reusable part: given an API with a worker behind it (e.g. a
 * `startBenchStack` stack with `startApi` and a worker), it returns the numbers and a table.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FIELD_NAMES, type ExtractionResult } from '../src/extraction/model.js';
import { decideAutomation } from '../src/modules/extractions/extractions.automation.js';
import {
  DEFAULT_AUTOMATION_THRESHOLD,
  DEFAULT_MIN_VALIDATED,
} from '../src/modules/tenants/tenants.automation.js';
import {
  expectedValue,
  familyOf,
  pct,
  printedOnPage,
  printsAnotherInvoice,
  readCorpus,
  sameValue,
  supplierKey,
  truthDiffs,
  XML_KINDS,
  type CorpusEntry,
} from './corpus-scoring.js';
import {
  benchLog,
  BenchError,
  call,
  chooseEntry,
  Cleanups,
  expectStatus,
  runBenchmark,
  signUp,
  spawnService,
  startApi,
  startBenchStack,
  type Log,
} from './support.js';
import { argValue, expectOptions } from './cli-args.js';

export { printsAnotherInvoice } from './corpus-scoring.js';

export interface StraightThroughOptions {
  /** An API whose worker processes extractions. */
  readonly baseUrl: string;
  readonly corpusDir: string;
  readonly log: Log;
  readonly threshold?: number;
  readonly minValidated?: number;
}

export interface StraightThroughReport {
  /**
   * Non-XML documents of the corpus, without those left out: later documents whose page prints
   * another invoice than their truth (`printsAnotherInvoice`), reported apart in the output.
   */
  readonly documents: number;
  /** Documents uploaded after their supplier's first (validated by a person) one, without those left out. */
  readonly later: number;
  readonly autoValidated: number;
  /** Fields with a truth on the auto-validated documents, and how many of them were wrong. */
  readonly fields: number;
  readonly wrongFields: number;
  /** The printable table. */
  readonly output: string;
}

const CONTENT_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
};
/** Thresholds of the what-if table. */
const WHAT_IF = [0.6, 0.7, 0.8, 0.9, 0.95, 0.99];
/** The fields `confident` requires (extractions.automation.ts), for the required-fields-only what-if. */
const REQUIRED = ['invoiceNumber', 'issueDate', 'totals.gross', 'currency'] as const;

/**
 * A looser rule than `confident`, shown only for comparison: the same finding and duplicate
 * conditions, but only the required fields (and the seller) held to the threshold.
 */
function requiredOnlyPasses(processed: Processed, threshold: number): boolean {
  const { result } = processed;
  if (processed.duplicateOf || result.findings.some((f) => f.severity !== 'info')) return false;
  const seller = result.fields['seller.name'] ?? result.fields['seller.vatId'];
  return [...REQUIRED.map((name) => result.fields[name]), seller].every(
    (field) => field !== undefined && field.confidence >= threshold,
  );
}
const EXTRACTION_TIMEOUT_MS = 180_000;

interface Api {
  readonly baseUrl: string;
  readonly token: string;
}

async function request(api: Api, method: string, path: string, body?: unknown) {
  return call(new URL(path, api.baseUrl), {
    method,
    headers: {
      authorization: `Bearer ${api.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: Buffer.from(JSON.stringify(body)) }),
  });
}

interface Tally {
  threshold: number;
  docs: number;
  fields: number;
  wrong: number;
}

interface Processed {
  readonly id: string;
  readonly status: string;
  readonly duplicateOf: string | null;
  readonly result: ExtractionResult;
}

async function uploadAndWait(api: Api, corpusDir: string, doc: CorpusEntry): Promise<Processed> {
  const extension = doc.file.split('.').pop()?.toLowerCase() ?? '';
  const uploaded = await call(
    new URL(`/v1/documents?filename=${encodeURIComponent(doc.id)}.${extension}`, api.baseUrl),
    {
      method: 'POST',
      headers: {
        authorization: `Bearer ${api.token}`,
        'content-type': CONTENT_TYPES[extension] ?? 'application/octet-stream',
      },
      body: readFileSync(join(corpusDir, doc.file)),
    },
  );
  expectStatus(uploaded, 201, `upload of ${doc.id}`);
  const id = (uploaded.json as { id: string }).id;
  const deadline = Date.now() + EXTRACTION_TIMEOUT_MS;
  for (;;) {
    const state = await request(api, 'GET', `/v1/documents/${id}`);
    const { status, duplicateOf } = state.json as { status: string; duplicateOf: string | null };
    if (status === 'failed') throw new BenchError(`${doc.id}: extraction failed`);
    if (!['stored', 'queued', 'extracting'].includes(status)) {
      const extraction = await request(api, 'GET', `/v1/documents/${id}/extraction`);
      expectStatus(extraction, 200, `extraction of ${doc.id}`);
      return { id, status, duplicateOf, result: (extraction.json as { result: ExtractionResult }).result };
    }
    if (Date.now() > deadline)
      throw new BenchError(`${doc.id}: not extracted after ${EXTRACTION_TIMEOUT_MS / 1000} s`);
    await sleep(200);
  }
}

/** A person's review of a supplier's first document: every field set to its truth, then validated. */
async function correctAndValidate(api: Api, doc: CorpusEntry, processed: Processed): Promise<void> {
  const fields = Object.fromEntries(truthDiffs(doc, processed.result.fields).map((d) => [d.field, d.truth]));
  if (Object.keys(fields).length > 0) {
    const corrected = await request(api, 'PATCH', `/v1/documents/${processed.id}/extraction`, { fields });
    expectStatus(corrected, 200, `correction of ${doc.id}`);
  }
  // The person has checked every field against the document: remaining findings are overridden.
  const validated = await request(api, 'POST', `/v1/documents/${processed.id}/extraction/validate`, {
    override: { reason: 'checked against the document (benchmark ground truth)' },
    ...(processed.duplicateOf
      ? { allowDuplicate: true, duplicateReason: 'benchmark: another rendition' }
      : {}),
  });
  expectStatus(validated, 200, `validation of ${doc.id}`);
}

function whatIfRow(threshold: number, rule: string, w: Tally, documents: number): string {
  return `| ${threshold} | ${rule} | ${w.docs} | ${pct(w.docs, documents).trim()} | ${w.fields} | ${w.wrong} | ${pct(w.wrong, w.fields).trim()} |`;
}

interface Score {
  fields: number;
  wrong: number;
  unprintedFields: number;
  unprintedWrong: number;
  wrongFields: string[];
}

/**
 * Fields with a truth and how many of them the result got wrong, and the same for the fields whose
 * truth the page does not print (the manifest's `textLayerCheck.notFound`: a visual-only copy may
 * show other amounts or dates than the XML its truth comes from), with each wrong field named.
 */
function scoreFields(doc: CorpusEntry, result: ExtractionResult): Score {
  const score: Score = { fields: 0, wrong: 0, unprintedFields: 0, unprintedWrong: 0, wrongFields: [] };
  for (const field of FIELD_NAMES) {
    const truth = expectedValue(doc.expected, field);
    if (truth === undefined) continue;
    const unprinted = printedOnPage(doc, field) === false;
    score.fields += 1;
    if (unprinted) score.unprintedFields += 1;
    const read = result.fields[field];
    if (sameValue(field, truth, read?.value)) continue;
    score.wrong += 1;
    if (unprinted) score.unprintedWrong += 1;
    score.wrongFields.push(
      `${field} ${JSON.stringify(read?.value ?? null)} (${read?.source ?? '-'}; truth ${JSON.stringify(truth)}${unprinted ? ', not printed on the page' : ''})`,
    );
  }
  return score;
}

export async function measureStraightThrough(
  options: StraightThroughOptions,
): Promise<StraightThroughReport> {
  const { baseUrl, corpusDir, log } = options;
  const threshold = options.threshold ?? DEFAULT_AUTOMATION_THRESHOLD;
  const minValidated = options.minValidated ?? DEFAULT_MIN_VALIDATED;
  const corpus = readCorpus(corpusDir);
  if ('missing' in corpus)
    throw new BenchError(`${corpus.missing} (the dev corpus lives in ../shared/corpus/dev)`);
  const documents = corpus.documents.filter((d) => !XML_KINDS.has(d.kind));
  const bySupplier = new Map<string, CorpusEntry[]>();
  for (const doc of documents)
    bySupplier.set(supplierKey(doc), [...(bySupplier.get(supplierKey(doc)) ?? []), doc]);
  const api: Api = { baseUrl, token: (await signUp(baseUrl)).token };
  const set = await request(api, 'PUT', '/v1/tenant/automation', {
    level: 'confident',
    threshold,
    minValidated,
  });
  expectStatus(set, 200, 'setting the automation level');

  const firsts = [...bySupplier.values()].map((docs) => docs[0]!);
  log(
    `${documents.length} non-XML documents, ${bySupplier.size} suppliers: validating each supplier's first document`,
  );
  // What `confident` would make of the first documents themselves with no supplier history asked
  // for (minValidated 0): the first-sight rate, before anything was corrected.
  const firstSight: Tally = { threshold, docs: 0, fields: 0, wrong: 0 };
  for (const doc of firsts) {
    const processed = await uploadAndWait(api, corpusDir, doc);
    if (decideLoosely(processed, threshold).automate) addTo(firstSight, scoreFields(doc, processed.result));
    await correctAndValidate(api, doc, processed);
  }

  const later = [...bySupplier.values()].flatMap((docs) => docs.slice(1));
  log(
    `uploading the ${later.length} later documents at confident (threshold ${threshold}, minValidated ${minValidated})`,
  );
  // The corpus holds several renditions of one invoice (its PDF, a scan, a photo: one family).
  // A later rendition of an invoice already uploaded is a true duplicate, rightly never automated;
  // the rate that matters is over distinct invoices, the first rendition of each family.
  const seen = new Set(firsts.map(familyOf));
  const firstFamilies = seen.size;
  const perKind = new Map<string, Population>();
  const all = population();
  const distinct = population();
  const whatIf = WHAT_IF.map((t) => ({ threshold: t, docs: 0, fields: 0, wrong: 0 }));
  const requiredOnly = WHAT_IF.map((t) => ({ threshold: t, docs: 0, fields: 0, wrong: 0 }));
  /** Why the distinct later invoices were not automated, per document. */
  const distinctOutcomes: string[] = [];
  /** Later documents whose page prints another invoice than their truth: apart from every rate. */
  const other = population();
  const otherOutcomes: string[] = [];
  let otherDistinct = 0;
  for (const doc of later) {
    const isDistinct = !seen.has(familyOf(doc));
    seen.add(familyOf(doc));
    const processed = await uploadAndWait(api, corpusDir, doc);
    const score = scoreFields(doc, processed.result);
    const auto = processed.status === 'validated';
    const kept = decideLoosely(processed, threshold);
    if (printsAnotherInvoice(doc)) {
      count(other, auto, score, kept.automate ? 'the supplier history' : kept.reason);
      if (isDistinct) otherDistinct += 1;
      otherOutcomes.push(
        `- ${doc.id} (${doc.kind}${isDistinct ? '' : ', a later rendition'}): ${auto ? 'validated automatically' : `kept: ${kept.automate ? 'the supplier history' : kept.reason}`}; ${score.wrong} of ${score.fields} fields differ from the truth of the invoice it does not print`,
      );
      continue;
    }
    // "x is below the threshold (0.64)" and "a duplicate of <id>" are counted per kind of reason.
    const reason = kept.automate
      ? 'the supplier history'
      : kept.reason.replace(/ \([\d.]+\)$/, '').replace(/ of [0-9a-f-]{36}$/, '');
    const kind = perKind.get(doc.kind) ?? population();
    for (const p of isDistinct ? [all, distinct, kind] : [all, kind]) count(p, auto, score, reason);
    perKind.set(doc.kind, kind);
    if (isDistinct)
      distinctOutcomes.push(
        `- ${doc.id} (${doc.kind}): ${auto ? `validated automatically, ${score.wrong} of ${score.fields} fields wrong${score.wrongFields.length ? ` (${score.wrongFields.join('; ')})` : ''}` : `kept: ${kept.automate ? reason : kept.reason}`}; ${belowThreshold(processed.result, threshold)}`,
      );
    for (const w of requiredOnly) if (requiredOnlyPasses(processed, w.threshold)) addTo(w, score);
    for (const w of whatIf) if (decideLoosely(processed, w.threshold).automate) addTo(w, score);
  }
  // The documents the rates are over: those left out (a page of another invoice) are not in them.
  const scoredDocuments = documents.length - other.docs;
  const scoredLater = later.length - other.docs;
  const families = new Set(documents.map(familyOf)).size - otherDistinct;
  const lines = [
    '',
    `Straight-through processing at confident (threshold ${threshold}, minValidated ${minValidated}), dev corpus, non-XML documents`,
    '',
    '| kind | later documents | auto-validated | rate | fields checked | wrong fields | wrong rate |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...[...perKind.entries()].sort().map(([k, r]) => kindRow(k, r)),
    kindRow('all', all),
    '',
    'Per population: every rendition, and distinct invoices (one rendition per invoice family)',
    '',
    "| population | documents | supplier's first (a person's) | later | auto-validated | rate over later | rate over all | fields checked | wrong fields | wrong rate |",
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    populationRow('every rendition', scoredDocuments, firsts.length, all),
    populationRow('distinct invoices', families, firstFamilies, distinct),
    '',
    ...[['every rendition', all] as const, ['distinct invoices', distinct] as const].map(
      ([name, p]) =>
        `Wrong fields among the automated, ${name}: ${p.wrong} of ${p.fields} (${pct(p.wrong, p.fields).trim()}); ${p.unprintedWrong} of them (of ${p.unprintedFields} fields) are fields whose truth the page does not print (textLayerCheck.notFound: the copy shows other values than the XML the truth comes from); over the fields whose truth the page prints: ${p.wrong - p.unprintedWrong} of ${p.fields - p.unprintedFields} (${pct(p.wrong - p.unprintedWrong, p.fields - p.unprintedFields).trim()}).`,
    ),
    '',
    `Left out of every table here: ${other.docs} later documents whose page prints another invoice than their truth (the corpus's textLayerCheck finds none of the truth's values on it), ${other.auto} of them validated automatically; what was read there cannot be scored against a truth the page does not show, so they count neither as automated nor in the wrong fields:`,
    '',
    ...(otherOutcomes.length ? otherOutcomes : ['- none']),
    '',
    `Goal: >= 50% of non-XML documents automated with <= 0.5% wrong fields among them. Each supplier's first invoice is a person's here, so over distinct invoices at most ${later.length ? pct(families - firstFamilies, families).trim() : '-'} can be automated at minValidated >= 1.`,
    `First sight (the suppliers' first documents before any correction, minValidated 0): ${firstSight.docs} of ${firsts.length} would pass, ${firstSight.wrong} of ${firstSight.fields} fields wrong.`,
    '',
    `Why the later documents were kept for a person (first unmet condition at ${threshold}, supplier history left out):`,
    '',
    '| reason | every rendition | distinct invoices |',
    '|---|---:|---:|',
    ...[...all.reasons.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([reason, n]) => `| ${reason} | ${n} | ${distinct.reasons.get(reason) ?? 0} |`),
    '',
    'The distinct later invoices one by one:',
    '',
    ...distinctOutcomes,
    '',
    'What the field and finding conditions alone would admit (supplier history not required), later documents:',
    '',
    '| threshold | rule | documents | share | fields checked | wrong fields | wrong rate |',
    '|---:|---|---:|---:|---:|---:|---:|',
    ...WHAT_IF.flatMap((t, i) => [
      whatIfRow(t, 'every field (confident)', whatIf[i]!, scoredLater),
      whatIfRow(t, 'required fields only', requiredOnly[i]!, scoredLater),
    ]),
    '',
  ];
  return {
    documents: scoredDocuments,
    later: scoredLater,
    autoValidated: all.auto,
    fields: all.fields,
    wrongFields: all.wrong,
    output: lines.join('\n'),
  };
}

/** Later documents of one kind or population, what was automated, and why the rest was not. */
interface Population {
  docs: number;
  auto: number;
  fields: number;
  wrong: number;
  /** Of the fields and wrong fields, those whose truth the page does not print. */
  unprintedFields: number;
  unprintedWrong: number;
  reasons: Map<string, number>;
}

const population = (): Population => ({
  docs: 0,
  auto: 0,
  fields: 0,
  wrong: 0,
  unprintedFields: 0,
  unprintedWrong: 0,
  reasons: new Map(),
});

function count(p: Population, auto: boolean, score: Score, reason: string): void {
  p.docs += 1;
  if (auto) {
    p.auto += 1;
    p.fields += score.fields;
    p.wrong += score.wrong;
    p.unprintedFields += score.unprintedFields;
    p.unprintedWrong += score.unprintedWrong;
  } else p.reasons.set(reason, (p.reasons.get(reason) ?? 0) + 1);
}

function addTo(t: Tally, score: { fields: number; wrong: number }): void {
  t.docs += 1;
  t.fields += score.fields;
  t.wrong += score.wrong;
}

/** The fields below the threshold, with their confidence and source (whatever else kept the document). */
function belowThreshold(result: ExtractionResult, threshold: number): string {
  const weak = Object.entries(result.fields)
    .filter(([, f]) => f.confidence < threshold)
    .map(([name, f]) => `${name} ${f.confidence} ${f.source}`);
  const confirmed = Object.values(result.fields).filter((f) => f.confirmedBy).length;
  return `${confirmed} of ${Object.keys(result.fields).length} fields confirmed; below ${threshold}: ${weak.join(', ') || 'none'}`;
}

/** `confident`'s field, finding and duplicate conditions, the supplier's history left out. */
function decideLoosely(processed: Processed, threshold: number) {
  return decideAutomation(
    { level: 'confident', threshold, minValidated: 0, changedAt: null },
    processed.result,
    { duplicateOf: processed.duplicateOf, supplierValidated: 0 },
  );
}

function kindRow(kind: string, r: Population): string {
  return `| ${kind} | ${r.docs} | ${r.auto} | ${pct(r.auto, r.docs).trim()} | ${r.fields} | ${r.wrong} | ${pct(r.wrong, r.fields).trim()} |`;
}

function populationRow(name: string, documents: number, firsts: number, r: Population): string {
  return `| ${name} | ${documents} | ${firsts} | ${r.docs} | ${r.auto} | ${pct(r.auto, r.docs).trim()} | ${pct(r.auto, documents).trim()} | ${r.fields} | ${r.wrong} | ${pct(r.wrong, r.fields).trim()} |`;
}

if (process.argv[1]?.endsWith('straight-through.ts')) {
  expectOptions({ values: ['corpus', 'threshold', 'min-validated'] });
  const log = benchLog('bench:stp');
  const cleanups = new Cleanups(log);
  runBenchmark({
    log,
    cleanups,
    deadlineMs: 30 * 60_000,
    async run() {
      const corpusDir = argValue('corpus', '../shared/corpus/dev');
      if ('missing' in readCorpus(corpusDir)) {
        return {
          output: `no corpus at ${corpusDir}: nothing to measure (the dev corpus lives in ../shared/corpus/dev)`,
        };
      }
      const stack = await startBenchStack({
        name: 'stp',
        runId: randomBytes(4).toString('hex'),
        blobContainerPrefix: 'benchstp',
        extraEnv: {},
        cleanups,
        log,
      });
      const api = await startApi({ entry: chooseEntry('main-api'), env: stack.env, cleanups, log });
      spawnService({ label: 'the worker', entry: chooseEntry('main-worker'), env: stack.env, cleanups, log });
      const report = await measureStraightThrough({
        baseUrl: api.baseUrl,
        corpusDir,
        log,
        threshold: Number(argValue('threshold', String(DEFAULT_AUTOMATION_THRESHOLD))),
        minValidated: Number(argValue('min-validated', String(DEFAULT_MIN_VALIDATED))),
      });
      return { output: report.output };
    },
  });
}
