/**
 * Webhooks against a real receiver on localhost: signed deliveries of pipeline events, retries,
 * the delivery log, disabling after repeated failures, and refusal of internal targets.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../../src/modules/webhooks/webhook-signature.js';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers.js';
import { SAMPLE } from '../../unit/extraction/fixtures/invoice-model.js';
import { ublXml } from '../../unit/extraction/fixtures/xml-fixtures.js';
import { bearer, signup, type SignedUp } from '../../helpers/auth.js';
import { uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv({
  env: {
    WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOK_ATTEMPTS: '3',
    WEBHOOK_BACKOFF_MS: '50',
    WEBHOOK_DISABLE_AFTER_FAILURES: '2',
  },
});

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
const received: Received[] = [];
/** Status to answer per path; a function gets the number of earlier calls to that path. */
const behaviour = new Map<string, (calls: number) => number>();
let server: http.Server;
let base: string;
let workers: RunningWorkers;
let owner: SignedUp;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const path = req.url ?? '/';
      const calls = received.filter((r) => r.path === path).length;
      received.push({ path, headers: req.headers, body });
      res.statusCode = behaviour.get(path)?.(calls) ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  workers = await startWorkers(env.container);
  owner = await signup(env.app);
});
afterAll(async () => {
  await workers?.close();
  await new Promise((r) => server.close(r));
});

async function register(path: string, events: string[]) {
  const res = await env.app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: bearer(owner.token),
    payload: { url: `${base}${path}`, events },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; secret: string };
}

async function until<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('webhooks', () => {
  it('delivers pipeline events signed with the secret shown once', async () => {
    const hook = await register('/signed', ['document.extracted', 'document.needs_review']);
    expect(hook.secret).toMatch(/^whsec_/);
    const list = await env.app.inject({ url: '/v1/webhooks', headers: bearer(owner.token) });
    expect(list.body).not.toContain(hook.secret);
    const { rows } = await env.adminQuery('SELECT secret_sealed FROM webhook_endpoints WHERE id = $1', [
      hook.id,
    ]);
    expect(rows[0].secret_sealed).not.toContain(hook.secret);

    const doc = (
      await uploadRaw(env.app, owner.token, Buffer.from(ublXml({ ...SAMPLE, number: 'HOOK-1' })), {
        contentType: 'application/xml',
      })
    ).json();
    const delivery = await until(() => received.find((r) => r.path === '/signed'), 'the delivery');
    const payload = JSON.parse(delivery.body);
    expect(['document.extracted', 'document.needs_review']).toContain(payload.type);
    expect(payload.data).toMatchObject({ documentId: doc.id, version: 1 });
    expect(delivery.headers['doklad-event-type']).toBe(payload.type);
    const signature = String(delivery.headers['doklad-signature']);
    expect(verifySignature(hook.secret, delivery.body, signature, Math.floor(Date.now() / 1000))).toBe(true);
    expect(verifySignature(hook.secret, `${delivery.body} `, signature, Math.floor(Date.now() / 1000))).toBe(
      false,
    );
    expect(verifySignature('whsec_wrong', delivery.body, signature, Math.floor(Date.now() / 1000))).toBe(
      false,
    );
  });

  it('retries a failing receiver with backoff and logs each delivery', async () => {
    behaviour.set('/flaky', (calls) => (calls === 0 ? 500 : 200));
    const hook = await register('/flaky', ['document.extracted', 'document.needs_review']);
    await uploadRaw(env.app, owner.token, Buffer.from(ublXml({ ...SAMPLE, number: 'HOOK-2' })), {
      contentType: 'application/xml',
    });
    const log = await until(async () => {
      const items = (
        await env.app.inject({ url: `/v1/webhooks/${hook.id}/deliveries`, headers: bearer(owner.token) })
      ).json().items;
      return items.find((d: { status: string }) => d.status === 'succeeded');
    }, 'a successful retry');
    expect(log).toMatchObject({ attempts: 2, lastStatusCode: 200 });
  });

  it('disables an endpoint after repeated failed deliveries, counting concurrent failures exactly', async () => {
    behaviour.set('/down', () => 503);
    const hook = await register('/down', ['document.extracted', 'document.needs_review']);
    for (const n of [3, 4]) {
      await uploadRaw(env.app, owner.token, Buffer.from(ublXml({ ...SAMPLE, number: `HOOK-${n}` })), {
        contentType: 'application/xml',
      });
    }
    const endpoint = await until(
      async () => {
        const e = (
          await env.app.inject({ url: `/v1/webhooks/${hook.id}`, headers: bearer(owner.token) })
        ).json();
        return e.active === false ? e : undefined;
      },
      'the endpoint to be disabled',
      20_000,
    );
    expect(endpoint.disabledReason).toMatch(/in a row failed/);
    const items = (
      await env.app.inject({ url: `/v1/webhooks/${hook.id}/deliveries`, headers: bearer(owner.token) })
    ).json().items;
    expect(items.filter((d: { status: string }) => d.status === 'failed').length).toBeGreaterThanOrEqual(2);
  });

  it("answers 404 for another firm's webhook", async () => {
    const hook = await register('/mine', ['document.failed']);
    const other = await signup(env.app);
    expect(
      (await env.app.inject({ url: `/v1/webhooks/${hook.id}`, headers: bearer(other.token) })).statusCode,
    ).toBe(404);
  });
});

describe('webhook targets', () => {
  const strict = useTestEnv();
  it.each([
    'http://example.com/hook',
    'https://127.0.0.1/hook',
    'https://10.1.2.3/hook',
    'https://[::1]/hook',
    'https://localhost/hook',
    'https://169.254.169.254/latest',
    'https://user:pw@example.com/',
  ])('refuses %s', async (url) => {
    const someone = await signup(strict.app);
    const res = await strict.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: bearer(someone.token),
      payload: { url, events: ['document.failed'] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('body.url');
  });
});
