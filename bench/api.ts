/**
 * API benchmark: requests per second and latency of the hot read paths, against a bare Fastify
 * hello world measured in the same run on the same machine. Everything is real: the compiled API
 * (`dist/src/main-api.js`, built first when stale), a fresh PostgreSQL database, Redis under the
 * run's own key prefix, an in-memory Azurite. It seeds a firm through the API (see api-seed.ts),
 * then runs one autocannon row after another in this process, never two at once.
 *
 *   npm run bench:api [-- --connections 32 --duration 10 --warmup 2 --documents 60 --json out.json]
 *
 * Exits 0 when every row completed (the goals print PASS or FAIL; a FAIL is a result, not an
 * error), non-zero with a message when something broke or the run took longer than its deadline.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from '../scripts/dev-services/free-port.js';
import { packageRoot } from '../src/platform/package-root.js';
import { SAMPLE } from '../test/unit/extraction/fixtures/invoice-model.js';
import { ublXml } from '../test/unit/extraction/fixtures/xml-fixtures.js';
import { seed, TOKEN_SCOPES, type Seeded } from './api-seed.js';
import { mergeRows, runRow, type LoadSettings, type LoadTarget, type RowResult } from './load.js';
import { formatReport, type Options, type Report } from './api-report.js';
import {
  BenchError,
  benchLog,
  call,
  chooseEntry,
  Cleanups,
  OWNER_SERVER_URL,
  runBenchmark,
  spawnService,
  startApi,
  stopChild,
  waitUntil,
  type ChildService,
  startBenchStack,
} from './support.js';

const log = benchLog('bench:api');
const cleanups = new Cleanups(log);
const MAX_REQUESTS_PER_ROW = 1_000_000;
/** Uploads create documents, blobs and queued jobs: a tighter cap keeps the run's footprint small. */
const MAX_UPLOADS_PER_ROW = 50_000;
const BUILD_TIMEOUT_MS = 180_000;
const SETTLE_AFTER_SEED_MS = 3_000;

// --- options ------------------------------------------------------------------------------------

function parseOptions(): Options {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        connections: { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        documents: { type: 'string' },
        json: { type: 'string' },
        corpus: { type: 'string' },
      },
    }));
  } catch (error) {
    throw new BenchError(
      `${(error as Error).message}; options: --connections N --duration S --warmup S --documents N ` +
        '--json FILE --corpus DIR',
    );
  }
  const integer = (name: string, fallback: number, min: number, max: number) => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new BenchError(`--${name} needs an integer from ${min} to ${max}, got "${raw}"`);
    return value;
  };
  return {
    connections: integer('connections', 32, 1, 1024),
    durationSeconds: integer('duration', 10, 1, 300),
    warmupSeconds: integer('warmup', 2, 0, 60),
    documents: integer('documents', 60, 50, 200),
    json: values.json,
    corpus: values.corpus ?? path.join(packageRoot(), '..', 'shared', 'corpus', 'dev'),
  };
}

// --- the build ----------------------------------------------------------------------------------

/** The compiled build is what production runs, so that is what is measured; build it when stale. */
function ensureCompiledBuild(): {
  api: ReturnType<typeof chooseEntry>;
  worker: ReturnType<typeof chooseEntry>;
} {
  const compiled = () => {
    const api = chooseEntry('main-api');
    const worker = chooseEntry('main-worker');
    // The script is the last argument: the API's V8 flags come before it.
    return api.args.at(-1)?.endsWith('.js') && worker.args.at(-1)?.endsWith('.js')
      ? { api, worker }
      : undefined;
  };
  const fresh = compiled();
  if (fresh) {
    log('dist/ is newer than src/: using the existing build');
    return fresh;
  }
  log('dist/ is missing or older than src/: building (tsc -p tsconfig.build.json)');
  const tsc = path.join(packageRoot(), 'node_modules', 'typescript', 'bin', 'tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: packageRoot(),
    encoding: 'utf8',
    timeout: BUILD_TIMEOUT_MS,
  });
  if (build.status !== 0)
    throw new BenchError(
      `the build failed (${build.status ?? build.signal}):\n${build.stdout}${build.stderr}`,
    );
  const built = compiled();
  if (!built) throw new BenchError('the build finished but dist/ is still older than src/');
  return built;
}

// --- the rows -----------------------------------------------------------------------------------

