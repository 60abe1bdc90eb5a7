/**
 * Learning benchmark: does a correction help on the supplier's next documents? Through the real
 * pipeline (the API and a worker as child processes, a fresh PostgreSQL database, Redis, Azurite)
 * over the dev corpus's documents without XML (plain and visual-only PDFs, images):
 *
 *   npm run bench:learning [-- --corpus ../shared/corpus/dev]
 *
 * Suppliers are grouped by the ground truth's seller identity (VAT ID, else company id, else name).
 * Firm A ("with learning"): for every supplier with at least two documents, the first is uploaded
 * and corrected from the ground truth through the API (PATCH extraction: every field whose truth
 * the engine missed), then the rest are uploaded. Firm B ("without learning") gets the same later
 * documents and corrects nothing. Documents of suppliers with a single document go to both firms
 * after A's corrections, to show nothing drops for suppliers that taught nothing.
 *
 * Prints per kind the field accuracy on the later documents in A and B and the corrections a
 * person would still make, the accuracy of the fields corrected on the first document (goal ≥ 98 %
 * in A; every miss listed with what was read instead and whether the later page prints the truth
 * at all, from the corpus's `textLayerCheck`, and the most any engine can reach where some truths
 * are on no page: `beyondReach`), and per field whether any accuracy drops for
 * suppliers without corrections (goal: none). Then the values firm A was given from a profile
 * although the page does not print them (no bbox), scored against the truth: an XML-derived truth
 * without the field says the invoice has none, so such a fill counts as wrong.
 *
 *   --no-straight-through   leaves out the straight-through section (under a minute) while iterating
 *
 * Exits 0 when the run completed (a FAIL is a result), 1 when something broke or it took longer
 * than 40 minutes.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FIELD_NAMES } from '../src/extraction/model.js';
import { EXTRACTION_QUEUE } from '../src/modules/extractions/extractions.jobs.js';
import { createQueue } from '../src/platform/queue.js';
import {
  expectedValue as truthOf,
  printedOnPage,
  printsAnotherInvoice,
  readCorpus,
  sameValue,
  truthDiffs,
  type CorpusEntry as Entry,
} from './corpus-scoring.js';
import { measureStraightThrough } from './straight-through.js';
import {
  BenchError,
  benchLog,
  call,
  chooseEntry,
  Cleanups,
  REDIS_URL,
  runBenchmark,
  signUp,
  spawnService,
  startApi,
  startBenchStack,
  waitUntil,
} from './support.js';
import { argValue, expectOptions, hasFlag } from './cli-args.js';

expectOptions({ values: ['corpus'], flags: ['no-straight-through'] });
const log = benchLog('bench:learning');
const cleanups = new Cleanups(log);
const corpusDir = argValue('corpus', '../shared/corpus/dev');

/** Kinds read from the page (no XML): where learning can matter. */
const PAGE_KINDS = new Set(['pdf-visual-only', 'pdf-text', 'image']);
const GOAL_CORRECTED_RIGHT = 0.98;
const FINAL = new Set(['extracted', 'needs_review', 'failed', 'validated', 'exported']);
const EXTRACTION_WAIT_MS = 180_000;

type Fields = Record<string, { value: string; source: string; bbox?: unknown } | undefined>;

interface Firm {
  readonly name: string;
  readonly token: string;
}

interface Api {
  readonly baseUrl: string;
}

const CONTENT_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
};

function supplierKey(entry: Entry): string {
  const key = (v: string | undefined) => (v ?? '').toUpperCase().replace(/[^A-Z0-9]/g, '');
  const vat = key(truthOf(entry.expected, 'seller.vatId'));
  const company = key(truthOf(entry.expected, 'seller.companyId'));
  const name = (truthOf(entry.expected, 'seller.name') ?? '').toLowerCase().replace(/\s+/g, ' ').trim();
  return vat ? `vat:${vat}` : company ? `company:${company}` : name ? `name:${name}` : '';
}

async function api(
  base: Api,
  firm: Firm,
  method: string,
  path: string,
  body?: Buffer,
  contentType = 'application/json',
) {
  return call(new URL(path, base.baseUrl), {
    method,
    headers: { authorization: `Bearer ${firm.token}`, ...(body ? { 'content-type': contentType } : {}) },
    ...(body ? { body } : {}),
  });
}

