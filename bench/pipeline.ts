/**
 * Pipeline benchmark: upload -> queue -> worker extraction, end to end, with real processes. It
 * starts an in-memory Azurite, a fresh PostgreSQL database, the API and W worker processes, signs
 * up one firm, uploads N small unique invoices over HTTP (mostly UBL / CII XML, every fifth a
 * text-layer PDF) and watches the database until every document has left stored / queued /
 * extracting. It prints throughput, upload-to-final latency, the final statuses, and two checks:
 * nothing lost, no document extracted twice.
 *
 *   npm run bench:pipeline [-- --documents 1000 --workers 2 --extraction-concurrency 2 --upload-concurrency 8]
 *
 * Exits 0 when the run completed and both checks held, 1 (after printing the table) when a check
 * failed, and 1 with a message when something broke or the run took longer than 8 minutes.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { EXTRACTION_QUEUE } from '../src/modules/extractions/extractions.jobs.js';
import { createQueue } from '../src/platform/queue.js';
import { SAMPLE, type FixtureInvoice } from '../test/unit/extraction/fixtures/invoice-model.js';
import {
  englishLayout,
  germanLayout,
  textInvoicePdfBytes,
} from '../test/unit/extraction/fixtures/pdf-fixtures.js';
import { ciiXml, ublXml } from '../test/unit/extraction/fixtures/xml-fixtures.js';
import {
  BenchError,
  benchLog,
  call,
  chooseEntry,
  Cleanups,
  cpuSeconds,
  OWNER_SERVER_URL,
  quantile,
  REDIS_URL,
  runBenchmark,
  signUp,
  spawnService,
  startApi,
  stopChild,
  waitUntil,
  type ChildService,
  startBenchStack,
} from './support.js';
import { chainLag, formatLag, type ChainLag } from './audit-lag.js';

const DEADLINE_MS = 8 * 60_000;
const POLL_MS = 100;
/**
 * When no document changed status for this long after the last upload, the rest count as lost.
 * Longer than the reconciler's period (60 s) plus its grace for never-queued documents (30 s).
 */
const STALL_MS = 100_000;
const PROGRESS_EVERY_MS = 5_000;
const FINAL = ['extracted', 'needs_review', 'failed'] as const;
const FINAL_ACTIONS: Record<string, string> = {
  'document.extracted': 'extracted',
  'document.needs_review': 'needs_review',
  'document.failed': 'failed',
};

const log = benchLog('bench:pipeline');
const cleanups = new Cleanups(log);

// --- options ------------------------------------------------------------------------------------

interface Options {
  readonly documents: number;
  /** One entry: a single run (the original mode). Several: the scaling mode, one run per count. */
  readonly workerCounts: readonly number[];
  readonly extractionConcurrency: number;
  readonly uploadConcurrency: number;
}

const isScaling = (options: Options) => options.workerCounts.length > 1;

/**
 * `--workers` takes one count (one run, everything at once: the original mode) or a list such as
 * `1,2,4` (the scaling mode, also the default). The other defaults follow the mode: the scaling
 * mode runs a smaller batch per count with one job per worker, so that "a worker" is one process
 * taking one extraction job at a time.
 */
function parseOptions(argv: readonly string[]): Options {
  const limits = new Map<string, { min: number; max: number }>([
    ['documents', { min: 1, max: 100_000 }],
    ['workers', { min: 1, max: 32 }],
    ['extraction-concurrency', { min: 1, max: 64 }],
    ['upload-concurrency', { min: 1, max: 256 }],
  ]);
  const given = new Map<string, number[]>();
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]?.replace(/^--/, '') ?? '';
    const limit = limits.get(name);
    const raw = argv[i + 1] ?? '';
    if (!argv[i]?.startsWith('--') || !limit)
      throw new BenchError(
        `unknown argument "${argv[i]}"; use --${[...limits.keys()].join(' N, --')} N (--workers also 1,2,4)`,
      );
    const values = (name === 'workers' ? raw.split(',') : [raw]).map(Number);
    if (values.some((v) => !Number.isInteger(v) || v < limit.min || v > limit.max))
      throw new BenchError(
        `--${name} needs ${name === 'workers' ? 'integers' : 'an integer'} from ${limit.min} to ${limit.max}, got "${raw}"`,
      );
    given.set(name, values);
  }
  const workerCounts = given.get('workers') ?? [1, 2, 4];
  const scaling = workerCounts.length > 1;
  const get = (name: string, fallback: number) => given.get(name)?.[0] ?? fallback;
  return {
    documents: get('documents', scaling ? 400 : 1000),
    workerCounts,
    extractionConcurrency: get('extraction-concurrency', scaling ? 1 : 2),
    uploadConcurrency: get('upload-concurrency', 8),
  };
}

// --- the documents ------------------------------------------------------------------------------

type Kind = 'ubl' | 'cii' | 'pdf';

interface Upload {
  readonly index: number;
  readonly kind: Kind;
  readonly filename: string;
  readonly contentType: string;
  readonly bytes: Buffer;
}

