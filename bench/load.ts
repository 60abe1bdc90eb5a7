/**
 * One row of `bench:api`: autocannon against one URL for a bounded time (after a discarded
 * warm-up), in this process, with the CPU time of the load generator, the server and the run's
 * PostgreSQL backends measured over the same interval.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import type pg from 'pg';
import { cpuSeconds } from './support.js';

/** Latencies kept per row (one Float64 each); autocannon's own counters have no limit. */
const MAX_SAMPLES = 2_000_000;

export interface LoadTarget {
  readonly name: string;
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  /** Called for every request: a distinct path or body each time (see autocannon's setupRequest). */
  readonly setupRequest?: (request: autocannon.Request) => autocannon.Request;
  /** The process answering: its CPU time is measured. */
  readonly serverPid: number;
}

export interface LoadSettings {
  readonly connections: number;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  /** A hard cap on requests per row, so that no row can run away (uploads create documents). */
  readonly maxRequests: number;
  /** The owner connection to the run's database, to find its backends; absent for hello world. */
  readonly db?: pg.Client;
  readonly database?: string;
  readonly otherPids?: Readonly<Record<string, number>>;
}

export interface RowResult {
  readonly name: string;
  /** req/s of each measured segment, when a row was measured in several (see mergeRows). */
  readonly segments: readonly number[];
  readonly responses: number;
  readonly durationSeconds: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Socket errors and timeouts (autocannon's `errors`, which include `timeouts`). */
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly statusCodes: Record<string, number>;
  /** Mean size of a 2xx response (headers and body), in bytes. */
  readonly bytesPerResponse: number;
  /** CPU seconds over the measured interval (not the warm-up). */
  readonly cpu: {
    readonly client: number;
    readonly server: number;
    readonly postgres: number | undefined;
    readonly others: Record<string, number>;
  };
}

async function backendPids(db: pg.Client, database: string): Promise<number[]> {
  const { rows } = await db.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [database],
  );
  return rows.map((r) => r.pid);
}

function cpuOr(pid: number): number | undefined {
  try {
    return cpuSeconds(pid);
  } catch {
    return undefined; // the process ended in between
  }
}

/** CPU of the run's backends: per pid, the growth since the start (all of it for new backends). */
async function postgresSnapshot(
  settings: LoadSettings,
): Promise<(() => Promise<number | undefined>) | undefined> {
  const { db, database } = settings;
  if (!db || !database) return undefined;
  const before = new Map<number, number>();
  for (const pid of await backendPids(db, database)) {
    const cpu = cpuOr(pid);
    if (cpu !== undefined) before.set(pid, cpu);
  }
  return async () => {
    let total = 0;
    for (const pid of await backendPids(db, database)) {
      const cpu = cpuOr(pid);
      if (cpu !== undefined) total += cpu - (before.get(pid) ?? 0);
    }
    return total;
  };
}

function quantileOf(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  const lowValue = sorted[low] as number;
  return lowValue + ((sorted[high] as number) - lowValue) * (position - low);
}

function fire(
  target: LoadTarget,
  settings: LoadSettings,
  seconds: number,
  onLatency?: (ms: number) => void,
  onStart?: (stop: () => void) => void,
): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        connections: settings.connections,
        duration: seconds,
        maxOverallRequests: settings.maxRequests,
        timeout: 10,
        method: target.method ?? 'GET',
        headers: target.headers ?? {},
        ...(target.setupRequest ? { requests: [{ setupRequest: target.setupRequest }] } : {}),
      },
      (error: Error | null, result: autocannon.Result) => (error ? reject(error) : resolve(result)),
    );
    onStart?.(() => instance.stop());
    if (onLatency)
      instance.on('response', (_client, _status, _bytes, responseTime) => onLatency(responseTime));
  });
}

/**
 * Warm-up (discarded), then the measured run. Latencies are taken from every response, whatever
 * its status, at autocannon's full resolution (autocannon's own histogram rounds to 1 ms and
 * leaves out non-2xx answers).
 */
