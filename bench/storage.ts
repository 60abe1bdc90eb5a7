/**
 * Storage benchmark: how much the encrypted document path (API -> AES-256-GCM segments -> blob
 * storage, and back) costs against raw Azurite, and how much memory the API needs to stream a
 * 100 MB document. Everything is real: an in-memory Azurite, a fresh PostgreSQL database, and the
 * API as a child process reached over HTTP on 127.0.0.1. Throughput is the median of several
 * repetitions; the API's RSS is sampled from /proc every 50 ms.
 *
 *   npm run bench:storage
 *
 * The benchmark client runs with the API's V8 flags (API_NODE_FLAGS, set by the npm script and
 * checked at start): with Node's defaults its own collections, run while it waits for the API's
 * answer, were measured as API latency (bench/README.md has the numbers).
 *
 * Exits 0 when every measurement completed (the goals print PASS or FAIL; a FAIL is a result, not
 * an error), non-zero with a message when something broke or the run took longer than 5 minutes.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBlobStore, type BlobStore } from '../src/platform/storage/blob-store.js';
import { stageTable, type Window } from './cpu-profile.js';
import {
  API_NODE_FLAGS,
  BenchError,
  benchLog,
  call,
  chooseEntry,
  Cleanups,
  cpuSeconds,
  expectStatus,
  median,
  readText,
  runBenchmark,
  signUp,
  startApi,
  streamOf,
  type ProcessEntry,
  startBenchStack,
  stopChild,
} from './support.js';

/** Sizes and throughput use binary megabytes (MiB), as DOCUMENT_MAX_BYTES does. */
const MB = 1024 * 1024;
const SIZES = [
  { mb: 1, reps: 25 },
  { mb: 10, reps: 5 },
  { mb: 100, reps: 5 },
] as const;
const RSS_SIZE_MB = 100;
/** Sizes whose transfers `--profile` cuts out of the API's CPU profile. */
const PROFILED_SIZES_MB = [1, RSS_SIZE_MB] as const;
const GOAL_RATIO = 0.7;
const GOAL_RSS_GROWTH_MB = 64;
/** API CPU per 100 MB at most this multiple of the cryptography it must do (the crypto floor). */
const GOAL_FLOOR_MULTIPLE = 2;
const GOAL_SMALL_UPLOAD_RATIO = 0.4;
const SEGMENT_BYTES = 64 * 1024;
const DEADLINE_MS = 5 * 60_000;
const RSS_SAMPLE_MS = 50;
/** Unmeasured rounds of every path before the samples (see `warmUp`). */
const WARM_UP_ROUNDS = 10;
const WARM_UP_BYTES = MB;
const PDF_PREFIX = Buffer.from('%PDF-1.7\n', 'ascii');
const API_CONTAINER_PREFIX = 'benchapi';

const log = benchLog('bench:storage');
const cleanups = new Cleanups(log);

// --- HTTP against the API -----------------------------------------------------------------------

interface Payload {
  readonly bytes: Buffer;
  readonly sha256: string;
}

/** Fresh random content each time: the API stores identical content once per firm. */
function makePayload(sizeBytes: number): Payload {
  const bytes = Buffer.allocUnsafe(sizeBytes);
  PDF_PREFIX.copy(bytes, 0);
  randomBytes(sizeBytes - PDF_PREFIX.length).copy(bytes, PDF_PREFIX.length);
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Hashes a stream as it arrives, keeping nothing. */
async function digestOf(stream: AsyncIterable<Buffer>): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Sends `body` (streamed when a Buffer of document bytes) and resolves with status and JSON. */

interface Session {
  readonly baseUrl: string;
  readonly token: string;
}

async function apiUpload(session: Session, payload: Payload, label: string): Promise<string> {
  const url = new URL(`/v1/documents?filename=${label}.pdf`, session.baseUrl);
  const result = await call(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/pdf' },
    body: payload.bytes,
  });
  expectStatus(result, 201, `API upload of ${label}`);
  return (result.json as { id: string }).id;
}

async function apiDownload(session: Session, id: string, payload: Payload): Promise<void> {
  const url = new URL(`/v1/documents/${id}/content`, session.baseUrl);
  const response = await new Promise<http.IncomingMessage>((resolve, reject) =>
    http.get(url, { headers: { authorization: `Bearer ${session.token}` } }, resolve).once('error', reject),
  );
  if (response.statusCode !== 200) {
    throw new BenchError(`API download of ${id}: HTTP ${response.statusCode}: ${await readText(response)}`);
  }
  expectSame(await digestOf(response), payload, `API download of ${id}`);
}

