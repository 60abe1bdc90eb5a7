import { describe, expect, it } from 'vitest';
import { totpCodeAt } from '../../../src/modules/auth/totp.js';
import {
  addMember,
  bearer,
  enrolTotp,
  ensureEmailVerified,
  login,
  resetTokenFor,
  signup,
  type SignedUp,
} from '../../helpers/auth.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();
const verify = (payload: Record<string, unknown>) =>
  env.app.inject({ method: 'POST', url: '/v1/auth/mfa/verify', payload });
const beginEnrolment = (person: SignedUp, password: string = person.password) =>
  env.app.inject({
    method: 'POST',
    url: '/v1/me/mfa/totp',
    headers: bearer(person.token),
    payload: { password },
  });

describe('TOTP two-factor authentication', () => {
  it('enrols with a secret, otpauth URL and QR image, and stores the seed only sealed', async () => {
    const owner = await signup(env.app);
    await ensureEmailVerified(env, owner);
    const begin = await beginEnrolment(owner);
    const body = begin.json();
    expect(body.otpauthUrl).toMatch(/^otpauth:\/\/totp\/Doklad:.+secret=/);
    expect(body.qrCode).toMatch(/^data:image\/png;base64,/);
    const { rows } = await env.adminQuery('SELECT secret_sealed FROM mfa_factors WHERE user_id = $1', [
      owner.userId,
    ]);
    expect(rows[0].secret_sealed).not.toContain(body.secret);
    expect(JSON.parse(rows[0].secret_sealed)).toMatchObject({ v: 1, alg: 'A256GCM-local' });
    const wrong = await env.app.inject({
      method: 'POST',
      url: '/v1/me/mfa/totp/confirm',
      headers: bearer(owner.token),
      payload: { code: '000000' },
    });
    expect(wrong.statusCode).toBe(400);
    const ok = await env.app.inject({
      method: 'POST',
      url: '/v1/me/mfa/totp/confirm',
      headers: bearer(owner.token),
      payload: { code: totpCodeAt(body.secret, env.clock()) },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().recoveryCodes).toHaveLength(10);
  });

  it('refuses to enrol with a session alone: the password is required', async () => {
    const owner = await signup(env.app);
    await ensureEmailVerified(env, owner);
    const withoutPassword = await env.app.inject({
      method: 'POST',
      url: '/v1/me/mfa/totp',
      headers: bearer(owner.token),
    });
    expect(withoutPassword.statusCode).toBe(400);
    const wrongPassword = await beginEnrolment(owner, 'not-the-password-77');
    expect(wrongPassword.statusCode).toBe(403);
    expect(wrongPassword.json().code).toBe('reauthentication_failed');
    const { rows } = await env.adminQuery('SELECT 1 FROM mfa_factors WHERE user_id = $1', [owner.userId]);
    expect(rows).toHaveLength(0);
  });

  it('mails the owner when two-factor authentication is turned on', async () => {
    const owner = await signup(env.app);
    await enrolTotp(env, owner);
    expect(env.mail.at(-1)).toMatchObject({
      to: owner.email,
      subject: expect.stringContaining('Two-factor authentication was turned on'),
    });
  });

  it('refuses to enrol until the email address is verified, so a squatter cannot bind a factor', async () => {
    const squatter = await signup(env.app);
    const refused = await beginEnrolment(squatter);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('email_not_verified');
    const { rows } = await env.adminQuery('SELECT 1 FROM mfa_factors WHERE user_id = $1', [squatter.userId]);
    expect(rows).toHaveLength(0);
    // The real owner of the mailbox takes the account over with a reset and signs in without a code.
    await env.app.inject({
      method: 'POST',
      url: '/v1/auth/password-reset',
      payload: { email: squatter.email },
    });
    const token = await resetTokenFor(env, squatter.email);
    const newPassword = 'copper-fjord-walnut-77-breeze';
    const reset = await env.app.inject({
      method: 'POST',
      url: '/v1/auth/password-reset/confirm',
      payload: { token, newPassword },
    });
    expect(reset.statusCode).toBe(204);
    expect((await login(env.app, squatter.email, newPassword)).json().token).toBeDefined();
  });

  it('asks for the second factor at sign-in and never accepts the same code twice', async () => {
    const owner = await signup(env.app);
    const { secret } = await enrolTotp(env, owner);
    env.clock.advance(60_000);
    const first = await login(env.app, owner.email, owner.password);
    expect(first.json()).toEqual({ mfaRequired: true, challengeToken: expect.any(String) });
    const code = totpCodeAt(secret, env.clock());
    const ok = await verify({ challengeToken: first.json().challengeToken, code });
    expect(ok.statusCode).toBe(200);
    expect(Object.keys(ok.json()).sort()).toEqual(['expiresAt', 'token']);

    const second = await login(env.app, owner.email, owner.password);
    const replay = await verify({ challengeToken: second.json().challengeToken, code });
    expect(replay.statusCode).toBe(401);
  });

  it('accepts each recovery code once', async () => {
    const owner = await signup(env.app);
    const { recoveryCodes } = await enrolTotp(env, owner);
    const code = recoveryCodes[3]!;
    const first = await login(env.app, owner.email, owner.password);
    expect(
      (await verify({ challengeToken: first.json().challengeToken, recoveryCode: code.toLowerCase() }))
        .statusCode,
    ).toBe(200);
    const second = await login(env.app, owner.email, owner.password);
    expect(
      (await verify({ challengeToken: second.json().challengeToken, recoveryCode: code })).statusCode,
    ).toBe(401);
  });

  it('gives up a challenge after five wrong codes', async () => {
    const owner = await signup(env.app);
    const { secret } = await enrolTotp(env, owner);
    env.clock.advance(60_000);
    const { challengeToken } = (await login(env.app, owner.email, owner.password)).json();
    for (let i = 0; i < 5; i++)
      expect((await verify({ challengeToken, code: '000000' })).statusCode).toBe(401);
    expect((await verify({ challengeToken, code: totpCodeAt(secret, env.clock()) })).statusCode).toBe(401);
  });

  it('counts wrong codes per account across challenges: a fresh challenge does not reset them', async () => {
    const owner = await signup(env.app);
    const { secret } = await enrolTotp(env, owner);
    env.clock.advance(60_000);
    const answers: number[] = [];
    // Two guesses per challenge, each challenge opened with the right password.
    for (let round = 0; round < 3; round++) {
      const { challengeToken } = (await login(env.app, owner.email, owner.password)).json();
      for (let i = 0; i < 2; i++) answers.push((await verify({ challengeToken, code: '000000' })).statusCode);
    }
    expect(answers).toEqual([401, 401, 401, 401, 401, 429]);
    const { challengeToken } = (await login(env.app, owner.email, owner.password)).json();
    const right = await verify({ challengeToken, code: totpCodeAt(secret, env.clock()) });
    expect(right.statusCode).toBe(429);
    expect(right.json().code).toBe('too_many_requests');
    // Someone has the password: the owner is told.
    await env.container.backgroundTasks.settled();
    expect(env.mail.filter((m) => m.to === owner.email && m.text.includes('wrong two-factor'))).toHaveLength(
      1,
    );
  });

  it('counts wrong step-up codes against the same per-account lockout', async () => {
    const owner = await signup(env.app);
    const { secret } = await enrolTotp(env, owner);
    env.clock.advance(60_000);
    const stepUp = (code: string) =>
      env.app.inject({
        method: 'POST',
        url: '/v1/auth/step-up',
        headers: bearer(owner.token),
        payload: { code },
      });
    for (let i = 0; i < 5; i++) expect((await stepUp('000000')).statusCode).toBe(403);
    const { challengeToken } = (await login(env.app, owner.email, owner.password)).json();
    expect((await verify({ challengeToken, code: totpCodeAt(secret, env.clock()) })).statusCode).toBe(429);
  });

  it('turns off only with the password and a current code', async () => {
    const owner = await signup(env.app);
    const { secret } = await enrolTotp(env, owner);
    env.clock.advance(60_000);
    const badPassword = await env.app.inject({
      method: 'DELETE',
      url: '/v1/me/mfa/totp',
      headers: bearer(owner.token),
      payload: { password: 'wrong-password-here', code: totpCodeAt(secret, env.clock()) },
    });
    expect(badPassword.statusCode).toBe(403);
    const ok = await env.app.inject({
      method: 'DELETE',
      url: '/v1/me/mfa/totp',
      headers: bearer(owner.token),
      payload: { password: owner.password, code: totpCodeAt(secret, env.clock()) },
    });
    expect(ok.statusCode).toBe(204);
    expect((await login(env.app, owner.email, owner.password)).json().token).toBeDefined();
  });

  it('requires a recent step-up for sensitive actions once a person has 2FA', async () => {
    const owner = await signup(env.app);
    const { secret } = await enrolTotp(env, owner);
    env.clock.advance(10 * 60_000);
    const create = () =>
      env.app.inject({
        method: 'POST',
        url: '/v1/tokens',
        headers: bearer(owner.token),
        payload: { name: 'ERP', scopes: ['members:read'] },
      });
    const refused = await create();
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('step_up_required');
    const stepUp = await env.app.inject({
      method: 'POST',
      url: '/v1/auth/step-up',
      headers: bearer(owner.token),
      payload: { code: totpCodeAt(secret, env.clock()) },
    });
    expect(stepUp.statusCode).toBe(204);
    expect((await create()).statusCode).toBe(201);
  });

  it('lets a firm require 2FA: members without it can only enrol', async () => {
    const owner = await signup(env.app);
    const accountant = await addMember(env, owner, 'accountant');
    const require = await env.app.inject({
      method: 'PATCH',
      url: '/v1/tenant',
      headers: bearer(owner.token),
      payload: { requireMfa: true },
    });
    expect(require.statusCode).toBe(200);
    const blocked = await env.app.inject({ url: '/v1/members', headers: bearer(accountant.token) });
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().code).toBe('mfa_enrolment_required');
    await enrolTotp(env, accountant);
    expect((await env.app.inject({ url: '/v1/members', headers: bearer(accountant.token) })).statusCode).toBe(
      200,
    );
  });
});
