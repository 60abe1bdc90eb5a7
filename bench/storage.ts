/**
 * Storage benchmark: how much the encrypted document path (API -> AES-256-GCM segments -> blob
 * storage, and back) costs against raw Azurite, and how much memory the API needs to stream a
 * 100 MB document. Everything is real: an in-memory Azurite, a fresh PostgreSQL database, and the
 * API as a child process reached over HTTP on 127.0.0.1. Throughput is the median of several
 * repetitions; the API's RSS is sampled from /proc every 50 ms.
 *
 *   npm run bench:storage
 *
 * Exits 0 when every measurement completed (the goals print PASS or FAIL; a FAIL is a result, not
 * an error), non-zero with a message when something broke or the run took longer than 5 minutes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { applyMigrations, ensureDatabaseExists } from '../src/platform/db/migrations.js';
import { migrationsDir, packageRoot } from '../src/platform/package-root.js';
import { startAzurite } from '../src/platform/storage/azurite-process.js';
import { createBlobStore, type BlobStore } from '../src/platform/storage/blob-store.js';

/** Sizes and throughput use binary megabytes (MiB), as DOCUMENT_MAX_BYTES does. */
const MB = 1024 * 1024;
const SIZES = [
  { mb: 1, reps: 5 },
  { mb: 10, reps: 3 },
  { mb: 100, reps: 3 },
] as const;
const RSS_SIZE_MB = 100;
const GOAL_RATIO = 0.7;
const GOAL_RSS_GROWTH_MB = 64;
const DEADLINE_MS = 5 * 60_000;
const RSS_SAMPLE_MS = 50;
/** Slices handed to the sockets: views into one buffer, so the payload exists once in memory. */
const SLICE_BYTES = 64 * 1024;
const PDF_PREFIX = Buffer.from('%PDF-1.7\n', 'ascii');
const PASSWORD = 'violet-harbour-gravel-43-tundra';
const OWNER_SERVER_URL = 'postgresql://postgres@127.0.0.1:5432';
const API_CONTAINER_PREFIX = 'benchapi';
const REDIS_URL = 'redis://127.0.0.1:6379';

class BenchError extends Error {
  override name = 'BenchError';
}

function log(message: string): void {
  process.stderr.write(`[bench:storage] ${message}\n`);
}

/** Cleanup steps run last-registered-first, each at most once, even after a failure or timeout. */
const cleanups: Array<{ label: string; run: () => Promise<unknown> }> = [];

async function runCleanups(): Promise<void> {
  for (let step = cleanups.pop(); step; step = cleanups.pop()) {
    try {
      await step.run();
    } catch (error) {
      log(`cleanup "${step.label}" failed: ${(error as Error).message}`);
    }
  }
}

// --- the environment: database, Azurite, the API process ----------------------------------------

interface ApiEntry {
  readonly args: string[];
  readonly description: string;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) {
      newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

/**
 * Production runs `node dist/src/main-api.js`, so that is measured when the build is current. A
 * stale build would measure old code, so then the sources run through tsx's loader inside the same
 * `node` process (not the tsx CLI, which would put a wrapper process between us and the RSS we
 * sample). The loader only transpiles at import time; the streaming hot path is the same JS.
 */
function chooseApiEntry(root: string): ApiEntry {
  const compiled = path.join(root, 'dist', 'src', 'main-api.js');
  if (existsSync(compiled) && statSync(compiled).mtimeMs >= newestMtime(path.join(root, 'src'))) {
    return { args: [compiled], description: 'compiled build: node dist/src/main-api.js' };
  }
  return {
    args: ['--import', 'tsx', path.join(root, 'src', 'main-api.ts')],
    description:
      'sources via tsx loader: node --import tsx src/main-api.ts (dist/ is missing or older than src/)',
  };
}

async function createDatabase(name: string): Promise<string> {
  const ownerUrl = `${OWNER_SERVER_URL}/${name}`;
  await ensureDatabaseExists(ownerUrl);
  cleanups.push({ label: 'drop database', run: () => dropDatabase(name) });
  await applyMigrations(ownerUrl, migrationsDir());
  return ownerUrl;
}

async function dropDatabase(name: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${OWNER_SERVER_URL}/postgres` });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Rate-limit and session keys live under the run's own prefix; nothing else is touched. */
async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<
      string[]
    >) {
      if (keys.length > 0) await redis.del(...keys);
    }
  } finally {
    redis.disconnect();
  }
}

interface ApiProcess {
  readonly baseUrl: string;
  readonly pid: number;
}

interface ApiSettings {
  readonly entry: ApiEntry;
  readonly database: string;
  readonly ownerUrl: string;
  readonly azurite: string;
  readonly keysDir: string;
  readonly redisPrefix: string;
}

/** A closed environment: only what this run sets, so a developer's shell variables cannot leak in. */
function apiEnvironment(s: ApiSettings): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    // info, because the "listening" line carries the port chosen for PORT=0.
    LOG_LEVEL: 'info',
    DATABASE_URL: `postgresql://doklad_app@127.0.0.1:5432/${s.database}`,
    MIGRATION_DATABASE_URL: s.ownerUrl,
    AZURE_STORAGE_CONNECTION_STRING: s.azurite,
    BLOB_CONTAINER_PREFIX: API_CONTAINER_PREFIX,
    DOCUMENT_MAX_BYTES: String(110 * MB),
    RATE_LIMIT_MAX: '1000000',
    REDIS_URL,
    REDIS_KEY_PREFIX: s.redisPrefix,
    MAIL_TRANSPORT: 'memory',
    DOCS_ENABLED: 'false',
    SHUTDOWN_GRACE_MS: '5000',
    AUDIT_SIGNING_KEY_FILE: path.join(s.keysDir, 'audit-signing-key.pem'),
    AUDIT_SIGNING_KEY_CREATE: 'true',
    LOCAL_KMS_MASTER_KEY_FILE: path.join(s.keysDir, 'local-kms-master.key'),
    LOCAL_KMS_MASTER_KEY_CREATE: 'true',
    LOCAL_KMS_KEY_DIR: path.join(s.keysDir, 'kek'),
  };
}

