/**
 * Issue 14, Must show 5: a member's erasure. Afterwards their name and email appear in no text
 * column of any table, they are signed out everywhere and their second factor is gone, and every
 * firm's audit chain still verifies (its rows refer to the unchanged, now pseudonymous, id). A
 * firm's administrators can export what it holds about one member beforehand.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { systemContext } from '../../../src/core/request-context.js';
import {
  bearer,
  enrolTotp,
  invitationTokenFor,
  login,
  signup,
  STRONG_PASSWORD,
  uniqueEmail,
  type SignedUp,
} from '../../helpers/auth.js';
import { samplePdf, uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();

/** Invites `email` into the inviter's firm and accepts, creating the account or joining with it. */
async function join(
  inviter: SignedUp,
  email: string,
  role: string,
  name: string,
  password = STRONG_PASSWORD,
): Promise<SignedUp> {
  const invite = await env.app.inject({
    method: 'POST',
    url: '/v1/invitations',
    headers: bearer(inviter.token),
    payload: { email, role },
  });
  expect(invite.statusCode, invite.body).toBe(201);
  const accept = await env.app.inject({
    method: 'POST',
    url: '/v1/invitations/accept',
    payload: { token: invitationTokenFor(env, email), password, name },
  });
  expect(accept.statusCode, accept.body).toBe(200);
  const json = accept.json();
  return { tenantId: json.tenant.id, userId: json.user.id, email, password, token: json.token };
}