/** 40% UBL, 40% CII, 20% text-layer PDF; each with its own invoice number, so none is a duplicate. */
async function makeDocuments(count: number, runId: string): Promise<Upload[]> {
  const uploads: Upload[] = [];
  for (let index = 0; index < count; index++) {
    const invoice: FixtureInvoice = {
      ...SAMPLE,
      number: `B-${runId}-${String(index).padStart(6, '0')}`,
      reference: String(10_000_000 + index),
    };
    const slot = index % 5;
    const kind: Kind = slot === 4 ? 'pdf' : slot % 2 === 0 ? 'ubl' : 'cii';
    const name = `invoice-${String(index).padStart(6, '0')}`;
    if (kind === 'pdf') {
      const layout = index % 10 === 4 ? germanLayout(invoice) : englishLayout(invoice);
      uploads.push({
        index,
        kind,
        filename: `${name}.pdf`,
        contentType: 'application/pdf',
        bytes: Buffer.from(await textInvoicePdfBytes(layout)),
      });
    } else {
      uploads.push({
        index,
        kind,
        filename: `${name}.xml`,
        contentType: 'application/xml',
        bytes: Buffer.from(kind === 'ubl' ? ublXml(invoice) : ciiXml(invoice), 'utf8'),
      });
    }
  }
  return uploads;
}

interface Uploaded {
  readonly id: string;
  readonly kind: Kind;
  readonly startedAt: number;
  /** Wall-clock ms when the 201 answer had arrived (comparable with audit occurred_at). */
  readonly doneAt: number;
}

/** Uploads everything with `concurrency` requests in flight over keep-alive connections. */
async function uploadAll(
  baseUrl: string,
  token: string,
  uploads: readonly Upload[],
  concurrency: number,
  onUploaded: (u: Uploaded) => void,
): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const lane = async () => {
    for (let upload = uploads[next++]; upload; upload = uploads[next++]) {
      const startedAt = Date.now();
      const url = new URL(`/v1/documents?filename=${encodeURIComponent(upload.filename)}`, baseUrl);
      const result = await call(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': upload.contentType },
        body: upload.bytes,
        agent,
      });
      if (result.status !== 201) {
        throw new BenchError(
          `upload of ${upload.filename}: expected HTTP 201 (a new document), got ${result.status}: ` +
            JSON.stringify(result.json).slice(0, 300),
        );
      }
      onUploaded({
        id: (result.json as { id: string }).id,
        kind: upload.kind,
        startedAt,
        doneAt: Date.now(),
      });
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, lane));
  } finally {
    agent.destroy();
  }
}

// --- watching the database ----------------------------------------------------------------------

interface WatchResult {
  readonly counts: Record<string, number>;
  readonly stalled: boolean;
  readonly polls: number;
  /** Sessions of the run's database, summed over the polls (divide by `polls` for the mean). */
  readonly sessions: { active: number; advisoryWaits: number; otherLockWaits: number };
}

/**
 * The status counts and, in the same statement, what the run's database sessions were doing: the
 * only advisory lock taken at run time is the per-tenant audit-chain lock.
 */
const POLL_SQL = `
  SELECT coalesce((SELECT json_object_agg(status, n)
                     FROM (SELECT status, count(*)::int AS n FROM documents GROUP BY status) s), '{}') AS counts,
         count(*) FILTER (WHERE a.state = 'active')::int AS active,
         count(*) FILTER (WHERE a.wait_event_type = 'Lock' AND a.wait_event = 'advisory')::int AS advisory_waits,
         count(*) FILTER (WHERE a.wait_event_type = 'Lock' AND a.wait_event <> 'advisory')::int AS other_lock_waits
    FROM pg_stat_activity a
   WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()`;

/**
 * One status query per POLL_MS until the uploads are done and no document is stored, queued or
 * extracting; or until nothing changed for STALL_MS after the last upload.
 */
async function watch(
  db: pg.Client,
  uploadsDone: () => { done: boolean; count: number },
): Promise<WatchResult> {
  let lastSignature = '';
  let lastChange = Date.now();
  let lastProgress = 0;
  let polls = 0;
  const sessions = { active: 0, advisoryWaits: 0, otherLockWaits: 0 };
  for (;;) {
    const started = Date.now();
    const { rows } = await db.query<{
      counts: Record<string, number>;
      active: number;
      advisory_waits: number;
      other_lock_waits: number;
    }>(POLL_SQL);
    const row = rows[0];
    if (!row) throw new BenchError('the status poll returned no row');
    polls += 1;
    sessions.active += row.active;
    sessions.advisoryWaits += row.advisory_waits;
    sessions.otherLockWaits += row.other_lock_waits;
    const counts = row.counts;
    const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
    const unfinished = total - FINAL.reduce((sum, status) => sum + (counts[status] ?? 0), 0);
    const signature = JSON.stringify(counts);
    const uploads = uploadsDone();
    if (signature !== lastSignature) {
      lastSignature = signature;
      lastChange = Date.now();
    }
    if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = Date.now();
      log(`uploaded ${uploads.count}; statuses ${signature}`);
    }
    if (uploads.done && total >= uploads.count && unfinished === 0)
      return { counts, stalled: false, polls, sessions };
    if (uploads.done && Date.now() - lastChange > STALL_MS) {
      log(`no status changed for ${STALL_MS / 1000} s; giving up on ${unfinished} unfinished documents`);
      return { counts, stalled: true, polls, sessions };
    }
    await sleep(Math.max(0, POLL_MS - (Date.now() - started)));
  }
}

interface DocumentRow {
  readonly id: string;
  readonly status: string;
  readonly processing_run_id: string | null;
  readonly failure_reason: string | null;
  readonly updated_at: Date;
  readonly extractions: number;
  readonly max_version: number | null;
  readonly run_matches: boolean;
}

interface EventRow {
  readonly target_id: string;
  readonly action: string;
  readonly occurred_at: Date;
  /** Insert order: audit events are chained (get their seq) only shortly after commit. */
  readonly ingest_id: string;
}

/** BullMQ's own timestamps of a finished job (the queue keeps the last 200 completed ones). */
interface JobTimes {
  readonly addedAt: number;
  readonly processedOn?: number | undefined;
  readonly finishedOn?: number | undefined;
}

