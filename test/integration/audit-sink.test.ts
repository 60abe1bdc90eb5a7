/**
 * The off-box copy (ASVS 16.4.3): every chained event reaches a receiver outside the database at
 * least once, in chain order, with its chain fields and a webhook signature; failures and lag
 * show in GET /v1/audit/verification. The receiver is a real local HTTP server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { systemContext } from '../../src/core/request-context.js';
import { createAuditSink } from '../../src/modules/audit/audit.sink.js';
import { verifySignature } from '../../src/modules/webhooks/webhook-signature.js';
import { bearer, signup } from '../helpers/auth.js';
import { useTestEnv } from '../helpers/test-env.js';

const SECRET = 'sink-secret-for-tests-0123456789abcdef';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  json: {
    format: string;
    tenantId: string;
    events: { seq: string; tenantId: string; prevHash: string; hash: string; action: string }[];
    checkpoints: unknown[];
  };
}
const received: Received[] = [];
let answer = 200;
const receiver = http.createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (c: Buffer) => chunks.push(c));
  request.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    received.push({ headers: request.headers, body, json: JSON.parse(body) });
    response.statusCode = answer;
    response.end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const sinkUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/audit`;
afterAll(() => new Promise((resolve) => receiver.close(resolve)));

const env = useTestEnv({
  env: {
    AUDIT_SINK_URL: sinkUrl,
    AUDIT_SINK_SECRET: SECRET,
    AUDIT_SINK_BATCH_SIZE: '4',
    WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOK_BACKOFF_MS: '1000',
  },
});

const forTenant = (tenantId: string) => received.filter((r) => r.json.tenantId === tenantId);
const seqsOf = (batches: Received[]) => batches.flatMap((b) => b.json.events.map((e) => Number(e.seq)));

async function recordEvents(tenantId: string, count: number) {
  const ctx = systemContext(tenantId, { kind: 'system', id: 'test' });
  for (let i = 0; i < count; i++)
    await env.container.db.withTenant(ctx, (tx) =>
      env.container.audit.record(tx, ctx, { action: 'document.viewed', payload: { i } }),
    );
}

async function offBox(token: string) {
  const res = await env.app.inject({ url: '/v1/audit/verification', headers: bearer(token) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().offBoxCopy;
}

describe('off-box audit sink', () => {
  it('pushes every chained event in chain order with its chain fields, signed like a webhook', async () => {
    const firm = await signup(env.app);
    await recordEvents(firm.tenantId, 5);
    const { chained } = await env.container.auditChainer.chainPending(firm.tenantId);
    expect(chained).toBeGreaterThan(4);
    const sink = env.container.auditSink!;
    const result = await sink.pushTenant(firm.tenantId);
    expect(result).toMatchObject({ delivered: chained, failed: false });
    const batches = forTenant(firm.tenantId);
    expect(batches.length).toBe(Math.ceil(chained / 4));
    expect(seqsOf(batches)).toEqual(Array.from({ length: chained }, (_, i) => i + 1));
    for (const batch of batches) {
      expect(batch.json.format).toBe('doklad.audit.sink.v1');
      expect(batch.headers['doklad-audit-tenant']).toBe(firm.tenantId);
      expect(
        verifySignature(SECRET, batch.body, String(batch.headers['doklad-signature']), Date.now() / 1000),
      ).toBe(true);
      for (const event of batch.json.events) {
        expect(event.tenantId).toBe(firm.tenantId);
        expect(event.hash).toMatch(/^[0-9a-f]{64}$/);
      }
    }
    // Each event links to the one before it, across batches.
    const all = batches.flatMap((b) => b.json.events);
    for (let i = 1; i < all.length; i++) expect(all[i]!.prevHash).toBe(all[i - 1]!.hash);
    // Up to date: another pass sends nothing and writes nothing.
    const cursorRow = () =>
      env.adminQuery(`SELECT updated_at FROM audit_sink_cursors WHERE tenant_id = $1`, [firm.tenantId]);
    const stamp = (await cursorRow()).rows[0].updated_at;
    expect(await sink.pushTenant(firm.tenantId)).toMatchObject({
      delivered: 0,
      failed: false,
      skipped: false,
    });
    expect((await cursorRow()).rows[0].updated_at).toEqual(stamp);
    expect(forTenant(firm.tenantId).length).toBe(batches.length);
    expect(await offBox(firm.token)).toMatchObject({
      sink: 'platform',
      deliveredSeq: String(chained),
      consecutiveFailures: 0,
      lastError: null,
    });
  });

  it('shows failures and lag, backs off, then resends from the last acknowledged event: at least once, in order', async () => {
    const firm = await signup(env.app);
    const sink = env.container.auditSink!;
    const { chained: first } = await env.container.auditChainer.chainPending(firm.tenantId);
    await sink.pushTenant(firm.tenantId);
    // Reading the verification records an event; chain it (and the read) so the sink lags.
    await offBox(firm.token);
    const { chained: more } = await env.container.auditChainer.chainPending(firm.tenantId);
    expect(more).toBeGreaterThan(0);

    answer = 503;
    expect(await sink.pushTenant(firm.tenantId)).toMatchObject({ delivered: 0, failed: true });
    const failing = await offBox(firm.token);
    expect(failing).toMatchObject({
      deliveredSeq: String(first),
      consecutiveFailures: 1,
      lastError: 'HTTP 503',
      nextAttemptAt: expect.any(String),
    });
    expect(failing.pendingEvents).toBeGreaterThanOrEqual(more);
    // Backing off: nothing is sent before nextAttemptAt.
    const before = forTenant(firm.tenantId).length;
    expect(await sink.pushTenant(firm.tenantId)).toMatchObject({ skipped: true });
    expect(forTenant(firm.tenantId).length).toBe(before);

    answer = 200;
    env.clock.advance(60_000);
    await env.container.auditChainer.chainPending(firm.tenantId);
    const resumed = await sink.pushTenant(firm.tenantId);
    expect(resumed.failed).toBe(false);
    const seqs = seqsOf(forTenant(firm.tenantId));
    // The refused batch was received and is sent again; without duplicates the seqs run 1..head.
    expect(new Set(seqs).size).toBeLessThan(seqs.length);
    const head = Math.max(...seqs);
    expect([...new Set(seqs)]).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    expect(await offBox(firm.token)).toMatchObject({
      deliveredSeq: String(head),
      consecutiveFailures: 0,
      lastError: null,
    });
  });

  it('refuses a private target unless WEBHOOKS_ALLOW_PRIVATE_TARGETS is on, and says so', async () => {
    const firm = await signup(env.app);
    await env.container.auditChainer.chainPending(firm.tenantId);
    const strict = createAuditSink({
      db: env.container.db,
      clock: env.clock,
      logger: env.container.logger,
      listTenantIds: async () => [firm.tenantId],
      settings: {
        name: 'strict',
        url: sinkUrl,
        secret: SECRET,
        batchSize: 10,
        timeoutMs: 2_000,
        allowPrivateTargets: false,
        backoffMs: 1_000,
        maxBackoffMs: 10_000,
      },
    });
    const before = received.length;
    expect(await strict.pushAll()).toMatchObject({ tenants: 1, delivered: 0, failed: 1 });
    expect(received.length).toBe(before);
    const { rows } = await env.adminQuery(
      `SELECT last_error, delivered_seq::int FROM audit_sink_cursors WHERE tenant_id = $1 AND sink = 'strict'`,
      [firm.tenantId],
    );
    expect(rows[0]).toMatchObject({ delivered_seq: 0 });
    expect(rows[0].last_error).toContain('WEBHOOKS_ALLOW_PRIVATE_TARGETS');
  });

  it("keeps each firm's cursor to itself (RLS): another firm's context sees no row", async () => {
    const a = await signup(env.app);
    await env.container.auditChainer.chainPending(a.tenantId);
    await env.container.auditSink!.pushTenant(a.tenantId);
    const b = await signup(env.app);
    const client = await env.runtimeClient();
    await client.query(`SELECT set_config('app.tenant_id', $1, false)`, [b.tenantId]);
    const seen = await client.query(
      'SELECT count(*)::int AS n FROM audit_sink_cursors WHERE tenant_id = $1',
      [a.tenantId],
    );
    expect(seen.rows[0].n).toBe(0);
    await expect(client.query('DELETE FROM audit_sink_cursors')).rejects.toThrow(/permission denied/);
    expect((await offBox(b.token)).deliveredSeq).toBe('0');
  });
});