function expectSame(got: { sha256: string; bytes: number }, sent: Payload, what: string): void {
  if (got.sha256 !== sent.sha256 || got.bytes !== sent.bytes.length) {
    throw new BenchError(
      `${what}: got ${got.bytes} bytes with SHA-256 ${got.sha256}, sent ${sent.bytes.length} bytes with ${sent.sha256}`,
    );
  }
}

// --- measurement --------------------------------------------------------------------------------

/** Samples VmRSS of one process; `peakDuring` reports the highest value seen while `work` runs. */
class RssSampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), RSS_SAMPLE_MS);
  }

  current(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    if (!kib) throw new BenchError(`no VmRSS in /proc/${this.pid}/status`);
    return Number(kib) * 1024;
  }

  private sample(): void {
    try {
      this.peak = Math.max(this.peak, this.current());
    } catch {
      // The process may be gone during cleanup; the measurement that matters has a value already.
    }
  }

  async peakDuring<T>(work: () => Promise<T>): Promise<{ result: T; peak: number }> {
    this.peak = this.current();
    const result = await work();
    this.sample();
    return { result, peak: this.peak };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

const TRANSFERS = ['apiUp', 'rawUp', 'apiDown', 'rawDown'] as const;
type Transfer = (typeof TRANSFERS)[number];

/** CPU seconds (user + system) each process spent on one transfer. */
interface CpuSample {
  readonly client: number;
  readonly api: number;
  readonly azurite: number;
}

interface Sample {
  readonly mbPerSecond: number;
  readonly cpu: CpuSample;
}

interface SizeResult {
  readonly mb: number;
  readonly samples: Record<Transfer, Sample[]>;
  /** API peak RSS (bytes) while uploading / downloading, for the RSS size only. */
  readonly upPeaks: number[];
  readonly downPeaks: number[];
}

const throughputs = (s: SizeResult, transfer: Transfer) => s.samples[transfer].map((x) => x.mbPerSecond);

interface Targets {
  readonly session: Session;
  readonly raw: BlobStore;
  readonly rawContainer: string;
  readonly apiContainer: string;
  readonly rss: RssSampler;
  readonly apiPid: number;
  readonly azuritePid: number;
  /**
   * When each transfer of a profiled size ran, to cut a CPU profile of the API into upload and
   * download: the 100 MB transfers (CPU per byte) and the 1 MB ones (latency per request).
   */
  readonly windows: ReadonlyMap<number, Record<Transfer, Window[]>>;
}

/** The monotonic clock in microseconds: the clock V8 stamps CPU profile samples with. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Runs one transfer of `mb` MB and records its throughput and the CPU time of all three processes
 * (this benchmark client, the API, Azurite): on a machine with few cores they compete, and the CPU
 * account shows how much work each path needs, whatever the scheduler made of it.
 */
async function transfer(
  t: Targets,
  mb: number,
  into: SizeResult,
  kind: Transfer,
  work: () => Promise<unknown>,
): Promise<void> {
  const client = process.cpuUsage();
  const api = cpuSeconds(t.apiPid);
  const azurite = cpuSeconds(t.azuritePid);
  const startUs = monotonicUs();
  const start = performance.now();
  await work();
  const seconds = (performance.now() - start) / 1000;
  t.windows.get(mb)?.[kind].push({ startUs, endUs: monotonicUs() });
  const clientUsage = process.cpuUsage(client);
  into.samples[kind].push({
    mbPerSecond: mb / seconds,
    cpu: {
      client: (clientUsage.user + clientUsage.system) / 1e6,
      api: cpuSeconds(t.apiPid) - api,
      azurite: cpuSeconds(t.azuritePid) - azurite,
    },
  });
}

/**
 * One repetition: the same bytes through the API and straight into Azurite, alternating so that
 * noise from other processes on the machine hits both sides alike. Both blobs are deleted afterwards:
 * Azurite holds everything in memory, and hundreds of MB of leftovers would slow it down for the
 * later repetitions.
 */
async function repetition(t: Targets, mb: number, rep: number, into: SizeResult): Promise<void> {
  const payload = makePayload(mb * MB);
  const label = `bench-${mb}mb-${rep}`;
  let id = '';
  const up = await t.rss.peakDuring(() =>
    transfer(t, mb, into, 'apiUp', async () => {
      id = await apiUpload(t.session, payload, label);
    }),
  );
  await transfer(t, mb, into, 'rawUp', () => t.raw.upload(t.rawContainer, label, streamOf(payload.bytes)));
  const down = await t.rss.peakDuring(() =>
    transfer(t, mb, into, 'apiDown', () => apiDownload(t.session, id, payload)),
  );
  await transfer(t, mb, into, 'rawDown', async () => {
    const stream = await t.raw.download(t.rawContainer, label);
    expectSame(await digestOf(stream), payload, `raw download of ${label}`);
  });
  if (mb === RSS_SIZE_MB) {
    into.upPeaks.push(up.peak);
    into.downPeaks.push(down.peak);
  }
  await t.raw.delete(t.rawContainer, label);
  await t.raw.delete(t.apiContainer, id);
}

/**
 * Brings the API to the steady state a serving process is in: V8 compiles a code path only after
 * it has run a while, so the first uploads of a fresh process run its request, crypto and storage
 * code in the interpreter and take about half as long again (a 1 MB upload 16 ms against 11 ms).
 * The samples measure a warm server, as bench:api's warm-up does. The first round also creates
 * the containers and makes the first key use, which are not timed either; the blobs are deleted.
 */
async function warmUp(t: Targets): Promise<void> {
  await t.raw.ensureContainer(t.rawContainer);
  for (let round = 1; round <= WARM_UP_ROUNDS; round++) {
    const payload = makePayload(WARM_UP_BYTES);
    const label = `warm-up-${round}`;
    const id = await apiUpload(t.session, payload, label);
    await apiDownload(t.session, id, payload);
    await t.raw.upload(t.rawContainer, label, streamOf(payload.bytes));
    expectSame(await digestOf(await t.raw.download(t.rawContainer, label)), payload, 'raw warm-up');
    await Promise.all([t.raw.delete(t.apiContainer, id), t.raw.delete(t.rawContainer, label)]);
  }
}

/** RSS right before the 100 MB transfers, after a quiet second so in-flight work has settled. */
async function baselineRss(rss: RssSampler): Promise<number> {
  await sleep(1_000);
  return rss.current();
}

async function measure(t: Targets): Promise<{ sizes: SizeResult[]; baseline: number }> {
  const sizes: SizeResult[] = [];
  let baseline = 0;
  for (const { mb, reps } of SIZES) {
    if (mb === RSS_SIZE_MB) baseline = await baselineRss(t.rss);
    const result: SizeResult = {
      mb,
      samples: { apiUp: [], rawUp: [], apiDown: [], rawDown: [] },
      upPeaks: [],
      downPeaks: [],
    };
    for (let rep = 1; rep <= reps; rep++) {
      log(`${mb} MB, repetition ${rep}/${reps}`);
      await repetition(t, mb, rep, result);
    }
    sizes.push(result);
  }
  return { sizes, baseline };
}

// --- crypto floor -------------------------------------------------------------------------------

/** CPU seconds per 100 MB of the cryptography alone, measured in this process. */
interface CryptoFloor {
  /** What an upload must do, and what the goal is measured against: AES-256-GCM + SHA-256. */
  readonly total: number;
  readonly encrypt: number;
  readonly hash: number;
  /** AES-256-GCM decryption, what a download must do. */
  readonly decrypt: number;
}

const cpuOf = (work: () => void): number => {
  const start = process.cpuUsage();
  work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};

/**
 * The primitives over 100 MB in the format's 64 KiB segments, one cipher per segment as the
 * format needs (its own nonce), with no stream, copy or I/O around them: what no implementation
 * can go below. Median of three runs.
 */
function measureCryptoFloor(): CryptoFloor {
  const plaintext = randomBytes(RSS_SIZE_MB * MB);
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const sealed: Array<{ ciphertext: Buffer; tag: Buffer }> = [];
  const runs = [1, 2, 3].map(() => {
    sealed.length = 0;
    const encrypt = cpuOf(() => {
      for (let offset = 0; offset < plaintext.length; offset += SEGMENT_BYTES) {
        const cipher = createCipheriv('aes-256-gcm', key, nonce);
        const ciphertext = cipher.update(plaintext.subarray(offset, offset + SEGMENT_BYTES));
        cipher.final();
        sealed.push({ ciphertext, tag: cipher.getAuthTag() });
      }
    });
    const hash = cpuOf(() => {
      const sha = createHash('sha256');
      for (let offset = 0; offset < plaintext.length; offset += SEGMENT_BYTES) {
        sha.update(plaintext.subarray(offset, offset + SEGMENT_BYTES));
      }
      sha.digest();
    });
    const decrypt = cpuOf(() => {
      for (const { ciphertext, tag } of sealed) {
        const decipher = createDecipheriv('aes-256-gcm', key, nonce);
        decipher.setAuthTag(tag);
        decipher.update(ciphertext);
        decipher.final();
      }
    });
    return { encrypt, hash, decrypt };
  });
  const encrypt = median(runs.map((r) => r.encrypt));
  const hash = median(runs.map((r) => r.hash));
  return { total: encrypt + hash, encrypt, hash, decrypt: median(runs.map((r) => r.decrypt)) };
}

/** Floors taken before and after the transfers: the median of both, as the machine's load moves. */
function combineFloors(before: CryptoFloor, after: CryptoFloor): CryptoFloor {
  const mid = (key: keyof CryptoFloor) => (before[key] + after[key]) / 2;
  return { total: mid('total'), encrypt: mid('encrypt'), hash: mid('hash'), decrypt: mid('decrypt') };
}

/** API CPU seconds per 100 MB transfer (median of the 100 MB repetitions). */
function apiCpuPer100(sizes: readonly SizeResult[], transfer: Transfer): number {
  const big = sizes.find((s) => s.mb === RSS_SIZE_MB) as SizeResult;
  return median(big.samples[transfer].map((c) => c.cpu.api));
}

function floorLines(sizes: readonly SizeResult[], floor: CryptoFloor): string[] {
  const up = apiCpuPer100(sizes, 'apiUp');
  const down = apiCpuPer100(sizes, 'apiDown');
  return [
    `Crypto floor in this run (CPU seconds per ${RSS_SIZE_MB} MB, this process, 64 KiB segments): ` +
      `AES-256-GCM encrypt ${floor.encrypt.toFixed(3)} + SHA-256 ${floor.hash.toFixed(3)} = ` +
      `**${floor.total.toFixed(3)}**; AES-256-GCM decrypt ${floor.decrypt.toFixed(3)}.`,
    '',
    `| ${RSS_SIZE_MB} MB | API CPU s | × floor (encrypt + hash) | × its own primitive |`,
    '| --- | ---: | ---: | ---: |',
    `| upload | ${up.toFixed(3)} | ${(up / floor.total).toFixed(2)} | ${(up / floor.total).toFixed(2)} (encrypt + hash) |`,
    `| download | ${down.toFixed(3)} | ${(down / floor.total).toFixed(2)} | ${(down / floor.decrypt).toFixed(2)} (decrypt) |`,
  ];
}

// --- report -------------------------------------------------------------------------------------

const fmt = (n: number) => n.toFixed(1);
const mib = (bytes: number) => bytes / MB;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

/**
 * Each repetition measures the API and raw Azurite back to back, so both see the same load from the
 * rest of the machine: the ratio is taken per repetition and its median reported, which is far
 * steadier on a busy machine than the ratio of two independent medians.
 */
function pairedRatio(api: readonly number[], raw: readonly number[]): number {
  return median(api.map((value, i) => value / (raw[i] as number)));
}

function throughputTable(sizes: readonly SizeResult[]): string[] {
  const lines = [
    '| size | API upload MB/s | raw Azurite upload MB/s | ratio | API download MB/s | raw download MB/s | ratio |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const s of sizes) {
    const [au, ru, ad, rd] = TRANSFERS.map((x) => median(throughputs(s, x))) as [
      number,
      number,
      number,
      number,
    ];
    const upRatio = pairedRatio(throughputs(s, 'apiUp'), throughputs(s, 'rawUp'));
    const downRatio = pairedRatio(throughputs(s, 'apiDown'), throughputs(s, 'rawDown'));
    lines.push(
      `| ${s.mb} MB | ${fmt(au)} | ${fmt(ru)} | ${upRatio.toFixed(2)} ` +
        `| ${fmt(ad)} | ${fmt(rd)} | ${downRatio.toFixed(2)} |`,
    );
  }
  return lines;
}

function samplesLines(sizes: readonly SizeResult[]): string[] {
  const list = (values: readonly number[]) => values.map(fmt).join(', ');
  return sizes.map(
    (s) =>
      `- ${s.mb} MB samples (MB/s): API up [${list(throughputs(s, 'apiUp'))}], ` +
      `raw up [${list(throughputs(s, 'rawUp'))}], API down [${list(throughputs(s, 'apiDown'))}], ` +
      `raw down [${list(throughputs(s, 'rawDown'))}]`,
  );
}

const TRANSFER_NAMES: Record<Transfer, string> = {
  apiUp: 'API upload',
  rawUp: 'raw upload',
  apiDown: 'API download',
  rawDown: 'raw download',
};

/**
 * Where the CPU goes, per transfer (medians): all processes share this machine's cores, so a path
 * cannot finish faster than its total CPU time divided by the number of cores. That floor, set
 * against the raw path's measured time, is the best ratio this machine allows the API path.
 */
function cpuLines(sizes: readonly SizeResult[]): string[] {
  const cores = availableParallelism();
  const lines = [
    `CPU seconds per transfer (medians; ${cores} cores shared by all processes):`,
    '',
    '| size | transfer | client | API | Azurite | total | wall |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  const ceilings: string[] = [];
  for (const s of sizes) {
    const total = (x: Transfer) => median(s.samples[x].map((c) => c.cpu.client + c.cpu.api + c.cpu.azurite));
    const wall = (x: Transfer) => s.mb / median(throughputs(s, x));
    for (const x of TRANSFERS) {
      const part = (key: keyof CpuSample) => median(s.samples[x].map((c) => c.cpu[key])).toFixed(2);
      lines.push(
        `| ${s.mb} MB | ${TRANSFER_NAMES[x]} | ${part('client')} | ${part('api')} | ${part('azurite')} ` +
          `| ${total(x).toFixed(2)} | ${wall(x).toFixed(2)} |`,
      );
    }
    const ceiling = (api: Transfer, raw: Transfer) => (wall(raw) / (total(api) / cores)).toFixed(2);
    ceilings.push(`${s.mb} MB up ${ceiling('apiUp', 'rawUp')} / down ${ceiling('apiDown', 'rawDown')}`);
  }
  lines.push('', `- Best ratio the CPU work allows on ${cores} cores: ${ceilings.join('; ')}`);
  return lines;
}

/** Growth is measured from one baseline taken before any 100 MB transfer: the conservative reading. */
function rssGrowth(
  sizes: readonly SizeResult[],
  baseline: number,
): { up: number; down: number; lines: string[] } {
  const big = sizes.find((s) => s.mb === RSS_SIZE_MB) as SizeResult;
  const up = mib(Math.max(...big.upPeaks) - baseline);
  const down = mib(Math.max(...big.downPeaks) - baseline);
  const peaks = (values: readonly number[]) => values.map((v) => fmt(mib(v))).join(', ');
  return {
    up,
    down,
    lines: [
      `- API RSS baseline before the ${RSS_SIZE_MB} MB transfers: ${fmt(mib(baseline))} MB`,
      `- ${RSS_SIZE_MB} MB upload: peak RSS ${fmt(mib(Math.max(...big.upPeaks)))} MB ` +
        `(per repetition: ${peaks(big.upPeaks)}), growth ${fmt(up)} MB`,
      `- ${RSS_SIZE_MB} MB download: peak RSS ${fmt(mib(Math.max(...big.downPeaks)))} MB ` +
        `(per repetition: ${peaks(big.downPeaks)}), growth ${fmt(down)} MB`,
    ],
  };
}

function goalLines(
  sizes: readonly SizeResult[],
  growth: { up: number; down: number },
  floor: CryptoFloor,
): string[] {
  const ratioGoal = (name: string, api: Transfer, raw: Transfer) => {
    const ratios = sizes.map((s) => ({
      mb: s.mb,
      ratio: pairedRatio(throughputs(s, api), throughputs(s, raw)),
    }));
    const detail = ratios
      .map((r) => `${r.mb} MB ${r.ratio.toFixed(2)} ${verdict(r.ratio >= GOAL_RATIO)}`)
      .join(', ');
    const ok = ratios.every((r) => r.ratio >= GOAL_RATIO);
    return `- ${verdict(ok)}: encrypted ${name} >= ${GOAL_RATIO * 100}% of raw Azurite throughput (${detail})`;
  };
  const rssGoal = (name: string, value: number) =>
    `- ${verdict(value < GOAL_RSS_GROWTH_MB)}: peak RSS growth for a ${RSS_SIZE_MB} MB ${name} ` +
    `< ${GOAL_RSS_GROWTH_MB} MB (${fmt(value)} MB)`;
  const floorGoal = (name: string, transfer: Transfer) => {
    const multiple = apiCpuPer100(sizes, transfer) / floor.total;
    return (
      `- ${verdict(multiple <= GOAL_FLOOR_MULTIPLE)}: API CPU per ${RSS_SIZE_MB} MB ${name} ` +
      `<= ${GOAL_FLOOR_MULTIPLE}x the crypto floor (${multiple.toFixed(2)}x)`
    );
  };
  const small = sizes.find((s) => s.mb === 1) as SizeResult;
  const smallRatio = pairedRatio(throughputs(small, 'apiUp'), throughputs(small, 'rawUp'));
  return [
    floorGoal('upload', 'apiUp'),
    floorGoal('download', 'apiDown'),
    `- ${verdict(smallRatio >= GOAL_SMALL_UPLOAD_RATIO)}: 1 MB upload >= ${GOAL_SMALL_UPLOAD_RATIO}x raw ` +
      `Azurite throughput (${smallRatio.toFixed(2)})`,
    rssGoal('upload', growth.up),
    rssGoal('download', growth.down),
    ratioGoal('upload', 'apiUp', 'rawUp'),
    ratioGoal('download', 'apiDown', 'rawDown'),
  ];
}

function report(
  entry: ProcessEntry,
  sizes: readonly SizeResult[],
  baseline: number,
  loadBefore: number,
  floor: CryptoFloor,
): string {
  const growth = rssGrowth(sizes, baseline);
  return [
    `## Storage benchmark (${new Date().toISOString()})`,
    '',
    `API: ${entry.description}; client: node ${API_NODE_FLAGS.join(' ')}; Node ${process.version}; ` +
      'MB = 2^20 bytes; medians of ' +
      SIZES.map((s) => `${s.reps}`).join('/') +
      ' repetitions; ratio = median of the per-repetition ratios (API and raw run back to back).',
    `Load average (1 min) at start ${loadBefore.toFixed(1)}, at end ${(loadavg()[0] ?? 0).toFixed(1)}; ` +
      'other processes on this machine compete for the same cores.',
    '',
    ...throughputTable(sizes),
    '',
    ...samplesLines(sizes),
    '',
    ...cpuLines(sizes),
    '',
    ...floorLines(sizes, floor),
    '',
    ...growth.lines,
    '',
    'Goals:',
    ...goalLines(sizes, growth, floor),
    '',
  ].join('\n');
}

// --- main ---------------------------------------------------------------------------------------

interface Options {
  readonly entry: ProcessEntry;
  /** Where the API writes its CPU profile, when `--profile` asked for one. */
  readonly profileDir: string | undefined;
}

/**
 * `npm run bench:storage -- --api-node-flags "<flags>"` starts the API with extra Node/V8 options,
 * to measure garbage-collector settings against the defaults (see docs/operations.md).
 * `-- --profile` runs the API under `--cpu-prof` and appends where its CPU went, by stage, during
 * the 100 MB and the 1 MB uploads and downloads (the profiler itself costs some CPU: take the goal
 * numbers from a run without it).
 */
function parseOptions(): Options {
  const entry = chooseEntry('main-api');
  let values: { 'api-node-flags'?: string | undefined; profile?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      options: { 'api-node-flags': { type: 'string' }, profile: { type: 'boolean' } },
    }));
  } catch (error) {
    throw new BenchError(
      `${(error as Error).message}; the options are --api-node-flags "<flags>" and --profile`,
    );
  }
  const profileDir = values.profile ? mkdtempSync(path.join(tmpdir(), 'doklad-bench-profile-')) : undefined;
  const flags = [
    ...(values['api-node-flags']?.split(/\s+/).filter(Boolean) ?? []),
    ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
  ];
  if (flags.length === 0) return { entry, profileDir };
  // After the production flags (API_NODE_FLAGS, which the entry starts with): V8 takes the last
  // value of a flag given twice, so these can override them.
  const production = API_NODE_FLAGS.length;
  return {
    entry: {
      args: [...entry.args.slice(0, production), ...flags, ...entry.args.slice(production)],
      description: `${entry.description}, with ${flags.join(' ')}`,
    },
    profileDir,
  };
}