interface Facts {
  readonly documents: DocumentRow[];
  readonly events: EventRow[];
  readonly duplicated: Array<{ document_id: string; n: number }>;
  readonly jobs: Map<string, JobTimes>;
}

async function collectJobTimes(redisPrefix: string): Promise<Map<string, JobTimes>> {
  const queue = createQueue({ redisUrl: REDIS_URL, keyPrefix: redisPrefix }, EXTRACTION_QUEUE);
  try {
    const jobs = await queue.getJobs(['completed', 'failed'], 0, -1);
    const times = new Map<string, JobTimes>();
    for (const job of jobs) {
      const documentId = (job.data as { documentId?: string }).documentId;
      if (documentId)
        times.set(documentId, {
          addedAt: job.timestamp,
          processedOn: job.processedOn,
          finishedOn: job.finishedOn,
        });
    }
    return times;
  } finally {
    await queue.close();
  }
}

async function collectFacts(db: pg.Client, redisPrefix: string): Promise<Facts> {
  const documents = await db.query<DocumentRow>(
    `SELECT d.id, d.status, d.processing_run_id, d.failure_reason, d.updated_at,
            count(e.id)::int AS extractions, max(e.version) AS max_version,
            coalesce(bool_or(e.run_id = d.processing_run_id), false) AS run_matches
       FROM documents d LEFT JOIN extractions e ON e.document_id = d.id
      GROUP BY d.id`,
  );
  const events = await db.query<EventRow>(
    `SELECT target_id, action, occurred_at, ingest_id::text AS ingest_id
       FROM audit_events
      WHERE target_type = 'document'
        AND action IN ('document.queued', 'document.extracting', 'document.extracted',
                       'document.needs_review', 'document.failed')
      ORDER BY ingest_id`,
  );
  const duplicated = await db.query<{ document_id: string; n: number }>(
    'SELECT document_id, count(*)::int AS n FROM extractions GROUP BY 1 HAVING count(*) > 1',
  );
  return {
    documents: documents.rows,
    events: events.rows,
    duplicated: duplicated.rows,
    jobs: await collectJobTimes(redisPrefix),
  };
}

/** CPU seconds of the PostgreSQL backends connected to this database (when /proc shows them). */
async function postgresCpu(db: pg.Client, database: string): Promise<number | undefined> {
  const { rows } = await db.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [database],
  );
  try {
    return rows.reduce((sum, r) => sum + cpuSeconds(r.pid), 0);
  } catch {
    return undefined;
  }
}

// --- analysis and report ------------------------------------------------------------------------

/** Documents a worker started after some document uploaded at least 1 s later (FIFO violations). */
function overtaken(perDocument: readonly PerDocument[]): number {
  const started = perDocument
    .flatMap((d) =>
      d.wait === undefined ? [] : [{ up: d.uploaded.doneAt, start: d.uploaded.doneAt + d.wait }],
    )
    .sort((a, b) => a.up - b.up);
  const suffixMin: number[] = new Array<number>(started.length + 1).fill(Number.POSITIVE_INFINITY);
  for (let i = started.length - 1; i >= 0; i--)
    suffixMin[i] = Math.min(suffixMin[i + 1] as number, (started[i] as { start: number }).start);
  let count = 0;
  let j = 0;
  for (const doc of started) {
    while (j < started.length && (started[j] as { up: number }).up < doc.up + 1_000) j++;
    if ((suffixMin[j] as number) < doc.start) count++;
  }
  return count;
}

interface PerDocument {
  readonly uploaded: Uploaded;
  readonly status: string;
  /** ms from the 201 answer to the first final audit event. */
  readonly latency?: number;
  /** ms from the 201 answer to the worker's (last) `document.extracting` before the final event. */
  readonly wait?: number;
  /** ms from that `document.extracting` to the final event. */
  readonly processing?: number;
  readonly finalAt?: number;
  /** Phases (ms) for documents whose BullMQ job was still kept at the end. */
  readonly phases?: Phases;
}

interface Phases {
  /** Job added -> the 201 answer arrived (the API marks the document queued, then reads it back). */
  readonly apiAfterEnqueue: number;
  /** Job added -> a worker took it. */
  readonly inRedis: number;
  /** Worker took the job -> `document.extracting` recorded. */
  readonly workerStart: number;
  /** `document.extracting` -> the final event (read, decrypt, extract, store). */
  readonly extracting: number;
  /** Final event -> BullMQ marked the job finished. */
  readonly finish: number;
}

interface Analysis {
  readonly perDocument: PerDocument[];
  readonly byStatus: Record<string, number>;
  readonly lost: string[];
  readonly duplicated: string[];
  readonly missingVersion: string[];
  readonly anomalies: string[];
  readonly attempts: number;
}