/** Starts the API and resolves with its address once it logs that it listens. */
async function startApi(settings: ApiSettings): Promise<ApiProcess> {
  const child = spawn(process.execPath, settings.entry.args, {
    cwd: packageRoot(),
    env: apiEnvironment(settings),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push({ label: 'stop the API', run: () => stopChild(child) });
  const tail: string[] = [];
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
  };
  child.stderr.setEncoding('utf8').on('data', (text: string) => text.split('\n').forEach(remember));

  const baseUrl = await new Promise<string>((resolve, reject) => {
    let pending = '';
    const onExit = (code: number | null) =>
      reject(new BenchError(`the API exited (code ${code}) before listening:\n${tail.join('\n')}`));
    child.once('exit', onExit);
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        remember(line);
        const address = listeningAddress(line);
        if (address) {
          child.off('exit', onExit);
          resolve(address);
        }
      }
    });
  });
  // Keep draining both pipes so request logging can never block the server on a full pipe.
  child.stdout.resume();
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM')
      log(`the API exited (code ${code}, ${signal}):\n${tail.join('\n')}`);
  });
  return { baseUrl, pid: child.pid as number };
}

function listeningAddress(line: string): string | undefined {
  if (!line.includes('"address"')) return undefined;
  try {
    const parsed = JSON.parse(line) as { address?: unknown };
    return typeof parsed.address === 'string' ? parsed.address : undefined;
  } catch {
    return undefined;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const result = await Promise.race([exited, sleep(10_000, 'timeout')]);
  if (result === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

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

function* slices(bytes: Buffer): Generator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += SLICE_BYTES) {
    yield bytes.subarray(offset, offset + SLICE_BYTES);
  }
}

function streamOf(bytes: Buffer): Readable {
  return Readable.from(slices(bytes), { objectMode: false });
}

async function readText(stream: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
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
async function call(
  url: URL,
  options: { method: string; headers: http.OutgoingHttpHeaders; body?: Buffer },
): Promise<{ status: number; json: unknown }> {
  const { body } = options;
  const headers = { ...options.headers, ...(body ? { 'content-length': String(body.length) } : {}) };
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const request = http.request(url, { method: options.method, headers }, resolve);
    request.once('error', reject);
    if (body) streamOf(body).pipe(request);
    else request.end();
  });
  const text = await readText(response);
  const status = response.statusCode ?? 0;
  try {
    return { status, json: text ? (JSON.parse(text) as unknown) : undefined };
  } catch {
    throw new BenchError(
      `${options.method} ${url.pathname} answered ${status} with non-JSON: ${text.slice(0, 200)}`,
    );
  }
}

function expectStatus(result: { status: number; json: unknown }, expected: number, what: string): void {
  if (result.status !== expected) {
    throw new BenchError(
      `${what}: expected HTTP ${expected}, got ${result.status}: ${JSON.stringify(result.json)}`,
    );
  }
}

async function signUp(baseUrl: string): Promise<{ token: string; tenantId: string }> {
  const result = await call(new URL('/v1/auth/signup', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(
      JSON.stringify({
        tenantName: 'Benchmark Firm',
        email: `bench.${Date.now().toString(36)}@example.test`,
        password: PASSWORD,
        name: 'Bench Owner',
      }),
    ),
  });
  expectStatus(result, 201, 'sign-up');
  const json = result.json as { token: string; tenant: { id: string } };
  return { token: json.token, tenantId: json.tenant.id };
}

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

