/**
 * Shared plumbing for the benchmarks that run the real processes: cleanup bookkeeping, a throw-away
 * PostgreSQL database, Redis keys under a run's own prefix, development key files, the API and
 * worker as child processes, and a small HTTP client for the API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadConfig } from '../src/platform/config.js';
import { loadSigner } from '../src/platform/crypto/signing-key.js';
import { applyMigrations, ensureDatabaseExists } from '../src/platform/db/migrations.js';
import { freePort } from '../scripts/dev-services/free-port.js';
import { createKeyProvider } from '../src/platform/kms/key-provider-from-config.js';
import { migrationsDir, packageRoot } from '../src/platform/package-root.js';
import { startAzurite, type AzuriteProcess } from '../scripts/dev-services/azurite-process.js';

export const OWNER_SERVER_URL = 'postgresql://postgres@127.0.0.1:5432';
export const REDIS_URL = 'redis://127.0.0.1:6379';
export const PASSWORD = 'violet-harbour-gravel-43-tundra';

export class BenchError extends Error {
  override name = 'BenchError';
}

export type Log = (message: string) => void;

export function benchLog(name: string): Log {
  return (message) => process.stderr.write(`[${name}] ${message}\n`);
}

/** Cleanup steps run last-registered-first, each at most once, even after a failure or timeout. */
export class Cleanups {
  private readonly steps: Array<{ label: string; run: () => Promise<unknown> }> = [];

  constructor(private readonly log: Log) {}

  push(label: string, run: () => Promise<unknown>): void {
    this.steps.push({ label, run });
  }

  async runAll(): Promise<void> {
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      try {
        await step.run();
      } catch (error) {
        this.log(`cleanup "${step.label}" failed: ${(error as Error).message}`);
      }
    }
  }
}

/**
 * Runs `run` with a deadline, then the cleanups; Ctrl-C also cleans up. Exits 0 after printing
 * `run`'s output, non-zero with a message when it threw or took too long.
 */
export function runBenchmark(options: {
  readonly log: Log;
  readonly cleanups: Cleanups;
  readonly deadlineMs: number;
  readonly run: () => Promise<{ output: string; exitCode?: number }>;
}): void {
  const { log, cleanups, deadlineMs } = options;
  process.once('SIGINT', () => {
    log('interrupted; cleaning up');
    void cleanups.runAll().finally(() => process.exit(130));
  });
  let deadline: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    deadline = setTimeout(
      () => reject(new BenchError(`aborted: the run took longer than ${deadlineMs / 60_000} minutes`)),
      deadlineMs,
    );
  });
  const main = async () => {
    try {
      const result = await Promise.race([options.run(), timeout]);
      process.stdout.write(result.output);
      return result.exitCode ?? 0;
    } finally {
      clearTimeout(deadline);
      await cleanups.runAll();
    }
  };
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      log(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}

// --- database and Redis -------------------------------------------------------------------------

export async function createDatabase(name: string, cleanups: Cleanups): Promise<string> {
  const ownerUrl = `${OWNER_SERVER_URL}/${name}`;
  await ensureDatabaseExists(ownerUrl);
  cleanups.push('drop database', () => dropDatabase(name));
  await applyMigrations(ownerUrl, migrationsDir());
  return ownerUrl;
}

