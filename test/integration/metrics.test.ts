/**
 * `/metrics` through the real stack: an upload goes through the API, Redis and the worker, and the
 * series an operator alerts on exist and move; no label carries personal data; the endpoint is
 * not on the API port and refuses scrapes without its token.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config.js';
import { observeQueues } from '../../src/platform/metrics.js';
import { startMetricsServer, type MetricsServer } from '../../src/platform/metrics-server.js';
import { startWorkers, type RunningWorkers } from '../../src/workers/start-workers.js';
import { SAMPLE } from '../unit/extraction/fixtures/invoice-model.js';
import { ublXml } from '../unit/extraction/fixtures/xml-fixtures.js';
import { bearer, login, signup, type SignedUp } from '../helpers/auth.js';
import { uploadRaw } from '../helpers/documents.js';
import { useTestEnv } from '../helpers/test-env.js';

const TOKEN = 'metrics-scrape-token-0123456789abcdef';
const TENANT_NAME = 'Prokop Novák Účetní s.r.o.';
const PERSON_NAME = 'Zdeňka Metricová';

const env = useTestEnv({ env: { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', RATE_LIMIT_MAX: '30' } });
let workers: RunningWorkers;
let metrics: MetricsServer;
let stopObserving: () => void;
let owner: SignedUp;
let receiver: Server;
let receiverUrl: string;

beforeAll(async () => {
  workers = await startWorkers(env.container);
  stopObserving = observeQueues(() => env.container.queues.all());
  metrics = await startMetricsServer({ host: '127.0.0.1', port: 0, token: TOKEN });
  owner = await signup(env.app, { tenantName: TENANT_NAME, name: PERSON_NAME });
  receiver = createServer((_req, res) => res.writeHead(204).end());
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  stopObserving?.();
  await metrics?.close();
  await workers?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

type Samples = Map<string, number>;

async function scrape(): Promise<{ text: string; samples: Samples }> {
  const res = await fetch(`${metrics.address}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const text = await res.text();
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return { text, samples };
}

/** Sum of every sample of `name` whose labels include all of `labels`. */
function total(samples: Samples, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [key, value] of samples) {
    const brace = key.indexOf('{');
    if ((brace < 0 ? key : key.slice(0, brace)) !== name) continue;
    const ok = Object.entries(labels).every(([k, v]) => key.includes(`${k}="${v}"`));
    if (ok) sum += value;
  }
  return sum;
}