/** A small UBL invoice; every request gets its own invoice number, so no upload is a duplicate. */
function uploadBodies(runId: string): () => Buffer {
  const marker = 'BENCH-UPLOAD-NUMBER';
  const [head, tail] = ublXml({ ...SAMPLE, number: marker }).split(marker) as [string, string];
  let counter = 0;
  return () => Buffer.from(`${head}U-${runId}-${counter++}${tail}`, 'utf8');
}

function rowTargets(
  baseUrl: string,
  helloUrl: string,
  seeded: Seeded,
  pids: { api: number; hello: number },
  runId: string,
): { name: string; target: LoadTarget; settings?: Partial<LoadSettings> }[] {
  const session = { authorization: `Bearer ${seeded.session}` };
  const token = { authorization: `Bearer ${seeded.token}` };
  const ids = seeded.documentIds;
  let nextId = 0;
  const nextBody = uploadBodies(runId);
  const api = (name: string, target: Omit<LoadTarget, 'serverPid' | 'name'>) => ({
    name,
    target: { name, serverPid: pids.api, ...target },
  });
  return [
    { name: 'hello world', target: { name: 'hello world', url: `${helloUrl}/`, serverPid: pids.hello } },
    api('GET /healthz', { url: `${baseUrl}/healthz` }),
    api('GET /v1/documents?limit=50 (session)', {
      url: `${baseUrl}/v1/documents?limit=50`,
      headers: session,
    }),
    api('GET /v1/documents?limit=50 (token)', { url: `${baseUrl}/v1/documents?limit=50`, headers: token }),
    api('GET /v1/documents/:id (session)', {
      url: `${baseUrl}/v1/documents/${ids[0]}`,
      headers: session,
      // The seeded documents in turn, so no single row stays hot in a cache.
      setupRequest: (request) => ({ ...request, path: `/v1/documents/${ids[nextId++ % ids.length]}` }),
    }),
    api('GET /v1/extractions?status=validated (token)', {
      url: `${baseUrl}/v1/extractions?status=validated`,
      headers: token,
    }),
    {
      ...api('POST /v1/documents, small XML (session)', {
        url: `${baseUrl}/v1/documents?filename=bench-upload.xml`,
        method: 'POST',
        headers: { ...session, 'content-type': 'application/xml' },
        setupRequest: (request) => ({ ...request, body: nextBody() }),
      }),
      settings: { maxRequests: MAX_UPLOADS_PER_ROW },
    },
    {
      name: 'hello world (again)',
      target: { name: 'hello world (again)', url: `${helloUrl}/`, serverPid: pids.hello },
    },
  ];
}

type Row = ReturnType<typeof rowTargets>[number];

/**
 * The order rows run in. The session and token lists are compared with each other, so each is
 * measured in two halves in the order session, token, token, session: a steady drift of the shared
 * machine's load then hits both alike instead of favouring whichever ran first.
 */
function runOrder(targets: readonly Row[]): Array<Row & { share: number }> {
  const order: Array<Row & { share: number }> = [];
  const session = targets.find((t) => t.name.includes('limit=50 (session)'));
  const token = targets.find((t) => t.name.includes('limit=50 (token)'));
  for (const t of targets) {
    if (t === token) continue;
    if (t === session && token) {
      const half = [session, token, token, session].map((x) => ({ ...x, share: 0.5 }));
      order.push(...half);
    } else order.push({ ...t, share: 1 });
  }
  return order;
}

/** One request of the row's kind before it is loaded: it must succeed, and its size is reported. */
async function checkTarget(target: LoadTarget): Promise<string> {
  const url = new URL(target.url);
  const result = await call(url, {
    method: target.method ?? 'GET',
    headers: target.headers ?? {},
    ...(target.method === 'POST' ? { body: Buffer.from(ublXml({ ...SAMPLE, number: 'CHECK-1' })) } : {}),
  });
  if (result.status < 200 || result.status > 299)
    throw new BenchError(
      `${target.name}: the check request answered ${result.status}: ${JSON.stringify(result.json)}`,
    );
  const items = (result.json as { items?: unknown[] } | undefined)?.items;
  return items ? `${items.length} items` : `HTTP ${result.status}`;
}

// --- main ---------------------------------------------------------------------------------------