export async function dropDatabase(name: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${OWNER_SERVER_URL}/postgres` });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Rate-limit, session and queue keys live under the run's own prefix; nothing else is touched. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
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

// --- the processes ------------------------------------------------------------------------------

export interface ProcessEntry {
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
 * Production runs `node dist/src/<main>.js`, so that is measured when the build is current. A
 * stale build would measure old code, so then the sources run through tsx's loader inside the same
 * `node` process (not the tsx CLI, which would put a wrapper process between us and the process we
 * measure). The loader only transpiles at import time; the hot paths are the same JS.
 */
export function chooseEntry(main: 'main-api' | 'main-worker', root = packageRoot()): ProcessEntry {
  // The API runs with the V8 flags of `npm start` and the Dockerfile, so the benches measure it as
  // production runs it (see docs/operations.md, "Streaming throughput and memory").
  const flags = main === 'main-api' ? API_NODE_FLAGS : [];
  const shown = flags.length > 0 ? `${flags.join(' ')} ` : '';
  const compiled = path.join(root, 'dist', 'src', `${main}.js`);
  if (existsSync(compiled) && statSync(compiled).mtimeMs >= newestMtime(path.join(root, 'src'))) {
    return { args: [...flags, compiled], description: `compiled build: node ${shown}dist/src/${main}.js` };
  }
  return {
    args: [...flags, '--import', 'tsx', path.join(root, 'src', `${main}.ts`)],
    description: `sources via tsx loader: node ${shown}--import tsx src/${main}.ts (dist/ is missing or older than src/)`,
  };
}

/** Node/V8 flags of the API process in production: the `start` script and the Dockerfile's CMD. */
export const API_NODE_FLAGS: readonly string[] = [
  '--external-memory-accounted-in-global-limit',
  '--max-semi-space-size=32',
];

export interface EnvironmentSettings {
  readonly database: string;
  readonly ownerUrl: string;
  readonly azurite: string;
  readonly keysDir: string;
  readonly redisPrefix: string;
  readonly blobContainerPrefix: string;
}

/**
 * A closed environment: only what this run sets, so a developer's shell variables cannot leak in.
 * `extra` adds or overrides settings (LOG_LEVEL, limits, concurrency...).
 */
export function benchEnvironment(
  s: EnvironmentSettings,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DATABASE_URL: `postgresql://doklad_app@127.0.0.1:5432/${s.database}`,
    MIGRATION_DATABASE_URL: s.ownerUrl,
    AZURE_STORAGE_CONNECTION_STRING: s.azurite,
    BLOB_CONTAINER_PREFIX: s.blobContainerPrefix,
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
    // Several API and worker processes may run at once on this machine: any free metrics port.
    METRICS_PORT: '0',
    WORKER_METRICS_PORT: '0',
    ...extra,
  };
}

/**
 * Creates the development key files of `env` with the application's own code, before any process
 * starts, so that the API and every worker read the same keys.
 */
export async function createKeyFiles(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig(env);
  await loadSigner({ file: config.audit.signingKey.file, createIfMissing: true });
  await createKeyProvider(config.kms);
}

export interface BenchStack {
  readonly env: NodeJS.ProcessEnv;
  readonly database: string;
  readonly ownerUrl: string;
  readonly redisPrefix: string;
  readonly azurite: AzuriteProcess;
}

/**
 * Everything one benchmark run needs and removes again through `cleanups`: Azurite, a migrated
 * database `doklad_bench_<name><runId>`, Redis keys under `bench_<name><runId>`, development key
 * files, and the closed environment every process of the run shares.
 */
export async function startBenchStack(options: {
  readonly name: string;
  readonly runId: string;
  readonly blobContainerPrefix: string;
  readonly extraEnv: Record<string, string>;
  readonly cleanups: Cleanups;
  readonly log: Log;
}): Promise<BenchStack> {
  const { cleanups } = options;
  const keysDir = await mkdtemp(path.join(tmpdir(), 'doklad-bench-keys-'));
  cleanups.push('remove key directory', () => rm(keysDir, { recursive: true, force: true }));
  const azurite = await startAzurite();
  cleanups.push('stop Azurite', () => azurite.stop());
  const database = `doklad_bench_${options.name}${options.runId}`;
  const ownerUrl = await createDatabase(database, cleanups);
  const redisPrefix = `bench_${options.name}${options.runId}`;
  cleanups.push('delete Redis keys', () => deleteRedisKeys(redisPrefix));
  options.log(`Azurite on port ${azurite.port}, database ${database}, Redis prefix ${redisPrefix}`);
  const env = benchEnvironment(
    {
      database,
      ownerUrl,
      azurite: azurite.connectionString,
      keysDir,
      redisPrefix,
      blobContainerPrefix: options.blobContainerPrefix,
    },
    options.extraEnv,
  );
  await createKeyFiles(env);
  return { env, database, ownerUrl, redisPrefix, azurite };
}

export interface ChildService {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The last lines the process wrote (stdout and stderr), for error messages. */
  tail(): string;
}

