/**
 * An account only claims its email address until the person follows a link mailed there
 * (security finding High 1). Links are single use, expire, and a newer one replaces the older.
 */
import { describe, expect, it } from 'vitest';
import {
  addMember,
  bearer,
  enrolTotp,
  invitationTokenFor,
  login,
  resetTokenFor,
  signup,
  STRONG_PASSWORD,
  uniqueEmail,
  verificationTokenFor,
  verifyEmail,
  type SignedUp,
} from '../../helpers/auth.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();

async function emailVerified(session: SignedUp): Promise<boolean> {
  const me = await env.app.inject({ url: '/v1/me', headers: bearer(session.token) });
  expect(me.statusCode, me.body).toBe(200);
  return me.json().user.emailVerified;
}

async function verifiedAtInDb(userId: string): Promise<Date | null> {
  const { rows } = await env.adminQuery('SELECT email_verified_at FROM users WHERE id = $1', [userId]);
  return rows[0].email_verified_at;
}

const resend = (session: SignedUp) =>
  env.app.inject({ method: 'POST', url: '/v1/me/email/verification', headers: bearer(session.token) });

const changeEmail = (session: SignedUp, newEmail: string, password = STRONG_PASSWORD) =>
  env.app.inject({
    method: 'POST',
    url: '/v1/me/email',
    headers: bearer(session.token),
    payload: { newEmail, password },
  });

async function auditActions(tenantId: string): Promise<string[]> {
  const { rows } = await env.adminQuery('SELECT action FROM audit_events WHERE tenant_id = $1', [tenantId]);
  return rows.map((r: { action: string }) => r.action);
}

describe('email verification', () => {
  it('creates accounts unverified and mails a link to the address', async () => {
    const owner = await signup(env.app);
    expect(await emailVerified(owner)).toBe(false);
    const mail = env.mail.findLast((m) => m.to === owner.email)!;
    expect(mail.subject).toContain('Confirm');
    expect(mail.text).toContain(`${env.config.http.publicBaseUrl}/verify-email#token=evf_`);
    const { rows } = await env.adminQuery('SELECT token_hash FROM email_verifications WHERE user_id = $1', [
      owner.userId,
    ]);
    // Stored only as its SHA-256.
    expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(mail.text).not.toContain(rows[0].token_hash);
  });

  it('a verification link proves the address once; a second use is refused', async () => {
    const owner = await signup(env.app);
    const token = verificationTokenFor(env, owner.email);
    expect((await verifyEmail(env, token)).statusCode).toBe(204);
    expect(await emailVerified(owner)).toBe(true);
    expect(await auditActions(owner.tenantId)).toContain('user.email_verified');
    const again = await verifyEmail(env, token);
    expect(again.statusCode).toBe(400);
    expect(again.json().code).toBe('invalid_verification_token');
  });

  it('refuses an expired, a used and an unknown link with the same answer', async () => {
    const owner = await signup(env.app);
    const expired = verificationTokenFor(env, owner.email);
    env.clock.advance(env.config.accounts.emailVerificationTtlMs + 60_000);
    const answers = [
      await verifyEmail(env, expired),
      await verifyEmail(env, `evf_${'A'.repeat(43)}`),
      await verifyEmail(env, 'not-even-a-token'),
    ];
    const other = await signup(env.app);
    const used = verificationTokenFor(env, other.email);
    await verifyEmail(env, used);
    answers.push(await verifyEmail(env, used));
    for (const res of answers) {
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const { instance: _instance, ...body } = res.json();
      expect(body).toEqual({
        type: 'urn:doklad:problem:invalid_verification_token',
        title: 'Bad Request',
        status: 400,
        code: 'invalid_verification_token',
        detail: 'The verification link is invalid, already used or expired. Request a new one.',
      });
    }
    expect(await verifiedAtInDb(owner.userId)).toBeNull();
  });

  it('a newer link revokes the older one, and links are resent at most once a minute', async () => {
    const owner = await signup(env.app);
    const first = verificationTokenFor(env, owner.email);
    const tooSoon = await resend(owner);
    expect(tooSoon.statusCode).toBe(429);
    expect(Number(tooSoon.headers['retry-after'])).toBeGreaterThan(0);
    env.clock.advance(61_000);
    expect((await resend(owner)).statusCode).toBe(204);
    const second = verificationTokenFor(env, owner.email);
    expect(second).not.toBe(first);
    expect((await verifyEmail(env, first)).statusCode).toBe(400);
    expect((await verifyEmail(env, second)).statusCode).toBe(204);
    const done = await resend(owner);
    expect(done.statusCode).toBe(409);
    expect(done.json().code).toBe('email_already_verified');
  });

  it('accepting an invitation marks a new account verified: the token was mailed to that address', async () => {
    const owner = await signup(env.app);
    const member = await addMember(env, owner, 'accountant');
    expect(await emailVerified(member)).toBe(true);
  });

  it('accepting an invitation with an existing account (and its password) marks it verified', async () => {
    const owner = await signup(env.app);
    const other = await signup(env.app);
    expect(await verifiedAtInDb(other.userId)).toBeNull();
    const invite = await env.app.inject({
      method: 'POST',
      url: '/v1/invitations',
      headers: bearer(owner.token),
      payload: { email: other.email, role: 'viewer' },
    });
    expect(invite.statusCode, invite.body).toBe(201);
    const accept = await env.app.inject({
      method: 'POST',
      url: '/v1/invitations/accept',
      payload: { token: invitationTokenFor(env, other.email), password: STRONG_PASSWORD },
    });
    expect(accept.statusCode, accept.body).toBe(200);
    expect(await verifiedAtInDb(other.userId)).toBeInstanceOf(Date);
  });

  it('a password reset marks the email verified: the reset link was mailed to it', async () => {
    const owner = await signup(env.app);
    await env.app.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email: owner.email } });
    const reset = await env.app.inject({
      method: 'POST',
      url: '/v1/auth/password-reset/confirm',
      payload: { token: await resetTokenFor(env, owner.email), newPassword: 'copper-fjord-walnut-77-breeze' },
    });
    expect(reset.statusCode).toBe(204);
    expect(await verifiedAtInDb(owner.userId)).toBeInstanceOf(Date);
  });
});