async function startHelloWorld(): Promise<{ service: ChildService; url: string }> {
  const port = await freePort();
  const service = spawnService({
    label: 'hello world',
    entry: { args: [path.join(packageRoot(), 'bench', 'hello-world.ts')], description: 'hello world' },
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port) },
    cleanups,
    log,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(
    service,
    'hello world',
    async () => (await call(new URL(url), { method: 'GET', headers: {} })).status === 200,
  );
  return { service, url };
}

async function run(options: Options): Promise<{ output: string }> {
  const started = Date.now();
  const loadBefore = loadavg()[0] ?? 0;
  const entries = ensureCompiledBuild();
  const runId = randomBytes(4).toString('hex');
  const { env, database, azurite } = await startBenchStack({
    name: 'api_',
    runId,
    blobContainerPrefix: 'benchapi',
    extraEnv: { LOG_LEVEL: 'warn', RATE_LIMIT_MAX: '100000000', EXTRACTION_CONCURRENCY: '2' },
    cleanups,
    log,
  });
  const api = await startApi({ entry: entries.api, env, cleanups, log });
  // The worker runs only while seeding: during the rows it would compete for the same cores.
  const worker = spawnService({ label: 'the worker', entry: entries.worker, env, cleanups, log });
  log(`API at ${api.baseUrl} (pid ${api.pid}), worker pid ${worker.pid}`);
  const seeded = await seed({
    baseUrl: api.baseUrl,
    documents: options.documents,
    corpusDir: options.corpus,
    runId,
    log,
  });
  await stopChild(worker.child);
  log(`seeded: ${seeded.documentIds.length} documents, ${seeded.validated} validated; worker stopped`);

  const hello = await startHelloWorld();
  // Seeding leaves work behind (autovacuum after the inserts, the worker's exit): let it pass.
  await sleep(SETTLE_AFTER_SEED_MS);
  const db = new pg.Client({ connectionString: `${OWNER_SERVER_URL}/${database}` });
  await db.connect();
  cleanups.push('close the database connection', () => db.end());

  let stopCurrent: (() => void) | undefined;
  cleanups.push('stop the load generator', async () => stopCurrent?.());
  const targets = rowTargets(
    api.baseUrl,
    hello.url,
    seeded,
    { api: api.pid, hello: hello.service.pid },
    runId,
  );
  const measured = new Map<string, RowResult & { latencies: Float64Array; check: string }>();
  for (const { name, target, settings, share } of runOrder(targets)) {
    const check = await checkTarget(target);
    const seconds = options.durationSeconds * share;
    log(`row "${name}" (${check}): ${options.warmupSeconds} s warm-up, ${seconds} s measured`);
    const isApi = target.serverPid === api.pid;
    const row = await runRow(
      target,
      {
        connections: options.connections,
        durationSeconds: seconds,
        warmupSeconds: options.warmupSeconds,
        maxRequests: MAX_REQUESTS_PER_ROW,
        ...(isApi ? { db, database, otherPids: { azurite: azurite.pid } } : {}),
        ...settings,
      },
      (stop) => {
        stopCurrent = stop;
      },
    );
    stopCurrent = undefined;
    const earlier = measured.get(name);
    measured.set(name, { ...(earlier ? mergeRows(earlier, row) : row), check });
  }
  const rows = [...measured.values()].map(({ latencies: _latencies, ...row }) => row);

  const report: Report = {
    startedAt: new Date(started).toISOString(),
    node: process.version,
    cores: availableParallelism(),
    loadBefore,
    loadAfter: loadavg()[0] ?? 0,
    options,
    apiEntry: entries.api.description,
    seed: {
      source: seeded.source,
      documents: seeded.documentIds.length,
      statuses: seeded.statuses,
      validated: seeded.validated,
      overridden: seeded.overridden,
      tokenScopes: [...TOKEN_SCOPES],
    },
    rows,
    wallSeconds: (Date.now() - started) / 1000,
  };
  if (options.json) {
    writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    log(`results written to ${options.json}`);
  }
  return { output: formatReport(report) };
}

const options = (() => {
  try {
    return parseOptions();
  } catch (error) {
    process.stderr.write(`[bench:api] ${(error as Error).message}\n`);
    process.exit(2);
  }
})();
// Seeding (~1 min on 2 cores) plus every measured run (10, counting the list rows' halves) with its
// warm-up, with room to spare.
const deadlineMs = 6 * 60_000 + 10 * (options.warmupSeconds + options.durationSeconds + 5) * 1000;
runBenchmark({ log, cleanups, deadlineMs, run: () => run(options) });