/** Uploads a corpus file and waits for its extraction; returns the document id and its fields. */
async function extractThroughApi(
  base: Api,
  firm: Firm,
  entry: Entry,
): Promise<{ id: string; fields: Fields }> {
  const bytes = readFileSync(join(corpusDir, entry.file));
  const ext = entry.file.split('.').pop()!.toLowerCase();
  const up = await api(
    base,
    firm,
    'POST',
    `/v1/documents?filename=${encodeURIComponent(entry.file.split('/').pop()!)}`,
    bytes,
    CONTENT_TYPES[ext] ?? 'application/octet-stream',
  );
  if (up.status !== 201 && up.status !== 200)
    throw new BenchError(
      `upload of ${entry.id} to ${firm.name}: HTTP ${up.status} ${JSON.stringify(up.json)}`,
    );
  const id = (up.json as { id: string }).id;
  const started = Date.now();
  for (;;) {
    const doc = await api(base, firm, 'GET', `/v1/documents/${id}`);
    const status = (doc.json as { status: string }).status;
    if (FINAL.has(status)) break;
    if (Date.now() - started > EXTRACTION_WAIT_MS)
      throw new BenchError(
        `${entry.id} in ${firm.name}: still ${status} after ${EXTRACTION_WAIT_MS / 1000} s`,
      );
    await sleep(200);
  }
  const extraction = await api(base, firm, 'GET', `/v1/documents/${id}/extraction`);
  if (extraction.status !== 200) return { id, fields: {} };
  return { id, fields: (extraction.json as { result: { fields: Fields } }).result.fields };
}

/**
 * Corrects the document from the ground truth. A value the API refuses (e.g. a seller tax id
 * without an EU prefix, until corrections accept what the document says) is left out and counted.
 */
async function correctFromTruth(base: Api, firm: Firm, id: string, entry: Entry, fields: Fields) {
  let corrections = Object.fromEntries(truthDiffs(entry, fields).map((w) => [w.field, w.truth]));
  const refused: string[] = [];
  for (let attempt = 0; attempt < 3 && Object.keys(corrections).length > 0; attempt++) {
    const res = await api(
      base,
      firm,
      'PATCH',
      `/v1/documents/${id}/extraction`,
      Buffer.from(JSON.stringify({ fields: corrections })),
    );
    if (res.status === 200) return { corrected: Object.keys(corrections), refused };
    const problems = ((res.json as { errors?: { field: string }[] }).errors ?? []).map((e) =>
      e.field.replace(/^body\.fields\./, ''),
    );
    if (res.status !== 400 || problems.length === 0)
      throw new BenchError(`correction of ${entry.id}: HTTP ${res.status} ${JSON.stringify(res.json)}`);
    refused.push(...problems);
    corrections = Object.fromEntries(Object.entries(corrections).filter(([f]) => !problems.includes(f)));
  }
  return { corrected: Object.keys(corrections), refused };
}

type Tally = { ok: number; n: number };
const tally = (): Tally => ({ ok: 0, n: 0 });
const pct = (t: Tally) => (t.n === 0 ? '    -' : `${((100 * t.ok) / t.n).toFixed(1).padStart(5)}%`);

/** A value given from a supplier profile that the page does not print: learned, with no place. */
const isFilledFromProfile = (f: Fields[string]): f is NonNullable<Fields[string]> =>
  f?.source === 'learned' && f.bbox === undefined;

/**
 * Fields that can stay the same from one invoice of a supplier to the next, so a profile could in
 * principle carry them to a page that does not print them. Every other field (number, dates,
 * totals, payment reference) belongs to one invoice: where the page does not print it, no engine
 * and no profile can give its truth.
 */
const SUPPLIER_CONSTANT_FIELDS = new Set([
  'seller.name',
  'seller.vatId',
  'seller.companyId',
  'payment.iban',
  'currency',
  'buyer.name',
  'buyer.vatId',
]);

/**
 * Whether a corrected field's truth is out of every engine's reach on this later document: the page
 * does not print it, and either it belongs to one invoice or the page shows another invoice (whose
 * own parties it prints, so nothing on it points to the truth's supplier). An upper bound for the
 * goal, printed beside it.
 */
const beyondReach = (entry: Entry, field: string): boolean =>
  printedOnPage(entry, field) === false &&
  (!SUPPLIER_CONSTANT_FIELDS.has(field) || printsAnotherInvoice(entry));