export async function runRow(
  target: LoadTarget,
  settings: LoadSettings,
  onStart: (stop: () => void) => void,
): Promise<RowResult & { latencies: Float64Array }> {
  if (settings.warmupSeconds > 0) await fire(target, settings, settings.warmupSeconds, undefined, onStart);
  await sleep(500); // let the warm-up's last requests and any follow-up work settle
  const latencies = new Float64Array(MAX_SAMPLES);
  let count = 0;
  const postgres = await postgresSnapshot(settings);
  const others = Object.entries(settings.otherPids ?? {}).map(([name, pid]) => ({
    name,
    pid,
    before: cpuOr(pid) ?? 0,
  }));
  const clientBefore = process.cpuUsage();
  const serverBefore = cpuSeconds(target.serverPid);
  const result = await fire(
    target,
    settings,
    settings.durationSeconds,
    (ms) => {
      if (count < MAX_SAMPLES) latencies[count++] = ms;
    },
    onStart,
  );
  const client = process.cpuUsage(clientBefore);
  const cpu = {
    client: (client.user + client.system) / 1e6,
    server: cpuSeconds(target.serverPid) - serverBefore,
    postgres: postgres ? await postgres() : undefined,
    others: Object.fromEntries(others.map((o) => [o.name, (cpuOr(o.pid) ?? o.before) - o.before])),
  };
  const sorted = latencies.subarray(0, count).sort();
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0]),
  );
  const responses = Object.values(statusCodes).reduce((a, b) => a + b, 0);
  return {
    name: target.name,
    segments: [responses / result.duration],
    responses,
    durationSeconds: result.duration,
    requestsPerSecond: responses / result.duration,
    p50Ms: quantileOf(sorted, 0.5),
    p99Ms: quantileOf(sorted, 0.99),
    maxMs: count > 0 ? (sorted[count - 1] as number) : Number.NaN,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes,
    bytesPerResponse: result['2xx'] > 0 ? result.throughput.total / result['2xx'] : 0,
    cpu,
    latencies: sorted,
  };
}

function sumRecords(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const sum = { ...a };
  for (const [key, n] of Object.entries(b)) sum[key] = (sum[key] ?? 0) + n;
  return sum;
}

/** One row from two measured segments of the same target: counts and CPU add up, latencies merge. */
export function mergeRows(
  a: RowResult & { latencies: Float64Array },
  b: RowResult & { latencies: Float64Array },
): RowResult & { latencies: Float64Array } {
  const latencies = new Float64Array(a.latencies.length + b.latencies.length);
  latencies.set(a.latencies);
  latencies.set(b.latencies, a.latencies.length);
  latencies.sort();
  const responses = a.responses + b.responses;
  const durationSeconds = a.durationSeconds + b.durationSeconds;
  const ok = (r: RowResult) => r.bytesPerResponse * (r.responses - r.non2xx);
  const okResponses = responses - a.non2xx - b.non2xx;
  return {
    name: a.name,
    segments: [...a.segments, ...b.segments],
    responses,
    durationSeconds,
    requestsPerSecond: responses / durationSeconds,
    p50Ms: quantileOf(latencies, 0.5),
    p99Ms: quantileOf(latencies, 0.99),
    maxMs: Math.max(a.maxMs, b.maxMs),
    errors: a.errors + b.errors,
    timeouts: a.timeouts + b.timeouts,
    non2xx: a.non2xx + b.non2xx,
    statusCodes: sumRecords(a.statusCodes, b.statusCodes),
    bytesPerResponse: okResponses > 0 ? (ok(a) + ok(b)) / okResponses : 0,
    cpu: {
      client: a.cpu.client + b.cpu.client,
      server: a.cpu.server + b.cpu.server,
      postgres:
        a.cpu.postgres === undefined || b.cpu.postgres === undefined
          ? undefined
          : a.cpu.postgres + b.cpu.postgres,
      others: sumRecords(a.cpu.others, b.cpu.others),
    },
    latencies,
  };
}