/** Every (table, column) of a text-like type whose value contains `needle`, in the whole database. */
async function whereItAppears(needle: string): Promise<string[]> {
  const { rows: columns } = await env.adminQuery<{ table_name: string; column_name: string }>(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
        AND c.data_type IN ('text', 'character varying', 'character', 'jsonb', 'json', 'ARRAY')
      ORDER BY 1, 2`,
  );
  expect(columns.length).toBeGreaterThan(50);
  const found: string[] = [];
  for (const { table_name, column_name } of columns) {
    const { rows } = await env.adminQuery(
      `SELECT count(*)::int AS n FROM "${table_name}" WHERE strpos(lower("${column_name}"::text), lower($1)) > 0`,
      [needle],
    );
    if (rows[0].n > 0) found.push(`${table_name}.${column_name}`);
  }
  return found;
}

async function chainOk(tenantId: string) {
  await env.container.auditChainer.chainPending(tenantId);
  return env.container.audit.verifyChain(systemContext(tenantId));
}

describe('erasing a person', () => {
  it('pseudonymises name and email in every firm, ends sessions, removes MFA, and leaves every chain verifiable', async () => {
    const firmA = await signup(env.app);
    const firmB = await signup(env.app);
    const marker = randomBytes(4).toString('hex');
    const name = `Zdenka Vymazalova ${marker}`;
    const email = uniqueEmail(`zdenka${marker}`);
    const inA = await join(firmA, email, 'accountant', name);
    const inB = await join(firmB, email, 'admin', name);
    expect(inB.userId).toBe(inA.userId);
    await enrolTotp(env, inB);
    const upload = await uploadRaw(env.app, inA.token, samplePdf(), { contentType: 'application/pdf' });
    expect(upload.statusCode).toBe(201);
    const token = await env.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: bearer(inB.token),
      payload: { name: 'my erp', scopes: ['members:read'] },
    });
    expect(token.statusCode, token.body).toBe(201);

    // Before: the firm can export what it holds about the person.
    const exported = await env.app.inject({
      url: `/v1/members/${inA.userId}/personal-data`,
      headers: bearer(firmA.token),
    });
    expect(exported.statusCode, exported.body).toBe(200);
    expect(exported.json()).toMatchObject({
      subject: { id: inA.userId, name, email },
      membership: { role: 'accountant' },
      documentsUploaded: 1,
      invitations: [{ role: 'accountant', acceptedAt: expect.any(String) }],
      auditEventsTruncated: false,
    });
    expect(exported.json().sessions.length).toBeGreaterThan(0);
    expect(exported.json().auditEvents.map((e: { action: string }) => e.action)).toContain(
      'document.uploaded',
    );
    expect((await whereItAppears(email)).length).toBeGreaterThan(0);
    expect(await whereItAppears(name)).toContain('users.name');
    const { rows: eventsBefore } = await env.adminQuery(
      `SELECT count(*)::int AS n FROM audit_events WHERE actor_id = $1`,
      [inA.userId],
    );

    const wrong = await env.app.inject({
      method: 'POST',
      url: '/v1/me/erasure',
      headers: bearer(inA.token),
      payload: { confirmEmail: 'someone.else@example.test' },
    });
    expect([wrong.statusCode, wrong.json().code]).toEqual([400, 'validation_failed']);
    const erased = await env.app.inject({
      method: 'POST',
      url: '/v1/me/erasure',
      headers: bearer(inA.token),
      payload: { confirmEmail: email.toUpperCase() },
    });
    expect(erased.statusCode, erased.body).toBe(200);
    expect(erased.json()).toMatchObject({ firmsLeft: 2 });

    // Nowhere: no text column of any table holds the name or the email any more.
    expect(await whereItAppears(email)).toEqual([]);
    expect(await whereItAppears(name)).toEqual([]);
    expect(await whereItAppears(email.split('@')[0]!)).toEqual([]);

    // Signed out everywhere, cannot sign in, the token stopped, the second factor is gone.
    for (const session of [inA.token, inB.token]) {
      expect((await env.app.inject({ url: '/v1/me', headers: bearer(session) })).statusCode).toBe(401);
    }
    expect((await login(env.app, email, STRONG_PASSWORD)).statusCode).toBe(401);
    expect(
      (await env.app.inject({ url: '/v1/members', headers: bearer(token.json().token) })).statusCode,
    ).toBe(401);
    const { rows: factors } = await env.adminQuery(
      `SELECT (SELECT count(*)::int FROM mfa_factors WHERE user_id = $1) AS factors,
              (SELECT count(*)::int FROM recovery_codes WHERE user_id = $1) AS codes,
              (SELECT count(*)::int FROM sessions WHERE user_id = $1 AND (revoked_at IS NULL OR ip IS NOT NULL)) AS live`,
      [inA.userId],
    );
    expect(factors[0]).toEqual({ factors: 0, codes: 0, live: 0 });

    // The audit rows are untouched (more of them, none fewer), still under the same id, and chains verify.
    const { rows: eventsAfter } = await env.adminQuery(
      `SELECT count(*)::int AS n FROM audit_events WHERE actor_id = $1`,
      [inA.userId],
    );
    expect(eventsAfter[0].n).toBeGreaterThan(eventsBefore[0].n);
    for (const firm of [firmA, firmB]) {
      const chain = await chainOk(firm.tenantId);
      expect(chain.ok, JSON.stringify(chain.problems)).toBe(true);
      const { rows } = await env.adminQuery(
        `SELECT payload FROM audit_events WHERE tenant_id = $1 AND action = 'person.erased'`,
        [firm.tenantId],
      );
      expect(rows).toHaveLength(1);
    }
    const { rows: tokenRevoked } = await env.adminQuery(
      `SELECT payload FROM audit_events WHERE tenant_id = $1 AND action = 'person.erased'`,
      [firmB.tenantId],
    );
    expect(tokenRevoked[0].payload).toMatchObject({ tokensRevoked: 1, invitationsScrubbed: 1 });

    // The firm's documents stay, naming only the pseudonymous id; the person is no member any more.
    const docs = await env.app.inject({ url: '/v1/documents', headers: bearer(firmA.token) });
    expect(docs.json().items).toHaveLength(1);
    const members = await env.app.inject({ url: '/v1/members', headers: bearer(firmA.token) });
    expect(members.json().items.map((m: { userId: string }) => m.userId)).not.toContain(inA.userId);
    const after = await env.app.inject({
      url: `/v1/members/${inA.userId}/personal-data`,
      headers: bearer(firmA.token),
    });
    expect(after.statusCode).toBe(404);
  });

  it('refuses a sole owner (409 last_owner) and changes nothing', async () => {
    const owner = await signup(env.app);
    const res = await env.app.inject({
      method: 'POST',
      url: '/v1/me/erasure',
      headers: bearer(owner.token),
      payload: { confirmEmail: owner.email },
    });
    expect([res.statusCode, res.json().code]).toEqual([409, 'last_owner']);
    expect((await env.app.inject({ url: '/v1/me', headers: bearer(owner.token) })).statusCode).toBe(200);
  });

  it('answers malformed input with 400, and a stale session with step_up_required', async () => {
    const owner = await signup(env.app);
    for (const payload of [
      {},
      { confirmEmail: 'x' },
      { confirmEmail: 7 },
      { confirmEmail: 'a@b.c', all: true },
    ]) {
      const res = await env.app.inject({
        method: 'POST',
        url: '/v1/me/erasure',
        headers: bearer(owner.token),
        payload,
      });
      expect([res.statusCode, res.json().code]).toEqual([400, 'validation_failed']);
    }
    const bad = await env.app.inject({
      url: '/v1/members/not-a-uuid/personal-data',
      headers: bearer(owner.token),
    });
    expect([bad.statusCode, bad.json().code]).toEqual([400, 'validation_failed']);
    env.clock.advance(6 * 60_000);
    const stale = await env.app.inject({
      method: 'POST',
      url: '/v1/me/erasure',
      headers: bearer(owner.token),
      payload: { confirmEmail: owner.email },
    });
    expect([stale.statusCode, stale.json().code]).toEqual([403, 'step_up_required']);
  });

  it('records every personal-data export in the firm\u2019s audit trail', async () => {
    const owner = await signup(env.app);
    const member = await join(owner, uniqueEmail('subject'), 'viewer', 'Subject Person');
    const res = await env.app.inject({
      url: `/v1/members/${member.userId}/personal-data`,
      headers: bearer(owner.token),
    });
    expect(res.statusCode).toBe(200);
    const { rows } = await env.adminQuery(
      `SELECT actor_id, target_id FROM audit_events WHERE tenant_id = $1 AND action = 'personal_data.exported'`,
      [owner.tenantId],
    );
    expect(rows).toEqual([{ actor_id: owner.userId, target_id: member.userId }]);
  });
});