/** The API's profile is written when it exits: stop it, then cut the profile by transfer. */
async function profileLines(
  api: { child: Parameters<typeof stopChild>[0] },
  profileDir: string,
  windows: ReadonlyMap<number, Record<Transfer, Window[]>>,
): Promise<string[]> {
  await stopChild(api.child);
  // One profile per thread, `CPU.<date>.<time>.<pid>.<thread id>.<sequence>.cpuprofile`: the main
  // thread (id 0) is the one that streams; the others (password hashing) sit idle meanwhile.
  const file = readdirSync(profileDir).find((name) => /\.\d+\.0\.\d+\.cpuprofile$/.test(name));
  if (!file) throw new BenchError(`the API wrote no CPU profile of its main thread into ${profileDir}`);
  const profile = path.join(profileDir, file);
  writeFileSync(path.join(profileDir, 'windows.json'), JSON.stringify(Object.fromEntries(windows)));
  const bySize = [...windows].sort(([a], [b]) => b - a);
  return [
    `API CPU by stage during the ${bySize.map(([mb]) => `${mb} MB`).join(' and ')} transfers (V8 CPU ` +
      `profile ${profile}; each sample is charged to the first frame from the leaf that a stage ` +
      'recognises, see bench/cpu-profile.ts):',
    '',
    ...stageTable(
      bySize.flatMap(([mb, of]) => [
        { name: `${mb} MB upload`, file: profile, windows: of.apiUp },
        { name: `${mb} MB download`, file: profile, windows: of.apiDown },
      ]),
    ),
    '',
  ];
}