function analyse(uploaded: readonly Uploaded[], facts: Facts): Analysis {
  const rows = new Map(facts.documents.map((d) => [d.id, d]));
  const eventsOf = new Map<string, EventRow[]>();
  for (const event of facts.events) {
    const list = eventsOf.get(event.target_id) ?? [];
    list.push(event);
    eventsOf.set(event.target_id, list);
  }
  const byStatus: Record<string, number> = {};
  const lost: string[] = [];
  const missingVersion: string[] = [];
  const anomalies: string[] = [];
  const regressed: string[] = [];
  const queuedAfterExtracting: string[] = [];
  const severalFinals: string[] = [];
  const finalWithoutEvent: string[] = [];
  const perDocument: PerDocument[] = [];
  for (const u of uploaded) {
    const row = rows.get(u.id);
    const status = row?.status ?? 'missing';
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    const isFinal = (FINAL as readonly string[]).includes(status);
    if (!isFinal) lost.push(u.id);
    if ((status === 'extracted' || status === 'needs_review') && (row?.extractions !== 1 || !row.run_matches))
      missingVersion.push(u.id);
    const events = eventsOf.get(u.id) ?? [];
    const finals = events.filter((e) => e.action in FINAL_ACTIONS);
    if (finals.length > 1) severalFinals.push(u.id);
    if (finals.length > 0 && !isFinal) regressed.push(`${u.id} (${status})`);
    if (isFinal && finals.length === 0) finalWithoutEvent.push(u.id);
    const queued = events.find((e) => e.action === 'document.queued');
    const firstExtracting = events.find((e) => e.action === 'document.extracting');
    if (queued && firstExtracting && BigInt(queued.ingest_id) > BigInt(firstExtracting.ingest_id))
      queuedAfterExtracting.push(u.id);
    const final = finals[0];
    if (!final) {
      // No final event (should not happen for a final status): fall back to updated_at.
      const finalAt = isFinal && row ? row.updated_at.getTime() : undefined;
      perDocument.push({
        uploaded: u,
        status,
        ...(finalAt === undefined ? {} : { finalAt, latency: finalAt - u.doneAt }),
      });
      continue;
    }
    const finalAt = final.occurred_at.getTime();
    const extracting = events
      .filter((e) => e.action === 'document.extracting' && BigInt(e.ingest_id) < BigInt(final.ingest_id))
      .at(-1);
    const extractingAt = extracting?.occurred_at.getTime();
    const job = facts.jobs.get(u.id);
    const phases: Phases | undefined =
      job?.processedOn !== undefined && job.finishedOn !== undefined && extractingAt !== undefined
        ? {
            apiAfterEnqueue: u.doneAt - job.addedAt,
            inRedis: job.processedOn - job.addedAt,
            workerStart: extractingAt - job.processedOn,
            extracting: finalAt - extractingAt,
            finish: job.finishedOn - finalAt,
          }
        : undefined;
    perDocument.push({
      uploaded: u,
      status,
      finalAt,
      latency: finalAt - u.doneAt,
      ...(phases ? { phases } : {}),
      ...(extractingAt === undefined
        ? {}
        : { wait: extractingAt - u.doneAt, processing: finalAt - extractingAt }),
    });
  }
  const sample = (ids: readonly string[]) => ids.slice(0, 5).join(', ') + (ids.length > 5 ? ', ...' : '');
  if (regressed.length > 0)
    anomalies.push(
      `${regressed.length} documents have a final audit event but a non-final status now (status overwritten after extraction): ${sample(regressed)}`,
    );
  if (queuedAfterExtracting.length > 0)
    anomalies.push(
      `${queuedAfterExtracting.length} documents recorded \`document.queued\` after the worker's \`document.extracting\` (the API marked them queued after a worker had taken the job): ${sample(queuedAfterExtracting)}`,
    );
  if (severalFinals.length > 0)
    anomalies.push(
      `${severalFinals.length} documents have more than one final audit event: ${sample(severalFinals)}`,
    );
  if (finalWithoutEvent.length > 0)
    anomalies.push(
      `${finalWithoutEvent.length} documents have a final status but no final audit event: ${sample(finalWithoutEvent)}`,
    );
  const reasons = new Map<string, number>();
  for (const d of facts.documents)
    if (d.status === 'failed') {
      const reason = (d.failure_reason ?? '(none)').slice(0, 120);
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
  for (const [reason, n] of reasons) anomalies.push(`${n} failed: ${reason}`);
  const attempts = facts.events.filter((e) => e.action === 'document.extracting').length;
  return {
    perDocument,
    byStatus,
    lost,
    duplicated: facts.duplicated.map((d) => `${d.document_id} (${d.n})`),
    missingVersion,
    anomalies,
    attempts,
  };
}

interface RunInfo {
  readonly options: Options;
  readonly apiEntry: string;
  readonly workerEntry: string;
  readonly uploaded: readonly Uploaded[];
  readonly analysis: Analysis;
  readonly watch: WatchResult;
  readonly cpu: { api: number; workers: number[]; postgres: number | undefined; wallSeconds: number };
  readonly loadBefore: number;
}

const ms = (n: number) => (Number.isFinite(n) ? Math.round(n).toString() : 'n/a');

function stats(values: readonly number[]): string {
  return `${ms(quantile(values, 0.5))} / ${ms(quantile(values, 0.95))} / ${ms(Math.max(...values))}`;
}

function report(info: RunInfo): { output: string; ok: boolean } {
  const { options, uploaded, analysis } = info;
  const firstStart = Math.min(...uploaded.map((u) => u.startedAt));
  const lastUpload = Math.max(...uploaded.map((u) => u.doneAt));
  const uploadRate = uploaded.length / ((lastUpload - firstStart) / 1000);
  const finished = analysis.perDocument.filter((d) => d.latency !== undefined);
  const latencies = finished.map((d) => d.latency as number);
  const lastFinal = Math.max(...finished.map((d) => d.finalAt as number));
  const perMinute = finished.length / ((lastFinal - firstStart) / 60_000);
  const waits = analysis.perDocument.flatMap((d) => (d.wait === undefined ? [] : [d.wait]));
  const processing = analysis.perDocument.flatMap((d) => (d.processing === undefined ? [] : [d.processing]));
  const duplicated = analysis.duplicated.length + analysis.missingVersion.length;
  const phased = analysis.perDocument.flatMap((d) => (d.phases ? [d.phases] : []));
  const phase = (name: keyof Phases, label: string) =>
    `${label} ${ms(
      quantile(
        phased.map((p) => p[name]),
        0.5,
      ),
    )} / ${ms(
      quantile(
        phased.map((p) => p[name]),
        0.95,
      ),
    )}`;
  const phaseLine =
    phased.length === 0
      ? 'no finished BullMQ jobs left to compare'
      : `${phase('inRedis', 'waiting in Redis')}; ${phase('workerStart', 'worker took job → `document.extracting`')}; ` +
        `${phase('extracting', '`document.extracting` → final')}; ${phase('finish', 'final → job finished')}; ` +
        `${phase('apiAfterEnqueue', 'job added → upload answered')} (p50 / p95 ms, the last ${phased.length} jobs BullMQ kept)`;
  const ok = analysis.lost.length === 0 && duplicated === 0;
  const statuses = ['extracted', 'needs_review', 'failed']
    .map((s) => `${s} ${analysis.byStatus[s] ?? 0}`)
    .concat(
      Object.entries(analysis.byStatus)
        .filter(([s]) => !(FINAL as readonly string[]).includes(s))
        .map(([s, n]) => `${s} ${n}`),
    )
    .join(', ');
  const kinds = (['ubl', 'cii', 'pdf'] as const)
    .map((k) => `${uploaded.filter((u) => u.kind === k).length} ${k.toUpperCase()}`)
    .join(' + ');
  const byKind = (['ubl', 'cii', 'pdf'] as const)
    .map((k) => {
      const values = finished.filter((d) => d.uploaded.kind === k).map((d) => d.latency as number);
      return `${k.toUpperCase()} ${ms(quantile(values, 0.5))}`;
    })
    .join(', ');
  const { cpu } = info;
  const mean = (n: number) => (n / Math.max(1, info.watch.polls)).toFixed(2);
  const sessionLine =
    `${mean(info.watch.sessions.active)} active, of which ${mean(info.watch.sessions.advisoryWaits)} ` +
    `waiting for the audit-chain advisory lock and ${mean(info.watch.sessions.otherLockWaits)} for other locks`;
  const cpuLine =
    `API ${cpu.api.toFixed(1)} s, workers ${cpu.workers.map((c) => c.toFixed(1)).join(' + ')} s` +
    (cpu.postgres === undefined
      ? ''
      : `, PostgreSQL backends of the run's database ${cpu.postgres.toFixed(1)} s`) +
    ` over ${cpu.wallSeconds.toFixed(1)} s wall (${((cpu.api + cpu.workers.reduce((a, b) => a + b, 0) + (cpu.postgres ?? 0)) / cpu.wallSeconds).toFixed(2)} cores busy on average)`;
  const lines = [
    `## Pipeline benchmark (${new Date().toISOString()})`,
    '',
    `API: ${info.apiEntry}; workers: ${info.workerEntry}; Node ${process.version}; ` +
      `EXTRACTION_CONCURRENCY ${options.extractionConcurrency} per worker; ${options.uploadConcurrency} uploads in flight; ` +
      `documents: ${kinds}.`,
    `Load average (1 min) at start ${info.loadBefore.toFixed(1)}, at end ${(loadavg()[0] ?? 0).toFixed(1)}.`,
    '',
    '| documents | workers | upload docs/s | upload → final p50 / p95 / max (ms) | end-to-end docs/min | final statuses | lost | duplicated extractions |',
    '| ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
    `| ${uploaded.length} | ${options.workerCounts[0]} × ${options.extractionConcurrency} | ${uploadRate.toFixed(1)} | ` +
      `${stats(latencies)} | ${perMinute.toFixed(0)} | ${statuses} | ${analysis.lost.length} | ${duplicated} |`,
    '',
    `- upload phase ${((lastUpload - firstStart) / 1000).toFixed(1)} s; last final status ` +
      `${((lastFinal - lastUpload) / 1000).toFixed(1)} s after the last upload; ${info.watch.polls} status polls`,
    `- upload → worker starts (\`document.extracting\`) p50 / p95 / max: ${stats(waits)} ms; ` +
      `worker start → final: ${stats(processing)} ms`,
    `- upload → final p50 by kind (ms): ${byKind}`,
    `- where the time goes: ${phaseLine}`,
    `- queue order: ${overtaken(analysis.perDocument)} documents were started by a worker after a document uploaded ≥ 1 s later`,
    `- extraction attempts: ${analysis.attempts} for ${uploaded.length} documents`,
    `- CPU seconds: ${cpuLine}`,
    `- PostgreSQL sessions of the run's database, mean over the polls: ${sessionLine}`,
    `- ${ok ? 'PASS' : 'FAIL'}: lost ${analysis.lost.length}` +
      (info.watch.stalled ? ' (gave up waiting: no status change for ' + STALL_MS / 1000 + ' s)' : '') +
      `; extractions per document != 1 or duplicated: ${duplicated}` +
      (analysis.duplicated.length > 0 ? ` (duplicates: ${analysis.duplicated.slice(0, 5).join(', ')})` : '') +
      (analysis.missingVersion.length > 0
        ? ` (extracted without exactly one version of the current run: ${analysis.missingVersion.slice(0, 5).join(', ')})`
        : ''),
    ...(analysis.lost.length > 0 ? [`- lost documents: ${analysis.lost.slice(0, 10).join(', ')}`] : []),
    ...analysis.anomalies.map((a) => `- note: ${a}`),
    '',
  ];
  return { output: lines.join('\n'), ok };
}

// --- main ---------------------------------------------------------------------------------------

async function startWorkers(
  count: number,
  env: NodeJS.ProcessEnv,
  redisPrefix: string,
): Promise<{ workers: ChildService[]; entry: string }> {
  const entry = chooseEntry('main-worker');
  const workers = Array.from({ length: count }, (_, i) =>
    spawnService({ label: `worker ${i + 1}`, entry, env, cleanups, log }),
  );
  // Each worker process runs one BullMQ worker on the extraction queue; wait until all are there.
  const queue = createQueue({ redisUrl: REDIS_URL, keyPrefix: redisPrefix }, EXTRACTION_QUEUE);
  try {
    for (const worker of workers)
      await waitUntil(worker, 'the workers', async () => (await queue.getWorkersCount()) >= count);
  } finally {
    await queue.close();
  }
  return { workers, entry: entry.description };
}

interface Stack {
  readonly options: Options;
  readonly suffix: string;
  readonly database: string;
  readonly redisPrefix: string;
  readonly env: NodeJS.ProcessEnv;
  readonly apiEntry: ReturnType<typeof chooseEntry>;
  readonly loadBefore: number;
}

/** Azurite, the run's database and Redis prefix, key files and the environment every process shares. */
async function startStack(options: Options): Promise<Stack> {
  const suffix = randomBytes(4).toString('hex');
  const loadBefore = loadavg()[0] ?? 0;
  const { env, database, redisPrefix } = await startBenchStack({
    name: '',
    runId: suffix,
    blobContainerPrefix: 'benchpipe',
    extraEnv: { LOG_LEVEL: 'warn', EXTRACTION_CONCURRENCY: String(options.extractionConcurrency) },
    cleanups,
    log,
  });
  return { options, suffix, database, redisPrefix, env, apiEntry: chooseEntry('main-api'), loadBefore };
}

async function connectOwner(database: string): Promise<pg.Client> {
  const db = new pg.Client({ connectionString: `${OWNER_SERVER_URL}/${database}` });
  await db.connect();
  cleanups.push('close the database connection', () => db.end());
  return db;
}

/** The original mode: W workers running while N documents are uploaded, one table. */
async function runOnce(options: Options): Promise<{ output: string; exitCode: number }> {
  const workerCount = options.workerCounts[0] as number;
  log(
    `${options.documents} documents, ${workerCount} workers × EXTRACTION_CONCURRENCY ` +
      `${options.extractionConcurrency}, ${options.uploadConcurrency} uploads in flight`,
  );
  const documents = await makeDocuments(options.documents, 'single');
  const stack = await startStack(options);
  const { apiEntry, env, database, redisPrefix } = stack;
  const [api, started] = await Promise.all([
    startApi({ entry: apiEntry, env, cleanups, log }),
    startWorkers(workerCount, env, redisPrefix),
  ]);
  log(`API at ${api.baseUrl} (pid ${api.pid}); workers ${started.workers.map((w) => w.pid).join(', ')}`);
  log(`API: ${apiEntry.description}; workers: ${started.entry}`);
  const { token } = await signUp(api.baseUrl);
  const db = await connectOwner(database);

  const cpuBefore = {
    api: cpuSeconds(api.pid),
    workers: started.workers.map((w) => cpuSeconds(w.pid)),
    wall: Date.now(),
  };
  const since = new Date();
  const uploaded: Uploaded[] = [];
  let uploadsFinished = false;
  const uploading = uploadAll(api.baseUrl, token, documents, options.uploadConcurrency, (u) =>
    uploaded.push(u),
  ).finally(() => {
    uploadsFinished = true;
  });
  const watching = watch(db, () => ({ done: uploadsFinished, count: uploaded.length }));
  watching.catch(() => undefined); // when an upload fails first, the watcher's end does not matter
  await uploading; // an upload failure ends the run at once
  const watched = await watching;
  const cpu = {
    api: cpuSeconds(api.pid) - cpuBefore.api,
    workers: started.workers.map((w, i) => cpuSeconds(w.pid) - (cpuBefore.workers[i] ?? 0)),
    postgres: await postgresCpu(db, database),
    wallSeconds: (Date.now() - cpuBefore.wall) / 1000,
  };
  const lag = await chainLag(db, since);
  const analysis = analyse(uploaded, await collectFacts(db, redisPrefix));
  const result = report({
    options,
    apiEntry: apiEntry.description,
    workerEntry: started.entry,
    uploaded,
    analysis,
    watch: watched,
    cpu,
    loadBefore: stack.loadBefore,
  });
  if (!result.ok) log('FAILED: a check failed (documents lost or extracted more than once); see the table');
  const output = result.output.replace(
    /\n$/,
    `\n- audit chain lag p99 (chained_at - occurred_at): ${formatLag(lag)}\n`,
  );
  return { output, exitCode: result.ok ? 0 : 1 };
}

// --- the scaling mode ---------------------------------------------------------------------------

/** CPU seconds the run's PostgreSQL backends used since `before` (new backends: all of theirs). */
async function postgresCpuByPid(db: pg.Client, database: string): Promise<Map<number, number>> {
  const { rows } = await db.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [database],
  );
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      cpu.set(pid, cpuSeconds(pid));
    } catch {
      // the backend ended in between
    }
  }
  return cpu;
}

