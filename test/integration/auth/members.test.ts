import { describe, expect, it } from 'vitest';
import { addMember, bearer, signup, uniqueEmail } from '../../helpers/auth.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();

describe('members and roles', () => {
  it('lists members with their roles', async () => {
    const owner = await signup(env.app);
    const viewer = await addMember(env, owner, 'viewer');
    const res = await env.app.inject({ url: '/v1/members', headers: bearer(viewer.token) });
    expect(res.statusCode).toBe(200);
    expect(
      res
        .json()
        .items.map((m: { role: string }) => m.role)
        .sort(),
    ).toEqual(['owner', 'viewer']);
  });

  it('does not let a viewer invite or manage members', async () => {
    const owner = await signup(env.app);
    const viewer = await addMember(env, owner, 'viewer');
    const invite = await env.app.inject({
      method: 'POST',
      url: '/v1/invitations',
      headers: bearer(viewer.token),
      payload: { email: uniqueEmail(), role: 'viewer' },
    });
    expect(invite.statusCode).toBe(403);
    const promote = await env.app.inject({
      method: 'PATCH',
      url: `/v1/members/${viewer.userId}`,
      headers: bearer(viewer.token),
      payload: { role: 'admin' },
    });
    expect(promote.statusCode).toBe(403);
    expect(
      (
        await env.app.inject({
          method: 'POST',
          url: '/v1/tokens',
          headers: bearer(viewer.token),
          payload: { name: 'x', scopes: ['members:read'] },
        })
      ).statusCode,
    ).toBe(403);
  });

  it('keeps at least one owner: the last one can be neither demoted nor removed', async () => {
    const owner = await signup(env.app);
    const demote = await env.app.inject({
      method: 'PATCH',
      url: `/v1/members/${owner.userId}`,
      headers: bearer(owner.token),
      payload: { role: 'admin' },
    });
    expect(demote.statusCode).toBe(409);
    expect(demote.json().code).toBe('last_owner');
    const remove = await env.app.inject({
      method: 'DELETE',
      url: `/v1/members/${owner.userId}`,
      headers: bearer(owner.token),
    });
    expect(remove.statusCode).toBe(409);
    const second = await addMember(env, owner, 'owner');
    expect(
      (
        await env.app.inject({
          method: 'PATCH',
          url: `/v1/members/${owner.userId}`,
          headers: bearer(second.token),
          payload: { role: 'admin' },
        })
      ).statusCode,
    ).toBe(200);
  });

  it('lets only owners grant the owner role', async () => {
    const owner = await signup(env.app);
    const admin = await addMember(env, owner, 'admin');
    const viewer = await addMember(env, owner, 'viewer');
    const res = await env.app.inject({
      method: 'PATCH',
      url: `/v1/members/${viewer.userId}`,
      headers: bearer(admin.token),
      payload: { role: 'owner' },
    });
    expect(res.statusCode).toBe(403);
    const invite = await env.app.inject({
      method: 'POST',
      url: '/v1/invitations',
      headers: bearer(admin.token),
      payload: { email: uniqueEmail(), role: 'owner' },
    });
    expect(invite.statusCode).toBe(403);
  });

  it('applies a role change to the very next request and audits it with old and new role', async () => {
    const owner = await signup(env.app);
    const accountant = await addMember(env, owner, 'accountant');
    const change = await env.app.inject({
      method: 'PATCH',
      url: `/v1/members/${accountant.userId}`,
      headers: bearer(owner.token),
      payload: { role: 'admin' },
    });
    expect(change.json()).toMatchObject({ userId: accountant.userId, role: 'admin' });
    expect(
      (await env.app.inject({ url: '/v1/invitations', headers: bearer(accountant.token) })).statusCode,
    ).toBe(200);
    const { rows } = await env.adminQuery(
      `SELECT payload FROM audit_events WHERE tenant_id = $1 AND action = 'member.role_changed'`,
      [owner.tenantId],
    );
    expect(rows[0].payload).toEqual({ from: 'accountant', to: 'admin' });
  });

  it('ends a removed member’s sessions at once', async () => {
    const owner = await signup(env.app);
    const accountant = await addMember(env, owner, 'accountant');
    expect(
      (
        await env.app.inject({
          method: 'DELETE',
          url: `/v1/members/${accountant.userId}`,
          headers: bearer(owner.token),
        })
      ).statusCode,
    ).toBe(204);
    expect((await env.app.inject({ url: '/v1/me', headers: bearer(accountant.token) })).statusCode).toBe(401);
  });

  it('accepts an invitation only once and not after it is revoked', async () => {
    const owner = await signup(env.app);
    const email = uniqueEmail('invitee');
    const created = await env.app.inject({
      method: 'POST',
      url: '/v1/invitations',
      headers: bearer(owner.token),
      payload: { email, role: 'viewer' },
    });
    const token = /(inv_[A-Za-z0-9_-]+)/.exec(env.mail.at(-1)!.text)![1];
    const revoke = await env.app.inject({
      method: 'DELETE',
      url: `/v1/invitations/${created.json().id}`,
      headers: bearer(owner.token),
    });
    expect(revoke.statusCode).toBe(204);
    const accept = await env.app.inject({
      method: 'POST',
      url: '/v1/invitations/accept',
      payload: { token, password: 'glacier-sparrow-tinsel-12', name: 'Ivan' },
    });
    expect(accept.statusCode).toBe(400);
  });
});