/** Truth taken from an invoice's XML lists every field the invoice has: a field absent there has no value. */
const truthIsComplete = (entry: Entry): boolean =>
  /^embedded-xml/.test((entry as { truthSource?: string }).truthSource ?? '');

interface Scored {
  readonly entry: Entry;
  readonly group: 'later-corrected' | 'later-uncorrected' | 'single';
  /** Fields corrected on the supplier's first document (in firm A). */
  readonly taught: readonly string[];
  readonly withLearning: Fields;
  readonly withoutLearning: Fields;
}

/**
 * Straight-through processing at the `confident` level (bench/straight-through.ts): a firm of its
 * own, whose first document of each supplier a person corrects and validates (which also teaches
 * that firm's supplier profiles), then the rest of the non-XML documents.
 */
async function straightThroughSection(base: Api): Promise<string> {
  const measured = await measureStraightThrough({ baseUrl: base.baseUrl, corpusDir, log });
  return `\n${measured.output}`;
}

function report(
  scored: readonly Scored[],
  firstDocs: number,
  corrections: number,
  refused: string[],
): string {
  const kinds = [...new Set(scored.map((s) => s.entry.kind))].sort();
  const lines: string[] = [
    '',
    `Learning from corrections (${corpusDir}, documents without XML): ${firstDocs} first documents corrected in firm A (${corrections} field corrections${refused.length ? `; refused by the API: ${refused.join(', ')}` : ''})`,
    '',
    'Later documents of corrected suppliers (firm A learned, firm B did not):',
    '',
    '| kind | docs | field accuracy without | with learning | corrections without | with learning | corrected fields right without | with learning |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const later = scored.filter((s) => s.group !== 'single');
  const totals = { docs: 0, a: tally(), b: tally(), fixA: 0, fixB: 0, ca: tally(), cb: tally() };
  const misses: string[] = [];
  const printed = tally();
  const unprinted = tally();
  let outOfReach = 0;
  for (const kind of [...kinds, 'all']) {
    const rows = later.filter((s) => kind === 'all' || s.entry.kind === kind);
    if (rows.length === 0) continue;
    const a = tally();
    const b = tally();
    const ca = tally();
    const cb = tally();
    let fixA = 0;
    let fixB = 0;
    for (const s of rows) {
      for (const field of FIELD_NAMES) {
        const truth = truthOf(s.entry.expected, field);
        if (truth === undefined) continue;
        const okA = sameValue(field, truth, s.withLearning[field]?.value);
        const okB = sameValue(field, truth, s.withoutLearning[field]?.value);
        a.n++;
        b.n++;
        if (okA) a.ok++;
        else fixA++;
        if (okB) b.ok++;
        else fixB++;
        if (s.taught.includes(field)) {
          ca.n++;
          cb.n++;
          if (okA) ca.ok++;
          if (okB) cb.ok++;
          const onPage = printedOnPage(s.entry, field);
          if (kind === 'all') {
            if (beyondReach(s.entry, field)) outOfReach++;
            const split = onPage === false ? unprinted : printed;
            split.n++;
            if (okA) split.ok++;
            else {
              const got = s.withLearning[field];
              misses.push(
                `| ${s.entry.id} | ${(truthOf(s.entry.expected, 'seller.name') ?? '-').replace(/\s+/g, ' ')} | ${field} | ${JSON.stringify(truth)} | ${got ? JSON.stringify(got.value) : '-'} | ${got?.source ?? '-'} | ${onPage === undefined ? 'not checked' : onPage ? 'yes' : 'no'} |`,
              );
            }
          }
        }
      }
    }
    if (kind === 'all') Object.assign(totals, { docs: rows.length, a, b, fixA, fixB, ca, cb });
    lines.push(
      `| ${kind} | ${rows.length} | ${pct(b)} | ${pct(a)} | ${fixB} | ${fixA} | ${pct(cb)} (${cb.ok}/${cb.n}) | ${pct(ca)} (${ca.ok}/${ca.n}) |`,
    );
  }
  // No drop for suppliers that taught nothing: their documents in A against the same in B, per field.
  const untaught = scored.filter((s) => s.group !== 'later-corrected');
  const drops: string[] = [];
  const perField: string[] = [];
  for (const field of FIELD_NAMES) {
    const a = tally();
    const b = tally();
    for (const s of untaught) {
      const truth = truthOf(s.entry.expected, field);
      if (truth === undefined) continue;
      a.n++;
      b.n++;
      if (sameValue(field, truth, s.withLearning[field]?.value)) a.ok++;
      if (sameValue(field, truth, s.withoutLearning[field]?.value)) b.ok++;
    }
    if (a.n === 0) continue;
    perField.push(`| ${field} | ${a.n} | ${pct(b)} | ${pct(a)} |`);
    if (a.ok < b.ok) drops.push(`${field} (${b.ok} → ${a.ok} of ${a.n})`);
  }
  const rate = totals.ca.n === 0 ? 1 : totals.ca.ok / totals.ca.n;
  const reachable = totals.ca.n - outOfReach;
  const ceiling = totals.ca.n === 0 ? 1 : reachable / totals.ca.n;
  const printedRate = printed.n === 0 ? 1 : printed.ok / printed.n;
  if (misses.length > 0)
    lines.push(
      '',
      'Corrected fields still wrong on later documents in firm A (printed: whether the later page prints the truth at all, per the corpus textLayerCheck):',
      '',
      '| document | supplier (truth) | field | truth | firm A | source | printed |',
      '|---|---|---|---|---|---|---|',
      ...misses,
    );
  lines.push(
    '',
    `Suppliers without corrections (${untaught.length} documents: single-document suppliers and suppliers whose first document needed none), per field:`,
    '',
    '| field | docs with truth | firm B (no learning) | firm A (learned from others) |',
    '|---|---:|---:|---:|',
    ...perField,
    '',
    `Goal: on later documents of a corrected supplier ≥ ${GOAL_CORRECTED_RIGHT * 100} % of the fields corrected on its first document are right: ` +
      `${(rate * 100).toFixed(1)} % (${totals.ca.ok}/${totals.ca.n}) ${rate >= GOAL_CORRECTED_RIGHT ? 'PASS' : 'FAIL'}`,
    `  split by whether the later page prints the truth (corpus textLayerCheck; not checked counts as printed): ` +
      `printed ${(printedRate * 100).toFixed(1)} % (${printed.ok}/${printed.n}) ${printedRate >= GOAL_CORRECTED_RIGHT ? 'PASS' : 'FAIL'}; ` +
      `not printed ${pct(unprinted).trim()} (${unprinted.ok}/${unprinted.n}: right only where the profile fills a value the page lacks)`,
    `  the most any engine can reach on these documents: ${(ceiling * 100).toFixed(1)} % (${reachable}/${totals.ca.n}); ` +
      `${outOfReach} corrected field${outOfReach === 1 ? '' : 's'} the later page does not print and no profile can carry ` +
      `(a field of one invoice, or a page that prints another invoice)${ceiling < GOAL_CORRECTED_RIGHT ? ': the goal cannot be met on this corpus' : ''}`,
    `Goal: no field's accuracy drops for suppliers without corrections: ${drops.length === 0 ? 'PASS' : `FAIL (${drops.join(', ')})`}`,
    ...fillsSection(scored),
  );
  return lines.join('\n') + '\n';
}

/** Values firm A got from a profile although the page does not print them, against the truth. */
function fillsSection(scored: readonly Scored[]): string[] {
  const rows = new Map<string, { right: number; wrong: number; none: number; unknown: number }>();
  for (const s of scored) {
    for (const field of FIELD_NAMES) {
      const got = s.withLearning[field];
      if (!isFilledFromProfile(got)) continue;
      const row = rows.get(field) ?? { right: 0, wrong: 0, none: 0, unknown: 0 };
      const truth = truthOf(s.entry.expected, field);
      if (truth !== undefined) row[sameValue(field, truth, got.value) ? 'right' : 'wrong']++;
      else row[truthIsComplete(s.entry) ? 'none' : 'unknown']++;
      rows.set(field, row);
    }
  }
  return [
    '',
    'Values firm A was given from a supplier profile although the page does not print them (source learned, no bbox, finding filled_from_supplier_profile):',
    '',
    '| field | filled | right | wrong | invoice has none (XML truth) | truth unknown |',
    '|---|---:|---:|---:|---:|---:|',
    ...(rows.size === 0
      ? ['| (none) | 0 | 0 | 0 | 0 | 0 |']
      : [...rows].map(
          ([f, r]) =>
            `| ${f} | ${r.right + r.wrong + r.none + r.unknown} | ${r.right} | ${r.wrong} | ${r.none} | ${r.unknown} |`,
        )),
  ];
}

runBenchmark({
  log,
  cleanups,
  deadlineMs: 40 * 60_000,
  async run() {
    if (!existsSync(join(corpusDir, 'manifest.json')))
      return { output: `bench:learning skipped: no corpus at ${corpusDir} (manifest.json missing)\n` };
    const corpus = readCorpus(corpusDir);
    if ('missing' in corpus) throw new Error(corpus.missing);
    const pageDocs = corpus.documents.filter((e) => PAGE_KINDS.has(e.kind) && supplierKey(e));
    const bySupplier = new Map<string, Entry[]>();
    for (const entry of pageDocs)
      bySupplier.set(supplierKey(entry), [...(bySupplier.get(supplierKey(entry)) ?? []), entry]);
    const repeated = [...bySupplier.values()].filter((docs) => docs.length >= 2);
    const singles = [...bySupplier.values()].filter((docs) => docs.length === 1).flat();
    log(
      `${pageDocs.length} documents without XML, ${bySupplier.size} suppliers, ${repeated.length} with ≥ 2 documents`,
    );

    const stack = await startBenchStack({
      name: 'learning',
      runId: randomBytes(4).toString('hex'),
      blobContainerPrefix: 'benchlearn',
      extraEnv: { LOG_LEVEL: 'warn' },
      cleanups,
      log,
    });
    const base = await startApi({ entry: chooseEntry('main-api'), env: stack.env, cleanups, log });
    const worker = spawnService({
      label: 'worker',
      entry: chooseEntry('main-worker'),
      env: stack.env,
      cleanups,
      log,
    });
    const queue = createQueue({ redisUrl: REDIS_URL, keyPrefix: stack.redisPrefix }, EXTRACTION_QUEUE);
    try {
      await waitUntil(worker, 'the worker', async () => (await queue.getWorkersCount()) >= 1);
    } finally {
      await queue.close();
    }
    const withLearning: Firm = { name: 'firm A', token: (await signUp(base.baseUrl)).token };
    await sleep(5); // sign-up e-mails are made of the clock
    const withoutLearning: Firm = { name: 'firm B', token: (await signUp(base.baseUrl)).token };

    // 1. Firm A: each repeated supplier's first document, corrected from the truth.
    const taught = new Map<string, string[]>();
    let corrections = 0;
    const refused: string[] = [];
    for (const docs of repeated) {
      const first = docs[0]!;
      const done = await extractThroughApi(base, withLearning, first);
      const result = await correctFromTruth(base, withLearning, done.id, first, done.fields);
      taught.set(supplierKey(first), result.corrected);
      corrections += result.corrected.length;
      refused.push(...result.refused.map((f) => `${first.id}:${f}`));
      log(`${first.id} (${first.kind}): corrected ${result.corrected.join(', ') || 'nothing'}`);
    }
    // 2. The later documents and the single-document suppliers, in both firms.
    const scored: Scored[] = [];
    const later = repeated.flatMap((docs) => docs.slice(1));
    for (const entry of [...later, ...singles]) {
      const fieldsTaught = taught.get(supplierKey(entry)) ?? [];
      const a = await extractThroughApi(base, withLearning, entry);
      const b = await extractThroughApi(base, withoutLearning, entry);
      const group = singles.includes(entry)
        ? 'single'
        : fieldsTaught.length
          ? 'later-corrected'
          : 'later-uncorrected';
      scored.push({ entry, group, taught: fieldsTaught, withLearning: a.fields, withoutLearning: b.fields });
      const learned = Object.entries(a.fields)
        .filter(([, f]) => f?.source === 'learned')
        .map(([n]) => n);
      log(
        `${entry.id} (${entry.kind}, ${group}): wrong A ${truthDiffs(entry, a.fields).length}, B ${truthDiffs(entry, b.fields).length}; learned ${learned.join(', ') || '-'}`,
      );
    }
    const output =
      report(scored, repeated.length, corrections, refused) +
      (hasFlag('no-straight-through') ? '' : await straightThroughSection(base));
    return { output };
  },
});