function growth(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, cpu] of after) total += cpu - (before.get(pid) ?? 0);
  return total;
}

/** Only the documents (and their events and extractions) of one scaling run. */
function factsOf(facts: Facts, ids: ReadonlySet<string>): Facts {
  return {
    documents: facts.documents.filter((d) => ids.has(d.id)),
    events: facts.events.filter((e) => ids.has(e.target_id)),
    duplicated: facts.duplicated.filter((d) => ids.has(d.document_id)),
    jobs: facts.jobs,
  };
}

interface ScalingRun {
  readonly workers: number;
  readonly documents: number;
  readonly uploadPerSecond: number;
  readonly docsPerMinute: number;
  /** ms from the queue's resume to each document's final audit event. */
  readonly toFinal: readonly number[];
  /** ms from `document.extracting` to the final event, per document (one job's own time). */
  readonly processing: readonly number[];
  readonly byStatus: Record<string, number>;
  readonly lost: number;
  readonly duplicated: number;
  readonly stalled: boolean;
  /** Mean over the status polls: the run's active sessions and those waiting for the audit-chain lock. */
  readonly sessions: { active: number; advisoryWaits: number };
  readonly lag: ChainLag;
  readonly cpu: { api: number; workers: number; postgres: number; wallSeconds: number };
  readonly anomalies: readonly string[];
}