describe('email change', () => {
  it('changes the address only once the link mailed to the new address is followed; the old one gets a notice', async () => {
    const owner = await signup(env.app);
    const otherSession = (await login(env.app, owner.email, STRONG_PASSWORD)).json().token as string;
    const newEmail = uniqueEmail('moved');
    const res = await changeEmail(owner, newEmail.toUpperCase());
    expect(res.statusCode, res.body).toBe(202);
    // Nothing changed yet: the old address still signs in, the new one does not.
    expect((await login(env.app, owner.email, STRONG_PASSWORD)).statusCode).toBe(200);
    expect((await login(env.app, newEmail, STRONG_PASSWORD)).statusCode).toBe(401);
    const notice = env.mail.findLast((m) => m.to === owner.email)!;
    expect(notice.subject).toContain('about to change');
    expect(notice.text).not.toContain('evf_');
    const token = verificationTokenFor(env, newEmail);
    expect((await verifyEmail(env, token)).statusCode).toBe(204);
    expect((await login(env.app, newEmail, STRONG_PASSWORD)).statusCode).toBe(200);
    expect((await login(env.app, owner.email, STRONG_PASSWORD)).statusCode).toBe(401);
    // Every session that existed before the change ends with it.
    for (const t of [owner.token, otherSession])
      expect((await env.app.inject({ url: '/v1/me', headers: bearer(t) })).statusCode).toBe(401);
    const { rows } = await env.adminQuery('SELECT email, email_verified_at FROM users WHERE id = $1', [
      owner.userId,
    ]);
    expect(rows[0]).toMatchObject({ email: newEmail, email_verified_at: expect.any(Date) });
    const actions = await auditActions(owner.tenantId);
    expect(actions).toEqual(expect.arrayContaining(['user.email_change_requested', 'user.email_changed']));
    expect((await verifyEmail(env, token)).statusCode).toBe(400);
  });

  it('needs the current password', async () => {
    const owner = await signup(env.app);
    const res = await changeEmail(owner, uniqueEmail(), 'not-the-password-at-all');
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('reauthentication_failed');
  });

  it('needs a recent step-up when the account has two-factor authentication', async () => {
    const owner = await signup(env.app);
    await enrolTotp(env, owner);
    env.clock.advance(env.config.sessions.stepUpWindowMs + 60_000);
    const res = await changeEmail(owner, uniqueEmail());
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('step_up_required');
  });

  it('answers 409 for an address another account has, when asked and when confirmed', async () => {
    const owner = await signup(env.app);
    const other = await signup(env.app);
    const taken = await changeEmail(owner, other.email);
    expect(taken.statusCode).toBe(409);
    expect(taken.json().code).toBe('email_taken');

    const wanted = uniqueEmail('wanted');
    expect((await changeEmail(owner, wanted)).statusCode).toBe(202);
    const token = verificationTokenFor(env, wanted);
    await signup(env.app, { email: wanted });
    const late = await verifyEmail(env, token);
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('email_taken');
    const { rows } = await env.adminQuery('SELECT email FROM users WHERE id = $1', [owner.userId]);
    expect(rows[0].email).toBe(owner.email);
  });
});
