import { describe, expect, it } from 'vitest';
import { bearer, signup } from '../helpers/auth.js';
import { useTestEnv } from '../helpers/test-env.js';

// A pool of two connections that no request waits for more than 200 ms.
const env = useTestEnv({ env: { DATABASE_POOL_MAX: '2', DATABASE_POOL_WAIT_MS: '200' } });

/** Holds every pooled connection for `ms` (as a burst of slow requests would). */
function holdPool(tenantId: string, ms: number): Promise<unknown> {
  const ctx = { tenantId, actor: { kind: 'system' as const, id: 'test' } };
  return Promise.all(
    [1, 2].map(() =>
      env.container.db.withTenant(ctx, (tx) => tx.$executeRawUnsafe(`SELECT pg_sleep(${ms / 1000})`)),
    ),
  );
}

describe('database pool saturation', () => {
  it('answers 503 problem+json with Retry-After when the pool is exhausted, never 500, and recovers', async () => {
    const owner = await signup(env.app);
    // With the caller's principal cached, the refusal comes from the handler's own transaction.
    for (let i = 0; i < 100 && !env.container.principals.isCached(owner.token); i++) {
      await env.app.inject({ url: '/v1/documents', headers: bearer(owner.token) });
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(env.container.principals.isCached(owner.token)).toBe(true);
    const held = holdPool(owner.tenantId, 1_500);
    await new Promise((r) => setTimeout(r, 100));
    const read = await env.app.inject({ url: '/v1/documents?limit=50', headers: bearer(owner.token) });
    const write = await env.app.inject({
      method: 'POST',
      url: '/v1/companies',
      headers: bearer(owner.token),
      payload: { name: 'Busy s.r.o.', country: 'CZ' },
    });
    for (const res of [read, write]) {
      expect(res.statusCode, res.body).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 503, code: 'service_unavailable' });
    }
    await held;
    const after = await env.app.inject({ url: '/v1/documents?limit=50', headers: bearer(owner.token) });
    expect(after.statusCode).toBe(200);
    // Nothing was half-written by the refused request.
    const { rows } = await env.adminQuery('SELECT count(*)::int AS n FROM companies WHERE tenant_id = $1', [
      owner.tenantId,
    ]);
    expect(rows[0].n).toBe(0);
  });
});