/**
 * One scaling run: the batch is uploaded while the extraction queue is paused, then W workers
 * start, and the clock starts when the queue is resumed, so docs/min measures the workers alone
 * (not the upload, nor the workers' start-up). The workers stop when the batch is done.
 */
async function scalingRun(
  stack: Stack,
  ctx: { baseUrl: string; apiPid: number; token: string; db: pg.Client; uploadedBefore: number },
  workerCount: number,
): Promise<ScalingRun> {
  const { options, redisPrefix, database, env } = stack;
  const documents = await makeDocuments(options.documents, `${stack.suffix}w${workerCount}`);
  const queue = createQueue({ redisUrl: REDIS_URL, keyPrefix: redisPrefix }, EXTRACTION_QUEUE);
  try {
    await queue.pause();
    const uploaded: Uploaded[] = [];
    const uploadStart = Date.now();
    await uploadAll(ctx.baseUrl, ctx.token, documents, options.uploadConcurrency, (u) => uploaded.push(u));
    const uploadPerSecond = uploaded.length / ((Date.now() - uploadStart) / 1000);
    const started = await startWorkers(workerCount, env, redisPrefix);
    const pgBefore = await postgresCpuByPid(ctx.db, database);
    const cpuBefore = { api: cpuSeconds(ctx.apiPid), workers: started.workers.map((w) => cpuSeconds(w.pid)) };
    const resumedAt = Date.now();
    await queue.resume();
    log(`${workerCount} workers: ${uploaded.length} documents uploaded, queue resumed`);
    const watched = await watch(ctx.db, () => ({ done: true, count: ctx.uploadedBefore + uploaded.length }));
    const wallSeconds = (Date.now() - resumedAt) / 1000;
    const cpu = {
      api: cpuSeconds(ctx.apiPid) - cpuBefore.api,
      workers: started.workers.reduce(
        (sum, w, i) => sum + cpuSeconds(w.pid) - (cpuBefore.workers[i] ?? 0),
        0,
      ),
      postgres: growth(pgBefore, await postgresCpuByPid(ctx.db, database)),
      wallSeconds,
    };
    // Measured while the workers (and so their chain loops) still run.
    const lag = await chainLag(ctx.db, new Date(resumedAt));
    await Promise.all(started.workers.map((w) => stopChild(w.child)));
    const ids = new Set(uploaded.map((u) => u.id));
    const analysis = analyse(uploaded, factsOf(await collectFacts(ctx.db, redisPrefix), ids));
    const finished = analysis.perDocument.filter((d) => d.finalAt !== undefined);
    const lastFinal = Math.max(...finished.map((d) => d.finalAt as number));
    return {
      workers: workerCount,
      documents: uploaded.length,
      uploadPerSecond,
      docsPerMinute: finished.length / ((lastFinal - resumedAt) / 60_000),
      toFinal: finished.map((d) => (d.finalAt as number) - resumedAt),
      processing: analysis.perDocument.flatMap((d) => (d.processing === undefined ? [] : [d.processing])),
      byStatus: analysis.byStatus,
      lost: analysis.lost.length,
      duplicated: analysis.duplicated.length + analysis.missingVersion.length,
      stalled: watched.stalled,
      sessions: {
        active: watched.sessions.active / Math.max(1, watched.polls),
        advisoryWaits: watched.sessions.advisoryWaits / Math.max(1, watched.polls),
      },
      lag,
      cpu,
      anomalies: analysis.anomalies,
    };
  } finally {
    await queue.close();
  }
}

