/**
 * The process's Prometheus metrics (prom-client), in one registry per process.
 *
 * Why a module-level registry rather than an object handed down by the container: a metric is a
 * process-wide fact like the process's heap, prom-client is built around registries that live as
 * long as the process, and the few places that count something (a refused request, a lockout, a
 * finished job) would otherwise all grow a constructor dependency for a one-line increment. What
 * belongs to one container (its database pool, its queues) is attached with `observe*` and
 * detached when the container closes, so tests that build several containers in one process stay
 * correct.
 *
 * Labels carry only bounded, non-personal values: route templates (never raw URLs), status codes,
 * queue names, formats, outcome words, and integration-token ids (random UUIDs an operator sees
 * in the token list; never a token's name, a tenant's name, an email or an IP).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Queue } from 'bullmq';

export const registry = new Registry();
// Event-loop lag, heap, GC, handles, CPU: prom-client's process metrics, prefixed like ours.
collectDefaultMetrics({ register: registry, prefix: 'doklad_', eventLoopMonitoringPrecision: 20 });

const SECONDS_FAST = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SECONDS_SLOW = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export const httpRequestDuration = new Histogram({
  name: 'doklad_http_request_duration_seconds',
  help: 'HTTP request duration by method, route template and status code',
  labelNames: ['method', 'route', 'status_code'] as const,
  buckets: SECONDS_FAST,
  registers: [registry],
});

export const httpRequestsInFlight = new Gauge({
  name: 'doklad_http_requests_in_flight',
  help: 'HTTP requests received and not yet answered',
  registers: [registry],
});

export const rateLimitRefusals = new Counter({
  name: 'doklad_rate_limit_refusals_total',
  help: 'Requests refused by the shared rate limit (429)',
  labelNames: ['principal_kind'] as const,
  registers: [registry],
});

export const loginFailures = new Counter({
  name: 'doklad_login_failures_total',
  help: 'Failed sign-in attempts, by factor (password or second factor)',
  labelNames: ['factor'] as const,
  registers: [registry],
});

export const loginLockouts = new Counter({
  name: 'doklad_login_lockouts_total',
  help: 'Sign-in locks that began, by scope (source = account from one IP, account, second_factor)',
  labelNames: ['scope'] as const,
  registers: [registry],
});

export const tokenUses = new Counter({
  name: 'doklad_token_uses_total',
  help: 'Requests made with an integration token, by token id',
  labelNames: ['token_id'] as const,
  registers: [registry],
});

export const jobDuration = new Histogram({
  name: 'doklad_job_duration_seconds',
  help: 'BullMQ job attempt duration by queue and outcome (completed, retry, failed)',
  labelNames: ['queue', 'outcome'] as const,
  buckets: SECONDS_SLOW,
  registers: [registry],
});

export const jobsFinished = new Counter({
  name: 'doklad_jobs_total',
  help: 'BullMQ job attempts finished, by queue and outcome (completed, retry, failed)',
  labelNames: ['queue', 'outcome'] as const,
  registers: [registry],
});

export const extractions = new Counter({
  name: 'doklad_extractions_total',
  help: 'Extraction runs finished, by outcome (extracted, needs_review, failed), kind (format) and main field source',
  labelNames: ['outcome', 'kind', 'source'] as const,
  registers: [registry],
});

export const extractionFailures = new Counter({
  name: 'doklad_extraction_failures_total',
  help: 'Failed extraction attempts by refusal code (internal_error for anything else)',
  labelNames: ['code', 'final'] as const,
  registers: [registry],
});

export const reconcilerEnqueued = new Counter({
  name: 'doklad_reconciler_enqueued_total',
  help: 'Documents the reconciler enqueued: never queued, or their job vanished (a crash between commit and enqueue, Redis lost)',
  registers: [registry],
});

export const ocrPages = new Counter({
  name: 'doklad_ocr_pages_total',
  help: 'Pages (or images) read by OCR',
  registers: [registry],
});

export const auditEventsAppended = new Counter({
  name: 'doklad_audit_events_appended_total',
  help: 'Audit events recorded (appended unchained) in a transaction, by action',
  labelNames: ['action'] as const,
  registers: [registry],
});

export const auditEventsChained = new Counter({
  name: 'doklad_audit_events_chained_total',
  help: 'Audit events given their place in a tenant hash chain',
  registers: [registry],
});

export const auditChainLag = new Histogram({
  name: 'doklad_audit_chain_lag_seconds',
  help: 'Per chained batch, the longest time an event waited from recording to being chained',
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
  registers: [registry],
});

export const auditChainLastLag = new Gauge({
  name: 'doklad_audit_chain_last_lag_seconds',
  help: 'The longest recording-to-chained wait of the last chaining pass that chained anything',
  registers: [registry],
});

export const auditChainBacklogTenants = new Gauge({
  name: 'doklad_audit_chain_backlog_tenants',
  help: 'Tenants with unchained audit events seen by the last chaining pass',
  registers: [registry],
});

export const webhookDeliveries = new Counter({
  name: 'doklad_webhook_deliveries_total',
  help: 'Webhook deliveries by outcome: delivered, attempt_failed (will be retried), failed (for good)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const webhookEndpointsDisabled = new Counter({
  name: 'doklad_webhook_endpoints_disabled_total',
  help: 'Webhook endpoints disabled after repeated failed deliveries',
  registers: [registry],
});

export const blobStoreErrors = new Counter({
  name: 'doklad_blob_store_errors_total',
  help: 'Blob store operations that failed, by operation',
  labelNames: ['operation'] as const,
  registers: [registry],
});

// --- gauges read at scrape time from what a container owns --------------------------------------

/** What a pg.Pool exposes about itself (node-postgres keeps these counters). */
export interface PoolStats {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

const pools = new Map<PoolStats, string>();

function collectPools(this: Gauge<'pool'>, pick: (pool: PoolStats) => number): void {
  this.reset();
  for (const [pool, name] of pools) this.inc({ pool: name }, pick(pool));
}

new Gauge({
  name: 'doklad_db_pool_connections_in_use',
  help: 'Database connections checked out of the pool',
  labelNames: ['pool'] as const,
  registers: [registry],
  collect(this: Gauge<'pool'>) {
    collectPools.call(this, (p) => p.totalCount - p.idleCount);
  },
});
new Gauge({
  name: 'doklad_db_pool_connections_idle',
  help: 'Open database connections waiting in the pool',
  labelNames: ['pool'] as const,
  registers: [registry],
  collect(this: Gauge<'pool'>) {
    collectPools.call(this, (p) => p.idleCount);
  },
});
new Gauge({
  name: 'doklad_db_pool_waiting_requests',
  help: 'Callers waiting for a free database connection',
  labelNames: ['pool'] as const,
  registers: [registry],
  collect(this: Gauge<'pool'>) {
    collectPools.call(this, (p) => p.waitingCount);
  },
});

/** Reports a connection pool at every scrape until the returned function is called. */
export function observePool(pool: PoolStats, name = 'main'): () => void {
  pools.set(pool, name);
  return () => void pools.delete(pool);
}

/** What is read of a queue: its counts and its first waiting jobs. */
export type QueueProbe = Pick<Queue, 'name' | 'getJobCounts' | 'getJobs'>;

const queueSources = new Set<() => readonly QueueProbe[]>();
/** Jobs looked at to find the oldest waiting one: a prioritized queue is ordered by priority, not age. */
const OLDEST_SAMPLE = 50;

/** One read of every queue per scrape, shared by the gauges below (they are collected in parallel). */
let probing: Promise<void> | undefined;
function probeQueues(): Promise<void> {
  probing ??= (async () => {
    const now = Date.now();
    const queues = [...queueSources].flatMap((source) => source());
    // A queue that cannot be read (Redis down) keeps its last values; the scrape still answers.
    await Promise.allSettled(queues.map((queue) => probeQueue(queue, now)));
  })().finally(() => (probing = undefined));
  return probing;
}

const queueJobs = new Gauge({
  name: 'doklad_queue_jobs',
  help: 'Jobs in a queue by state (waiting includes prioritized)',
  labelNames: ['queue', 'state'] as const,
  registers: [registry],
  collect: probeQueues,
});
const queueOldestAge = new Gauge({
  name: 'doklad_queue_oldest_waiting_job_age_seconds',
  help: 'Age of the oldest job waiting to be processed (0 when none waits)',
  labelNames: ['queue'] as const,
  registers: [registry],
  collect: probeQueues,
});

async function probeQueue(queue: QueueProbe, now: number): Promise<void> {
  const counts = await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'failed', 'completed');
  queueJobs.set({ queue: queue.name, state: 'waiting' }, (counts.wait ?? 0) + (counts.prioritized ?? 0));
  for (const state of ['active', 'delayed', 'failed', 'completed'] as const)
    queueJobs.set({ queue: queue.name, state }, counts[state] ?? 0);
  // The oldest of a FIFO list is its tail; of a priority set, among the first few by priority
  // (each tenant's oldest job has its smallest rank, see extractions.fairness.ts).
  const [plain, prioritized] = await Promise.all([
    queue.getJobs(['wait'], 0, 0, true),
    queue.getJobs(['prioritized'], 0, OLDEST_SAMPLE - 1, true),
  ]);
  // getJobs yields undefined for a job removed between the range read and the fetch.
  const stamps = [...plain, ...prioritized].flatMap((job) => (job ? [job.timestamp] : []));
  queueOldestAge.set(
    { queue: queue.name },
    stamps.length ? Math.max(0, now - Math.min(...stamps)) / 1000 : 0,
  );
}

/** Reports these queues' depth and oldest waiting job at every scrape until the returned function is called. */
export function observeQueues(source: () => readonly QueueProbe[]): () => void {
  queueSources.add(source);
  return () => void queueSources.delete(source);
}

/** The exposition text and its content type. */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