/** Linux reports process CPU time in clock ticks of 1/100 s (USER_HZ) on every mainstream build. */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) a process has used. On a small, shared machine throughput follows
 * CPU cost, so this shows what the API itself spends per transfer, independent of contention.
 */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

interface SizeResult {
  readonly mb: number;
  readonly apiUp: number[];
  readonly rawUp: number[];
  readonly apiDown: number[];
  readonly rawDown: number[];
  /** CPU seconds the API process used per upload / download. */
  readonly apiUpCpu: number[];
  readonly apiDownCpu: number[];
  /** API peak RSS (bytes) while uploading / downloading, for the RSS size only. */
  readonly upPeaks: number[];
  readonly downPeaks: number[];
}

interface Targets {
  readonly session: Session;
  readonly raw: BlobStore;
  readonly rawContainer: string;
  readonly apiContainer: string;
  readonly rss: RssSampler;
  readonly apiPid: number;
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
  const cpuBeforeUp = cpuSeconds(t.apiPid);
  const up = await t.rss.peakDuring(() =>
    timed(async () => {
      id = await apiUpload(t.session, payload, label);
    }),
  );
  into.apiUp.push(mb / up.result);
  into.apiUpCpu.push(cpuSeconds(t.apiPid) - cpuBeforeUp);
  into.rawUp.push(mb / (await timed(() => t.raw.upload(t.rawContainer, label, streamOf(payload.bytes)))));
  const cpuBeforeDown = cpuSeconds(t.apiPid);
  const down = await t.rss.peakDuring(() => timed(() => apiDownload(t.session, id, payload)));
  into.apiDown.push(mb / down.result);
  into.apiDownCpu.push(cpuSeconds(t.apiPid) - cpuBeforeDown);
  into.rawDown.push(
    mb /
      (await timed(async () => {
        const stream = await t.raw.download(t.rawContainer, label);
        expectSame(await digestOf(stream), payload, `raw download of ${label}`);
      })),
  );
  if (mb === RSS_SIZE_MB) {
    into.upPeaks.push(up.peak);
    into.downPeaks.push(down.peak);
  }
  await t.raw.delete(t.rawContainer, label);
  await t.raw.delete(t.apiContainer, id);
}