const GOAL_SPEEDUP = 3;

function scalingReport(
  stack: Stack,
  runs: readonly ScalingRun[],
  entries: { api: string; worker: string },
): string {
  const { options } = stack;
  const base = runs[0] as ScalingRun;
  const cores = availableParallelism();
  const kinds = `40% UBL, 40% CII, 20% text-layer PDF`;
  const statuses = (r: ScalingRun) =>
    Object.entries(r.byStatus)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ');
  const lines = [
    `## Pipeline scaling benchmark (${new Date().toISOString()})`,
    '',
    `API: ${entries.api}; workers: ${entries.worker}; Node ${process.version}; one tenant; ${cores} cores.`,
    `Per run: ${options.documents} new documents (${kinds}) uploaded with the extraction queue paused ` +
      `(${options.uploadConcurrency} in flight), then W worker processes with EXTRACTION_CONCURRENCY ` +
      `${options.extractionConcurrency} each; docs/min = documents / (queue resumed → last final audit event).`,
    `Load average (1 min) at start ${stack.loadBefore.toFixed(1)}, at end ${(loadavg()[0] ?? 0).toFixed(1)}.`,
    '',
    `| workers | documents | upload docs/s | docs/min | speed-up vs ${base.workers} | resumed → final p50 / p95 / max (ms) | one job p50 / p95 (ms) | final statuses | lost | duplicated | audit chain lag p99 | CPU s API + workers + PostgreSQL (cores busy) |`,
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of runs) {
    const busy = (r.cpu.api + r.cpu.workers + r.cpu.postgres) / r.cpu.wallSeconds;
    lines.push(
      `| ${r.workers} × ${options.extractionConcurrency} | ${r.documents} | ${r.uploadPerSecond.toFixed(1)} | ` +
        `${r.docsPerMinute.toFixed(0)} | ${(r.docsPerMinute / base.docsPerMinute).toFixed(2)}× | ${stats(r.toFinal)} | ` +
        `${ms(quantile(r.processing, 0.5))} / ${ms(quantile(r.processing, 0.95))} | ${statuses(r)} | ${r.lost} | ` +
        `${r.duplicated} | ${formatLag(r.lag)} | ${r.cpu.api.toFixed(1)} + ${r.cpu.workers.toFixed(1)} + ` +
        `${r.cpu.postgres.toFixed(1)} (${busy.toFixed(2)}) |`,
    );
  }
  lines.push('');
  for (const r of runs) {
    lines.push(
      `- ${r.workers} workers: CPU per document: workers ${((r.cpu.workers / r.documents) * 1000).toFixed(0)} ms, ` +
        `PostgreSQL ${((r.cpu.postgres / r.documents) * 1000).toFixed(0)} ms (CPU measured over ${r.cpu.wallSeconds.toFixed(1)} s from the resume); ` +
        `database sessions ${r.sessions.active.toFixed(2)} active on average, ${r.sessions.advisoryWaits.toFixed(2)} of them waiting for the audit-chain advisory lock`,
    );
    if (r.lag.measured && r.lag.events > 0)
      lines.push(
        `- ${r.workers} workers: audit chain lag p50 ${r.lag.p50Ms.toFixed(0)} ms, max ${r.lag.maxMs.toFixed(0)} ms over ${r.lag.events} events`,
      );
    for (const a of r.anomalies) lines.push(`- ${r.workers} workers, note: ${a}`);
    if (r.stalled)
      lines.push(`- ${r.workers} workers: gave up waiting (no status change for ${STALL_MS / 1000} s)`);
  }
  const one = runs.find((r) => r.workers === 1);
  const four = runs.find((r) => r.workers === 4);
  const intact = runs.every((r) => r.lost === 0 && r.duplicated === 0);
  lines.push(
    `- at most ${cores} cores: W single-job workers can only beat ${cores}× one worker when one worker alone leaves the cores idle (waiting on I/O or locks)`,
    '',
    'Goals:',
    one && four
      ? `- ${four.docsPerMinute >= GOAL_SPEEDUP * one.docsPerMinute ? 'PASS' : 'FAIL'}: 4 workers >= ${GOAL_SPEEDUP}× 1 worker docs/min ` +
          `(${(four.docsPerMinute / one.docsPerMinute).toFixed(2)}×: ${four.docsPerMinute.toFixed(0)} vs ${one.docsPerMinute.toFixed(0)})`
      : `- n/a: 4 workers >= ${GOAL_SPEEDUP}× 1 worker (the run needs --workers with 1 and 4)`,
    `- ${intact ? 'PASS' : 'FAIL'}: lost 0 and duplicated 0 in every run ` +
      `(${runs.map((r) => `${r.workers}: lost ${r.lost}, duplicated ${r.duplicated}`).join('; ')})`,
    `- audit chain lag p99 reported: ${runs.map((r) => `${r.workers} workers ${formatLag(r.lag)}`).join('; ')}`,
    '',
  );
  return lines.join('\n');
}

