import { describe, expect, it } from 'vitest';
import { addMember, bearer, login, signup, STRONG_PASSWORD } from '../../helpers/auth.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv({ env: { SESSION_IDLE_TIMEOUT_MINUTES: '30', SESSION_MAX_LIFETIME_HOURS: '12' } });
const MINUTE = 60_000;

const me = (token: string) => env.app.inject({ url: '/v1/me', headers: bearer(token) });

describe('sessions', () => {
  it('stores only a hash of the session token', async () => {
    const owner = await signup(env.app);
    const { rows } = await env.adminQuery('SELECT token_hash FROM sessions WHERE user_id = $1', [
      owner.userId,
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(owner.token);
  });

  it('ends a session after 30 idle minutes, but activity keeps it alive', async () => {
    const owner = await signup(env.app);
    env.clock.advance(20 * MINUTE);
    expect((await me(owner.token)).statusCode).toBe(200);
    env.clock.advance(20 * MINUTE);
    expect((await me(owner.token)).statusCode).toBe(200);
    env.clock.advance(31 * MINUTE);
    expect((await me(owner.token)).statusCode).toBe(401);
  });

  it('ends a session after its 12-hour lifetime however active it is', async () => {
    const owner = await signup(env.app);
    for (let i = 0; i < 25; i++) {
      env.clock.advance(29 * MINUTE);
      if ((await me(owner.token)).statusCode !== 200) break;
    }
    expect((await me(owner.token)).statusCode).toBe(401);
  });

  it('lists your sessions and lets you end another one at once', async () => {
    const owner = await signup(env.app);
    const second = (await login(env.app, owner.email, owner.password)).json().token as string;
    const list = await env.app.inject({ url: '/v1/me/sessions', headers: bearer(owner.token) });
    expect(list.statusCode).toBe(200);
    const items = list.json().items as { id: string; current: boolean }[];
    expect(items).toHaveLength(2);
    const other = items.find((s) => !s.current)!;
    const revoke = await env.app.inject({
      method: 'DELETE',
      url: `/v1/me/sessions/${other.id}`,
      headers: bearer(owner.token),
    });
    expect(revoke.statusCode).toBe(204);
    expect((await me(second)).statusCode).toBe(401);
    expect((await me(owner.token)).statusCode).toBe(200);
  });

  it("answers 404 when ending someone else's session, as for a missing one", async () => {
    const a = await signup(env.app);
    const b = await signup(env.app);
    const bSession = (await env.app.inject({ url: '/v1/me/sessions', headers: bearer(b.token) })).json()
      .items[0].id;
    const res = await env.app.inject({
      method: 'DELETE',
      url: `/v1/me/sessions/${bSession}`,
      headers: bearer(a.token),
    });
    expect(res.statusCode).toBe(404);
    expect((await me(b.token)).statusCode).toBe(200);
  });

  it('changing the password needs the current one and ends every other session', async () => {
    const owner = await signup(env.app);
    const other = (await login(env.app, owner.email, owner.password)).json().token as string;
    const wrong = await env.app.inject({
      method: 'POST',
      url: '/v1/me/password',
      headers: bearer(owner.token),
      payload: { currentPassword: 'not-my-password-123', newPassword: 'amber-lantern-orbit-58-meadow' },
    });
    expect(wrong.statusCode).toBe(403);
    const weak = await env.app.inject({
      method: 'POST',
      url: '/v1/me/password',
      headers: bearer(owner.token),
      payload: { currentPassword: owner.password, newPassword: 'password123' },
    });
    expect(weak.statusCode).toBe(400);
    const ok = await env.app.inject({
      method: 'POST',
      url: '/v1/me/password',
      headers: bearer(owner.token),
      payload: { currentPassword: owner.password, newPassword: 'amber-lantern-orbit-58-meadow' },
    });
    expect(ok.statusCode).toBe(204);
    expect((await me(owner.token)).statusCode).toBe(200);
    expect((await me(other)).statusCode).toBe(401);
    expect((await login(env.app, owner.email, owner.password)).statusCode).toBe(401);
    expect((await login(env.app, owner.email, 'amber-lantern-orbit-58-meadow')).statusCode).toBe(200);
  });

  it('lets a person in several firms switch, binding the new session to the other firm', async () => {
    const firmA = await signup(env.app);
    const firmB = await signup(env.app);
    const accountant = await addMember(env, firmA, 'accountant');
    // The same person is invited to firm B too and accepts with their existing password.
    const invite = await env.app.inject({
      method: 'POST',
      url: '/v1/invitations',
      headers: bearer(firmB.token),
      payload: { email: accountant.email, role: 'viewer' },
    });
    expect(invite.statusCode).toBe(201);
    const token = /(inv_[A-Za-z0-9_-]+)/.exec(env.mail.at(-1)!.text)![1];
    const accept = await env.app.inject({
      method: 'POST',
      url: '/v1/invitations/accept',
      payload: { token, password: STRONG_PASSWORD },
    });
    expect(accept.statusCode).toBe(200);

    const switched = await env.app.inject({
      method: 'POST',
      url: '/v1/auth/switch-tenant',
      headers: bearer(accountant.token),
      payload: { tenantId: firmB.tenantId },
    });
    expect(switched.statusCode).toBe(200);
    const view = (await me(switched.json().token)).json();
    expect(view.tenant).toMatchObject({ id: firmB.tenantId, role: 'viewer' });
    expect(view.tenants).toHaveLength(2);
    expect((await me(accountant.token)).statusCode).toBe(401);
    const foreign = await env.app.inject({
      method: 'POST',
      url: '/v1/auth/switch-tenant',
      headers: bearer(switched.json().token),
      payload: { tenantId: (await signup(env.app)).tenantId },
    });
    expect(foreign.statusCode).toBe(404);
  });
});
