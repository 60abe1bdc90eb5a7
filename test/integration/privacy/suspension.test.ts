/**
 * Suspension by a platform administrator (`doklad tenant suspend|unsuspend`): every session and
 * integration token of the firm is refused with a problem that says why, from the next request
 * on, in every API process (the command runs in another process: its own pool and connections,
 * so only the database's NOTIFY can tell this one), and it is recorded in the firm's audit chain.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTenantStatusCommand } from '../../../src/cli/tenant-command.js';
import { createContainer, type Container } from '../../../src/container.js';
import { systemContext } from '../../../src/core/request-context.js';
import { createLogger } from '../../../src/platform/logger.js';
import { bearer, signup, type SignedUp } from '../../helpers/auth.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv({ env: { PRINCIPAL_CACHE_TTL_MS: '60000' } });
/** Stands for the CLI process: a container of its own, sharing nothing with the API's. */
let cli: Container;

beforeAll(async () => {
  cli = await createContainer(env.config, createLogger('silent'));
});
afterAll(async () => {
  await cli?.close();
});

function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { stream, text: () => chunks.join('') };
}

async function createToken(owner: SignedUp): Promise<string> {
  const res = await env.app.inject({
    method: 'POST',
    url: '/v1/tokens',
    headers: bearer(owner.token),
    payload: { name: 'erp', scopes: ['members:read'] },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().token;
}

/** Requests until this process serves the principal from its cache (the LISTEN starts lazily). */
async function warm(token: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const res = await env.app.inject({ url: '/v1/members', headers: bearer(token) });
    expect(res.statusCode, res.body).toBe(200);
    if (env.container.principals.isCached(token)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the principal was never cached');
}

/** The answers to `tokens` once they all equal `status`, or the last ones after 2 s. */
async function answersOnceAll(tokens: string[], status: number) {
  const deadline = Date.now() + 2_000;
  let answers: { statusCode: number; code?: string; detail?: string }[] = [];
  while (Date.now() < deadline) {
    answers = await Promise.all(
      tokens.map(async (token) => {
        const res = await env.app.inject({ url: '/v1/members', headers: bearer(token) });
        return { statusCode: res.statusCode, ...(res.statusCode >= 400 ? res.json() : {}) };
      }),
    );
    if (answers.every((a) => a.statusCode === status)) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  return answers;
}

async function suspend(tenantId: string, reason = 'unpaid invoices since March') {
  const out = capture();
  const err = capture();
  const code = await runTenantStatusCommand(
    cli,
    { action: 'suspend', tenantId, reason, by: 'cli:ops-alice' },
    out.stream,
    err.stream,
  );
  return { code, out: out.text(), err: err.text() };
}

describe('suspension by a platform administrator', () => {
  it('refuses every session and integration token of the firm from the next request, with tenant_suspended, while the cache is warm', async () => {
    const owner = await signup(env.app);
    const token = await createToken(owner);
    await warm(owner.token);
    await warm(token);

    const result = await suspend(owner.tenantId);
    expect(result.code, result.err).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ id: owner.tenantId, status: 'suspended' });

    const answers = await answersOnceAll([owner.token, token], 403);
    expect(answers.map((a) => [a.statusCode, a.code])).toEqual([
      [403, 'tenant_suspended'],
      [403, 'tenant_suspended'],
    ]);
    expect(answers[0]!.detail).toMatch(/suspended by the platform operator/);
    // Routes without a permission (the person's own profile) are refused too.
    const me = await env.app.inject({ url: '/v1/me', headers: bearer(owner.token) });
    expect([me.statusCode, me.json().code]).toEqual([403, 'tenant_suspended']);
  });

  it('lets the firm work again after unsuspend, and records both moves with who and why in its audit chain', async () => {
    const owner = await signup(env.app);
    await warm(owner.token);
    expect((await suspend(owner.tenantId, 'court order 12/2026')).code).toBe(0);
    expect((await answersOnceAll([owner.token], 403))[0]!.code).toBe('tenant_suspended');

    const err = capture();
    const code = await runTenantStatusCommand(
      cli,
      { action: 'unsuspend', tenantId: owner.tenantId, by: 'cli:ops-alice' },
      capture().stream,
      err.stream,
    );
    expect(code, err.text()).toBe(0);
    expect((await answersOnceAll([owner.token], 200))[0]!.statusCode).toBe(200);

    const { rows } = await env.adminQuery(
      `SELECT action, actor_kind, actor_id, payload FROM audit_events
        WHERE tenant_id = $1 AND action LIKE 'tenant.%suspended' ORDER BY ingest_id`,
      [owner.tenantId],
    );
    expect(rows).toEqual([
      {
        action: 'tenant.suspended',
        actor_kind: 'system',
        actor_id: 'cli:ops-alice',
        payload: { from: 'active', to: 'suspended', reason: 'court order 12/2026' },
      },
      {
        action: 'tenant.unsuspended',
        actor_kind: 'system',
        actor_id: 'cli:ops-alice',
        payload: { from: 'suspended', to: 'active' },
      },
    ]);
    await env.container.auditChainer.chainPending(owner.tenantId);
    expect((await env.container.audit.verifyChain(systemContext(owner.tenantId))).ok).toBe(true);
  });

  it('leaves every other firm untouched', async () => {
    const suspended = await signup(env.app);
    const other = await signup(env.app);
    const otherToken = await createToken(other);
    await warm(other.token);
    expect((await suspend(suspended.tenantId)).code).toBe(0);
    expect((await answersOnceAll([suspended.token], 403))[0]!.statusCode).toBe(403);
    for (const token of [other.token, otherToken]) {
      expect((await env.app.inject({ url: '/v1/members', headers: bearer(token) })).statusCode).toBe(200);
    }
  });

  it('refuses to suspend a suspended firm, or to unsuspend an active one, naming why (exit 1)', async () => {
    const owner = await signup(env.app);
    expect((await suspend(owner.tenantId)).code).toBe(0);
    const again = await suspend(owner.tenantId);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/The firm is suspended; it cannot become suspended/);

    const active = await signup(env.app);
    const err = capture();
    const code = await runTenantStatusCommand(
      cli,
      { action: 'unsuspend', tenantId: active.tenantId },
      capture().stream,
      err.stream,
    );
    expect(code).toBe(1);
    expect(err.text()).toMatch(/The firm is active; it cannot become active/);
  });

  it('takes effect at once when this very process suspends the firm (no waiting for a notification)', async () => {
    const owner = await signup(env.app);
    await warm(owner.token);
    await env.container.tenants.suspendTenant(systemContext(owner.tenantId), 'test');
    const res = await env.app.inject({ url: '/v1/members', headers: bearer(owner.token) });
    expect([res.statusCode, res.json().code]).toEqual([403, 'tenant_suspended']);
  });
});