async function waitForStatus(documentId: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Read from the database, not the API: polling must not spend the rate limit this test probes.
    const { rows } = await env.adminQuery<{ status: string }>('SELECT status FROM documents WHERE id = $1', [
      documentId,
    ]);
    const status = rows[0]?.status ?? 'missing';
    if (!['stored', 'queued', 'extracting'].includes(status)) return status;
    if (Date.now() > deadline) throw new Error(`document ${documentId} still ${status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('/metrics', () => {
  it('shows the main series moving after an upload through API, queue and worker', async () => {
    const before = (await scrape()).samples;

    const hook = await env.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: bearer(owner.token),
      payload: { url: receiverUrl, events: ['document.extracted', 'document.needs_review'] },
    });
    expect(hook.statusCode, hook.body).toBe(201);
    const created = await env.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: bearer(owner.token),
      payload: { name: 'erp', scopes: ['documents:read', 'documents:write'] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const { id: tokenId, token } = created.json() as { id: string; token: string };

    const up = await uploadRaw(env.app, token, Buffer.from(ublXml({ ...SAMPLE, number: 'MET-1' })), {
      contentType: 'application/xml',
    });
    expect(up.statusCode, up.body).toBe(201);
    const documentId = up.json().id as string;
    expect(['extracted', 'needs_review']).toContain(await waitForStatus(documentId));
    // Five wrong passwords from one address lock the account for that address (LOGIN_MAX_FAILURES).
    for (let i = 0; i < 5; i++)
      expect((await login(env.app, owner.email, 'not-the-password-at-all')).statusCode).toBe(401);
    // A distinct client address, so only its own requests count against its limit.
    const answers = await Promise.all(
      Array.from({ length: 31 }, () =>
        env.app.inject({ url: '/v1/documents', remoteAddress: '198.51.100.7' }),
      ),
    );
    expect(answers.filter((a) => a.statusCode === 429)).toHaveLength(1);
    await env.container.tokens.uses.flush();

    // The webhook is delivered and the audit events chained shortly after the extraction.
    await until(async () => {
      const s = (await scrape()).samples;
      return (
        total(s, 'doklad_webhook_deliveries_total', { outcome: 'delivered' }) >
          total(before, 'doklad_webhook_deliveries_total', { outcome: 'delivered' }) &&
        total(s, 'doklad_audit_events_chained_total') > total(before, 'doklad_audit_events_chained_total')
      );
    });
    const after = (await scrape()).samples;
    const moved = (name: string, labels: Record<string, string> = {}) =>
      total(after, name, labels) - total(before, name, labels);

    expect(
      moved('doklad_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/v1/documents',
        status_code: '201',
      }),
    ).toBe(1);
    expect(moved('doklad_token_uses_total', { token_id: tokenId })).toBe(1);
    expect(moved('doklad_login_failures_total', { factor: 'password' })).toBe(5);
    expect(moved('doklad_login_lockouts_total', { scope: 'source' })).toBe(1);
    expect(moved('doklad_rate_limit_refusals_total', { principal_kind: 'anonymous' })).toBe(1);
    expect(moved('doklad_jobs_total', { queue: 'extraction', outcome: 'completed' })).toBe(1);
    expect(moved('doklad_job_duration_seconds_count', { queue: 'extraction', outcome: 'completed' })).toBe(1);
    expect(moved('doklad_extractions_total', { kind: 'ubl', source: 'xml' })).toBe(1);
    expect(moved('doklad_audit_events_appended_total', { action: 'document.uploaded' })).toBe(1);
    expect(moved('doklad_audit_events_appended_total', { action: 'document.extracting' })).toBe(1);
    expect(moved('doklad_audit_chain_lag_seconds_count')).toBeGreaterThan(0);
    expect(moved('doklad_webhook_deliveries_total', { outcome: 'delivered' })).toBe(1);
    expect(moved('doklad_ocr_pages_total')).toBe(0); // an XML invoice needs no OCR

    // Gauges read at scrape time: the pool and the queues exist with sane values.
    expect(after.has('doklad_db_pool_connections_in_use{pool="main"}')).toBe(true);
    expect(total(after, 'doklad_db_pool_waiting_requests')).toBeGreaterThanOrEqual(0);
    expect(total(after, 'doklad_db_pool_connections_idle')).toBeGreaterThan(0);
    expect(after.get('doklad_queue_jobs{queue="extraction",state="completed"}')).toBeGreaterThanOrEqual(1);
    expect(after.get('doklad_queue_jobs{queue="extraction",state="waiting"}')).toBe(0);
    expect(after.get('doklad_queue_oldest_waiting_job_age_seconds{queue="extraction"}')).toBe(0);
    // Node process metrics.
    for (const name of [
      'doklad_nodejs_eventloop_lag_p99_seconds',
      'doklad_nodejs_heap_size_used_bytes',
      'doklad_process_resident_memory_bytes',
    ])
      expect(after.has(name), name).toBe(true);
    expect([...after.keys()].some((k) => k.startsWith('doklad_nodejs_gc_duration_seconds'))).toBe(true);
  });

  it('reports the age of the oldest waiting job while the queue holds work', async () => {
    await workers.close();
    try {
      const up = await uploadRaw(env.app, owner.token, Buffer.from(ublXml({ ...SAMPLE, number: 'MET-2' })), {
        contentType: 'application/xml',
      });
      expect(up.statusCode, up.body).toBe(201);
      await new Promise((r) => setTimeout(r, 1_100));
      const { samples } = await scrape();
      expect(samples.get('doklad_queue_jobs{queue="extraction",state="waiting"}')).toBe(1);
      expect(samples.get('doklad_queue_oldest_waiting_job_age_seconds{queue="extraction"}')).toBeGreaterThan(
        1,
      );
    } finally {
      workers = await startWorkers(env.container);
    }
  });

  it('puts no email, person name, tenant name, IP or raw URL into any label', async () => {
    const { text } = await scrape();
    const values = [...text.matchAll(/="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
    expect(values.length).toBeGreaterThan(50);
    for (const value of values) {
      expect(value, value).not.toMatch(/@/);
      expect(value, value).not.toContain(TENANT_NAME);
      expect(value, value).not.toContain(PERSON_NAME);
      expect(value, value).not.toContain(owner.email);
      expect(value, value).not.toMatch(/\b\d{1,3}(\.\d{1,3}){3}\b/);
      expect(value, value).not.toContain('?');
    }
    // Routes are templates: a document id never appears in the route label.
    const routes = [...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]!);
    expect(routes).toContain('/v1/documents');
    for (const route of routes)
      expect(route).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
    // Token ids are the only ids in labels, and they are token ids, not user or tenant ids.
    expect(text).not.toContain(owner.userId);
    expect(text).not.toContain(owner.tenantId);
  });

  it('is not served on the API port, and the metrics listener refuses scrapes without the token', async () => {
    expect((await env.app.inject({ url: '/metrics' })).statusCode).toBe(404);
    expect((await env.app.inject({ url: '/metrics', headers: bearer(TOKEN) })).statusCode).toBe(404);
    const missing = await fetch(`${metrics.address}/metrics`);
    expect(missing.status).toBe(401);
    expect(await missing.text()).not.toContain('doklad_');
    const wrong = await fetch(`${metrics.address}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN.replace(/.$/, 'X')}` },
    });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${metrics.address}/other`, { headers: bearer(TOKEN) })).status).toBe(404);
  });

  it('refuses a metrics listener off loopback without a token', () => {
    expect(() => loadConfig({ METRICS_HOST: '0.0.0.0' })).toThrow(/METRICS_TOKEN: is required/);
    expect(() => loadConfig({ METRICS_HOST: '0.0.0.0', METRICS_TOKEN: TOKEN })).not.toThrow();
    expect(() => loadConfig({ METRICS_HOST: '127.0.0.1' })).not.toThrow();
  });
});