/** The scaling mode: one API and one tenant; the same batch shape once per worker count. */
async function runScaling(options: Options): Promise<{ output: string; exitCode: number }> {
  log(
    `scaling: ${options.documents} documents per run with ${options.workerCounts.join(', ')} workers × ` +
      `EXTRACTION_CONCURRENCY ${options.extractionConcurrency}`,
  );
  const stack = await startStack(options);
  const api = await startApi({ entry: stack.apiEntry, env: stack.env, cleanups, log });
  log(`API at ${api.baseUrl} (pid ${api.pid}): ${stack.apiEntry.description}`);
  const { token } = await signUp(api.baseUrl);
  const db = await connectOwner(stack.database);
  const runs: ScalingRun[] = [];
  for (const workers of options.workerCounts) {
    const uploadedBefore = runs.reduce((sum, r) => sum + r.documents, 0);
    runs.push(
      await scalingRun(stack, { baseUrl: api.baseUrl, apiPid: api.pid, token, db, uploadedBefore }, workers),
    );
    const last = runs.at(-1) as ScalingRun;
    log(
      `${workers} workers: ${last.docsPerMinute.toFixed(0)} docs/min, lost ${last.lost}, duplicated ${last.duplicated}`,
    );
  }
  const output = scalingReport(stack, runs, {
    api: stack.apiEntry.description,
    worker: chooseEntry('main-worker').description,
  });
  const ok = runs.every((r) => r.lost === 0 && r.duplicated === 0);
  if (!ok) log('FAILED: a check failed (documents lost or extracted more than once); see the table');
  return { output, exitCode: ok ? 0 : 1 };
}

const options = (() => {
  try {
    return parseOptions(process.argv.slice(2));
  } catch (error) {
    log(`FAILED: ${(error as Error).message}`);
    process.exit(1);
  }
})();
runBenchmark({
  log,
  cleanups,
  deadlineMs: DEADLINE_MS * options.workerCounts.length,
  run: () => (isScaling(options) ? runScaling(options) : runOnce(options)),
});
