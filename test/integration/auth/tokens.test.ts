import { describe, expect, it } from 'vitest';
import { addMember, bearer, signup } from '../../helpers/auth.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();

async function createToken(sessionToken: string, payload: Record<string, unknown>) {
  return env.app.inject({ method: 'POST', url: '/v1/tokens', headers: bearer(sessionToken), payload });
}

describe('integration tokens', () => {
  it('shows a recognisable 256-bit token once and stores only its hash', async () => {
    const owner = await signup(env.app);
    const res = await createToken(owner.token, { name: 'Pohoda agent', scopes: ['members:read'] });
    expect(res.statusCode).toBe(201);
    expect(res.headers.location).toBe(`/v1/tokens/${res.json().id}`);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toEqual({
      id: expect.any(String),
      name: 'Pohoda agent',
      token: expect.stringMatching(/^dk_[A-Za-z0-9_-]{43}$/),
      prefix: body.token.slice(0, 10),
      scopes: ['members:read'],
      companyIds: [],
      expiresAt: null,
    });
    const list = await env.app.inject({ url: '/v1/tokens', headers: bearer(owner.token) });
    expect(list.body).not.toContain(body.token);
    expect(list.json().items[0]).toMatchObject({
      id: body.id,
      prefix: body.prefix,
      scopes: ['members:read'],
      lastUsedAt: null,
    });
    const { rows } = await env.adminQuery('SELECT token_hash FROM api_tokens WHERE id = $1', [body.id]);
    expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('acts with exactly its scopes: a read scope cannot manage, and no token can act as a person', async () => {
    const owner = await signup(env.app);
    const { token } = (await createToken(owner.token, { name: 'reader', scopes: ['members:read'] })).json();
    expect((await env.app.inject({ url: '/v1/members', headers: bearer(token) })).statusCode).toBe(200);
    const write = await env.app.inject({
      method: 'POST',
      url: '/v1/invitations',
      headers: bearer(token),
      payload: { email: 'x@example.test', role: 'viewer' },
    });
    expect(write.statusCode).toBe(403);
    expect((await env.app.inject({ url: '/v1/me', headers: bearer(token) })).statusCode).toBe(403);
    expect((await env.app.inject({ url: '/v1/tokens', headers: bearer(token) })).statusCode).toBe(403);
  });

  it('cannot be given permissions its creator lacks', async () => {
    const owner = await signup(env.app);
    const admin = await addMember(env, owner, 'admin');
    const res = await createToken(admin.token, {
      name: 'too much',
      scopes: ['members:read', 'tenant:manage'],
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().detail).toContain('tenant:manage');
    const accountant = await addMember(env, owner, 'accountant');
    expect((await createToken(accountant.token, { name: 'x', scopes: ['documents:read'] })).statusCode).toBe(
      403,
    );
  });

  it('stops working at once when revoked', async () => {
    const owner = await signup(env.app);
    const created = (await createToken(owner.token, { name: 'erp', scopes: ['members:read'] })).json();
    expect((await env.app.inject({ url: '/v1/members', headers: bearer(created.token) })).statusCode).toBe(
      200,
    );
    expect(
      (
        await env.app.inject({
          method: 'DELETE',
          url: `/v1/tokens/${created.id}`,
          headers: bearer(owner.token),
        })
      ).statusCode,
    ).toBe(204);
    const after = await env.app.inject({ url: '/v1/members', headers: bearer(created.token) });
    expect(after.statusCode).toBe(401);
  });

  it('stops working after its expiry', async () => {
    const owner = await signup(env.app);
    const expiresAt = new Date(env.clock().getTime() + 20 * 60_000).toISOString();
    const { token } = (
      await createToken(owner.token, { name: 'short', scopes: ['members:read'], expiresAt })
    ).json();
    expect((await env.app.inject({ url: '/v1/members', headers: bearer(token) })).statusCode).toBe(200);
    env.clock.advance(21 * 60_000);
    expect((await env.app.inject({ url: '/v1/members', headers: bearer(token) })).statusCode).toBe(401);
    const past = await createToken(owner.token, {
      name: 'past',
      scopes: ['members:read'],
      expiresAt: new Date(0).toISOString(),
    });
    expect(past.statusCode).toBe(400);
  });

  it('works only from allowed addresses when an allowlist is set', async () => {
    const owner = await signup(env.app);
    const { token } = (
      await createToken(owner.token, {
        name: 'office',
        scopes: ['members:read'],
        allowedIps: ['203.0.113.0/24', '2001:db8::1'],
      })
    ).json();
    const from = (ip: string) =>
      env.app.inject({ url: '/v1/members', headers: bearer(token), remoteAddress: ip });
    expect((await from('203.0.113.77')).statusCode).toBe(200);
    expect((await from('198.51.100.1')).statusCode).toBe(401);
    const bad = await createToken(owner.token, {
      name: 'bad',
      scopes: ['members:read'],
      allowedIps: ['not-an-ip'],
    });
    expect(bad.statusCode).toBe(400);
  });

  it('records every request made with it in the audit log, and its last use', async () => {
    const owner = await signup(env.app);
    const created = (await createToken(owner.token, { name: 'audited', scopes: ['members:read'] })).json();
    await env.app.inject({
      url: '/v1/members',
      headers: bearer(created.token),
      remoteAddress: '203.0.113.5',
    });
    await env.app.inject({
      method: 'DELETE',
      url: `/v1/members/${owner.userId}`,
      headers: bearer(created.token),
      remoteAddress: '203.0.113.5',
    });
    await new Promise((r) => setTimeout(r, 100));
    const { rows } = await env.adminQuery(
      `SELECT actor_kind, actor_id, payload FROM audit_events WHERE tenant_id = $1 AND action = 'token.used' ORDER BY ingest_id`,
      [owner.tenantId],
    );
    expect(rows.map((r) => [r.actor_kind, r.actor_id, r.payload.statusCode])).toEqual([
      ['token', created.id, 200],
      ['token', created.id, 403],
    ]);
    const list = (await env.app.inject({ url: '/v1/tokens', headers: bearer(owner.token) })).json();
    expect(list.items[0]).toMatchObject({ lastUsedIp: '203.0.113.5', lastUsedAt: expect.any(String) });
  });

  it('never has more power than its creator has now', async () => {
    const owner = await signup(env.app);
    const admin = await addMember(env, owner, 'admin');
    const { token } = (
      await createToken(admin.token, { name: 'admin-made', scopes: ['members:read', 'members:manage'] })
    ).json();
    const demote = await env.app.inject({
      method: 'PATCH',
      url: `/v1/members/${admin.userId}`,
      headers: bearer(owner.token),
      payload: { role: 'viewer' },
    });
    expect(demote.statusCode).toBe(200);
    // members:read survives (viewers have it); members:manage is gone with the creator's role.
    expect((await env.app.inject({ url: '/v1/members', headers: bearer(token) })).statusCode).toBe(200);
    const manage = await env.app.inject({ method: 'GET', url: '/v1/invitations', headers: bearer(token) });
    expect(manage.statusCode).toBe(403);
  });
});