/** Spawns `node <entry>`; its output is drained (so it can never block) and its tail kept. */
export function spawnService(options: {
  readonly label: string;
  readonly entry: ProcessEntry;
  readonly env: NodeJS.ProcessEnv;
  readonly cleanups: Cleanups;
  readonly log: Log;
}): ChildService {
  const child = spawn(process.execPath, options.entry.args, {
    cwd: packageRoot(),
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.cleanups.push(`stop ${options.label}`, () => stopChild(child));
  const lines: string[] = [];
  const remember = (text: string) => {
    for (const line of text.split('\n')) {
      if (!line) continue;
      lines.push(line);
      if (lines.length > 20) lines.shift();
    }
  };
  child.stdout?.setEncoding('utf8').on('data', remember);
  child.stderr?.setEncoding('utf8').on('data', remember);
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM')
      options.log(`${options.label} exited (code ${code}, ${signal}):\n${lines.join('\n')}`);
  });
  return { child, pid: child.pid as number, tail: () => lines.join('\n') };
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const result = await Promise.race([exited, sleep(10_000, 'timeout')]);
  if (result === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Resolves once `ready()` is true; rejects when the process exits first or after `timeoutMs`. */
export async function waitUntil(
  service: ChildService,
  what: string,
  ready: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (service.child.exitCode !== null || service.child.signalCode !== null) {
      throw new BenchError(
        `${what}: the process exited (code ${service.child.exitCode}):\n${service.tail()}`,
      );
    }
    if (await ready().catch(() => false)) return;
    await sleep(100);
  }
  throw new BenchError(`${what}: not ready after ${timeoutMs / 1000} s:\n${service.tail()}`);
}

export interface ApiProcess extends ChildService {
  readonly baseUrl: string;
}

/** Starts the API on a free port and resolves once GET /healthz answers. */
export async function startApi(options: {
  readonly entry: ProcessEntry;
  readonly env: NodeJS.ProcessEnv;
  readonly cleanups: Cleanups;
  readonly log: Log;
}): Promise<ApiProcess> {
  const port = await freePort();
  const service = spawnService({
    label: 'the API',
    entry: options.entry,
    env: { ...options.env, PORT: String(port) },
    cleanups: options.cleanups,
    log: options.log,
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitUntil(service, 'the API', async () => {
    const result = await call(new URL('/healthz', baseUrl), { method: 'GET', headers: {} });
    return result.status === 200;
  });
  return { ...service, baseUrl };
}

// --- HTTP against the API -----------------------------------------------------------------------

/** Slices handed to the sockets: views into one buffer, so the payload exists once in memory. */
const SLICE_BYTES = 64 * 1024;

function* slices(bytes: Buffer): Generator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += SLICE_BYTES) {
    yield bytes.subarray(offset, offset + SLICE_BYTES);
  }
}

export function streamOf(bytes: Buffer): Readable {
  return Readable.from(slices(bytes), { objectMode: false });
}

export async function readText(stream: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

export interface CallResult {
  readonly status: number;
  readonly json: unknown;
}

/** Sends `body` (streamed in slices) and resolves with the status and the JSON answer. */
export async function call(
  url: URL,
  options: { method: string; headers: http.OutgoingHttpHeaders; body?: Buffer; agent?: http.Agent },
): Promise<CallResult> {
  const { body } = options;
  const headers = { ...options.headers, ...(body ? { 'content-length': String(body.length) } : {}) };
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const request = http.request(
      url,
      { method: options.method, headers, ...(options.agent ? { agent: options.agent } : {}) },
      resolve,
    );
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

export function expectStatus(result: CallResult, expected: number, what: string): void {
  if (result.status !== expected) {
    throw new BenchError(
      `${what}: expected HTTP ${expected}, got ${result.status}: ${JSON.stringify(result.json)}`,
    );
  }
}

export async function signUp(baseUrl: string): Promise<{ token: string; tenantId: string }> {
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

// --- measurement helpers ------------------------------------------------------------------------

/** Linux reports process CPU time in clock ticks of 1/100 s (USER_HZ) on every mainstream build. */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Linear interpolation between closest ranks; NaN for no values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  const lowValue = sorted[low] as number;
  return lowValue + ((sorted[high] as number) - lowValue) * (position - low);
}