/** One unmeasured round trip per path, so container creation and the first key use are not timed. */
async function warmUp(t: Targets): Promise<void> {
  const payload = makePayload(256 * 1024);
  const id = await apiUpload(t.session, payload, 'warm-up');
  await apiDownload(t.session, id, payload);
  await t.raw.ensureContainer(t.rawContainer);
  await t.raw.upload(t.rawContainer, 'warm-up', streamOf(payload.bytes));
  expectSame(await digestOf(await t.raw.download(t.rawContainer, 'warm-up')), payload, 'raw warm-up');
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
      apiUp: [],
      rawUp: [],
      apiDown: [],
      rawDown: [],
      apiUpCpu: [],
      apiDownCpu: [],
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

// --- report -------------------------------------------------------------------------------------

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const fmt = (n: number) => n.toFixed(1);
const mib = (bytes: number) => bytes / MB;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

function throughputTable(sizes: readonly SizeResult[]): string[] {
  const lines = [
    '| size | API upload MB/s | raw Azurite upload MB/s | ratio | API download MB/s | raw download MB/s | ratio |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const s of sizes) {
    const [au, ru, ad, rd] = [s.apiUp, s.rawUp, s.apiDown, s.rawDown].map(median) as [
      number,
      number,
      number,
      number,
    ];
    lines.push(
      `| ${s.mb} MB | ${fmt(au)} | ${fmt(ru)} | ${(au / ru).toFixed(2)} | ${fmt(ad)} | ${fmt(rd)} | ${(ad / rd).toFixed(2)} |`,
    );
  }
  return lines;
}

function samplesLines(sizes: readonly SizeResult[]): string[] {
  const list = (values: readonly number[]) => values.map(fmt).join(', ');
  const cpu = sizes
    .map((s) => `${s.mb} MB up ${median(s.apiUpCpu).toFixed(2)} / down ${median(s.apiDownCpu).toFixed(2)}`)
    .join('; ');
  return [
    ...sizes.map(
      (s) =>
        `- ${s.mb} MB samples (MB/s): API up [${list(s.apiUp)}], raw up [${list(s.rawUp)}], ` +
        `API down [${list(s.apiDown)}], raw down [${list(s.rawDown)}]`,
    ),
    `- API process CPU seconds per transfer (median): ${cpu}`,
  ];
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

function goalLines(sizes: readonly SizeResult[], growth: { up: number; down: number }): string[] {
  const ratioGoal = (name: string, api: (s: SizeResult) => number[], raw: (s: SizeResult) => number[]) => {
    const ratios = sizes.map((s) => ({ mb: s.mb, ratio: median(api(s)) / median(raw(s)) }));
    const detail = ratios
      .map((r) => `${r.mb} MB ${r.ratio.toFixed(2)} ${verdict(r.ratio >= GOAL_RATIO)}`)
      .join(', ');
    const ok = ratios.every((r) => r.ratio >= GOAL_RATIO);
    return `- ${verdict(ok)}: encrypted ${name} >= ${GOAL_RATIO * 100}% of raw Azurite throughput (${detail})`;
  };
  const rssGoal = (name: string, value: number) =>
    `- ${verdict(value < GOAL_RSS_GROWTH_MB)}: peak RSS growth for a ${RSS_SIZE_MB} MB ${name} ` +
    `< ${GOAL_RSS_GROWTH_MB} MB (${fmt(value)} MB)`;
  return [
    ratioGoal(
      'upload',
      (s) => s.apiUp,
      (s) => s.rawUp,
    ),
    ratioGoal(
      'download',
      (s) => s.apiDown,
      (s) => s.rawDown,
    ),
    rssGoal('upload', growth.up),
    rssGoal('download', growth.down),
  ];
}

function report(entry: ApiEntry, sizes: readonly SizeResult[], baseline: number, loadBefore: number): string {
  const growth = rssGrowth(sizes, baseline);
  return [
    `## Storage benchmark (${new Date().toISOString()})`,
    '',
    `API: ${entry.description}; Node ${process.version}; MB = 2^20 bytes; medians of ` +
      SIZES.map((s) => `${s.reps}`).join('/') +
      ' repetitions.',
    `Load average (1 min) at start ${loadBefore.toFixed(1)}, at end ${(loadavg()[0] ?? 0).toFixed(1)}; ` +
      'other processes on this machine compete for the same cores.',
    '',
    ...throughputTable(sizes),
    '',
    ...samplesLines(sizes),
    '',
    ...growth.lines,
    '',
    'Goals:',
    ...goalLines(sizes, growth),
    '',
  ].join('\n');
}

// --- main ---------------------------------------------------------------------------------------

async function run(): Promise<string> {
  const root = packageRoot();
  const suffix = randomBytes(4).toString('hex');
  const loadBefore = loadavg()[0] ?? 0;
  const entry = chooseApiEntry(root);
  log(`API entry: ${entry.description}`);

  const keysDir = await mkdtemp(path.join(tmpdir(), 'doklad-bench-keys-'));
  cleanups.push({ label: 'remove key directory', run: () => rm(keysDir, { recursive: true, force: true }) });
  const azurite = await startAzurite();
  cleanups.push({ label: 'stop Azurite', run: () => azurite.stop() });
  const database = `doklad_bench_${suffix}`;
  const ownerUrl = await createDatabase(database);
  const redisPrefix = `bench_${suffix}`;
  cleanups.push({ label: 'delete Redis keys', run: () => deleteRedisKeys(redisPrefix) });
  log(`Azurite on port ${azurite.port}, database ${database}`);

  const api = await startApi({
    entry,
    database,
    ownerUrl,
    azurite: azurite.connectionString,
    keysDir,
    redisPrefix,
  });
  log(`API at ${api.baseUrl} (pid ${api.pid})`);
  const { token, tenantId } = await signUp(api.baseUrl);
  const rss = new RssSampler(api.pid);
  cleanups.push({ label: 'stop RSS sampling', run: async () => rss.stop() });

  const targets: Targets = {
    session: { baseUrl: api.baseUrl, token },
    raw: createBlobStore(azurite.connectionString, 'benchraw'),
    rawContainer: `benchraw-${suffix}`,
    apiContainer: `${API_CONTAINER_PREFIX}-${tenantId.toLowerCase()}`,
    rss,
    apiPid: api.pid,
  };
  await warmUp(targets);
  const { sizes, baseline } = await measure(targets);
  return report(entry, sizes, baseline, loadBefore);
}

async function main(): Promise<void> {
  let deadline: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    deadline = setTimeout(
      () => reject(new BenchError(`aborted: the run took longer than ${DEADLINE_MS / 60_000} minutes`)),
      DEADLINE_MS,
    );
  });
  try {
    const output = await Promise.race([run(), timeout]);
    process.stdout.write(output);
  } finally {
    clearTimeout(deadline);
    await runCleanups();
  }
}

// Ctrl-C must not leave a database, Azurite and an API process behind.
process.once('SIGINT', () => {
  log('interrupted; cleaning up');
  void runCleanups().finally(() => process.exit(130));
});

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