/** Refuses a client started without the API's V8 flags (see the file comment). */
function assertClientFlags(): void {
  const missing = API_NODE_FLAGS.filter((flag) => !process.execArgv.includes(flag));
  if (missing.length > 0) {
    throw new BenchError(
      `the benchmark client runs without ${missing.join(' ')}: its own garbage collection would be ` +
        'measured as API latency; start it with `npm run bench:storage`',
    );
  }
}

async function run(): Promise<{ output: string }> {
  assertClientFlags();
  const suffix = randomBytes(4).toString('hex');
  const loadBefore = loadavg()[0] ?? 0;
  const { entry, profileDir } = parseOptions();
  log(`API entry: ${entry.description}`);

  const { env, azurite } = await startBenchStack({
    name: '',
    runId: suffix,
    blobContainerPrefix: API_CONTAINER_PREFIX,
    extraEnv: { LOG_LEVEL: 'info', DOCUMENT_MAX_BYTES: String(110 * MB) },
    cleanups,
    log,
  });
  const api = await startApi({ entry, env, cleanups, log });
  log(`API at ${api.baseUrl} (pid ${api.pid})`);
  const { token, tenantId } = await signUp(api.baseUrl);
  const rss = new RssSampler(api.pid);
  cleanups.push('stop RSS sampling', async () => rss.stop());

  const targets: Targets = {
    session: { baseUrl: api.baseUrl, token },
    raw: createBlobStore(azurite.connectionString, 'benchraw'),
    rawContainer: `benchraw-${suffix}`,
    apiContainer: `${API_CONTAINER_PREFIX}-${tenantId.toLowerCase()}`,
    rss,
    apiPid: api.pid,
    azuritePid: azurite.pid,
    windows: new Map(PROFILED_SIZES_MB.map((mb) => [mb, { apiUp: [], rawUp: [], apiDown: [], rawDown: [] }])),
  };
  await warmUp(targets);
  const floorBefore = measureCryptoFloor();
  const { sizes, baseline } = await measure(targets);
  const floor = combineFloors(floorBefore, measureCryptoFloor());
  rss.stop();
  const profile = profileDir ? await profileLines(api, profileDir, targets.windows) : [];
  return { output: report(entry, sizes, baseline, loadBefore, floor) + [...profile].join('\n') };
}

// Ctrl-C must not leave a database, Azurite and an API process behind.
runBenchmark({ log, cleanups, deadlineMs: DEADLINE_MS, run });
