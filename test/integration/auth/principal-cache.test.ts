/**
 * The principal cache must never let a change of who-may-do-what wait for its TTL: each test warms
 * the cache first (the principal is served from memory, and for tokens no database lookup happens
 * on the next request), changes something, and expects the very next request to see the change.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addMember, bearer, signup, type SignedUp } from '../../helpers/auth.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv({ env: { PRINCIPAL_CACHE_TTL_MS: '60000' } });

afterEach(() => {
  vi.restoreAllMocks();
});

/** Requests `url` until this process has cached the principal (the LISTEN connection starts lazily). */
async function warm(token: string, url = '/v1/members'): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const res = await env.app.inject({ url, headers: bearer(token) });
    expect(res.statusCode, res.body).toBe(200);
    if (env.container.principals.isCached(token)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the principal was never cached');
}

async function createToken(owner: SignedUp, scopes: string[]): Promise<{ id: string; token: string }> {
  const res = await env.app.inject({
    method: 'POST',
    url: '/v1/tokens',
    headers: bearer(owner.token),
    payload: { name: 'erp', scopes },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

describe('principal cache', () => {
  it('serves a warm token without looking it up again', async () => {
    const owner = await signup(env.app);
    const { token } = await createToken(owner, ['members:read']);
    await warm(token);
    const lookup = vi.spyOn(env.container.tokens, 'lookupToken');
    const res = await env.app.inject({ url: '/v1/members', headers: bearer(token) });
    expect(res.statusCode).toBe(200);
    expect(lookup).not.toHaveBeenCalled();
  });

  it('revoking a session takes effect on the very next request, with the cache warm', async () => {
    const owner = await signup(env.app);
    await warm(owner.token);
    const logout = await env.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: bearer(owner.token),
    });
    expect(logout.statusCode).toBe(204);
    expect((await env.app.inject({ url: '/v1/members', headers: bearer(owner.token) })).statusCode).toBe(401);
  });

  it('revoking an integration token takes effect on the very next request, with the cache warm', async () => {
    const owner = await signup(env.app);
    const created = await createToken(owner, ['members:read']);
    await warm(created.token);
    const revoke = await env.app.inject({
      method: 'DELETE',
      url: `/v1/tokens/${created.id}`,
      headers: bearer(owner.token),
    });
    expect(revoke.statusCode).toBe(204);
    expect((await env.app.inject({ url: '/v1/members', headers: bearer(created.token) })).statusCode).toBe(
      401,
    );
  });

  it('removing a member takes effect on the very next request, with the cache warm', async () => {
    const owner = await signup(env.app);
    const member = await addMember(env, owner, 'accountant');
    await warm(member.token);
    const removal = await env.app.inject({
      method: 'DELETE',
      url: `/v1/members/${member.userId}`,
      headers: bearer(owner.token),
    });
    expect(removal.statusCode).toBe(204);
    expect((await env.app.inject({ url: '/v1/members', headers: bearer(member.token) })).statusCode).toBe(
      401,
    );
  });

  it('a role downgrade takes effect on the very next request, with the cache warm, for people and their tokens', async () => {
    const owner = await signup(env.app);
    const accountant = await addMember(env, owner, 'admin');
    const token = await createToken(accountant, ['companies:read', 'companies:manage']);
    await warm(accountant.token, '/v1/companies');
    await warm(token.token, '/v1/companies');
    const createCompany = (bearerToken: string, name: string) =>
      env.app.inject({
        method: 'POST',
        url: '/v1/companies',
        headers: bearer(bearerToken),
        payload: { name, country: 'CZ' },
      });
    expect((await createCompany(token.token, 'Before s.r.o.')).statusCode).toBe(201);
    const demote = await env.app.inject({
      method: 'PATCH',
      url: `/v1/members/${accountant.userId}`,
      headers: bearer(owner.token),
      payload: { role: 'viewer' },
    });
    expect(demote.statusCode).toBe(200);
    expect((await createCompany(accountant.token, 'After a.s.')).statusCode).toBe(403);
    expect((await createCompany(token.token, 'After a.s.')).statusCode).toBe(403);
    // What a viewer may still do, they still can.
    expect(
      (await env.app.inject({ url: '/v1/companies', headers: bearer(accountant.token) })).statusCode,
    ).toBe(200);
  });

  it('a password change ends the other sessions on the very next request, with the cache warm', async () => {
    const owner = await signup(env.app);
    const second = await env.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: owner.email, password: owner.password },
    });
    const other = second.json().token as string;
    await warm(other);
    const change = await env.app.inject({
      method: 'POST',
      url: '/v1/me/password',
      headers: bearer(owner.token),
      payload: { currentPassword: owner.password, newPassword: 'amber-lantern-quiver-58-meadow' },
    });
    expect(change.statusCode).toBe(204);
    expect((await env.app.inject({ url: '/v1/members', headers: bearer(other) })).statusCode).toBe(401);
  });

  it("suspending a firm takes effect on its people's and tokens' next request, even when another process does it", async () => {
    const owner = await signup(env.app);
    const created = await createToken(owner, ['members:read']);
    await warm(owner.token);
    await warm(created.token);
    // A change made on another connection (here: by the owner role, as a CLI or operator would)
    // reaches this process only through the NOTIFY at commit; allow it the moment it takes.
    await env.adminQuery(`UPDATE tenants SET status = 'suspended' WHERE id = $1`, [owner.tenantId]);
    const deadline = Date.now() + 2_000;
    let statuses: number[] = [];
    while (Date.now() < deadline) {
      statuses = await Promise.all(
        [owner.token, created.token].map(
          async (token) => (await env.app.inject({ url: '/v1/members', headers: bearer(token) })).statusCode,
        ),
      );
      if (statuses.every((s) => s === 403)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    // 403 tenant_suspended, not 401: the credential is fine, the firm is not (suspension.test.ts).
    expect(statuses).toEqual([403, 403]);
  });
});
