import { describe, expect, it } from 'vitest';
import { totpCodeAt } from '../../../src/modules/auth/totp.js';
import { bearer, enrolTotp, login, resetTokenFor, signup, uniqueEmail } from '../../helpers/auth.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();
const NEW_PASSWORD = 'copper-fjord-walnut-77-breeze';
const requestReset = (email: string) =>
  env.app.inject({
    method: 'POST',
    url: '/v1/auth/password-reset',
    headers: { 'x-request-id': 'reset-request-0001' },
    payload: { email },
  });
const confirm = (token: string, newPassword = NEW_PASSWORD) =>
  env.app.inject({ method: 'POST', url: '/v1/auth/password-reset/confirm', payload: { token, newPassword } });

describe('password reset', () => {
  it('answers a known and an unknown email identically, and mails only the known one', async () => {
    const owner = await signup(env.app);
    const sentBefore = env.mail.length;
    const known = await requestReset(owner.email);
    const unknown = await requestReset(uniqueEmail('nobody'));
    expect(known.statusCode).toBe(202);
    expect(unknown.statusCode).toBe(known.statusCode);
    expect(unknown.body).toBe(known.body);
    expect(env.mail.length).toBe(sentBefore + 1);
    expect(env.mail.at(-1)!.to).toBe(owner.email);
  });

  it('sets a new password once per token and ends every session', async () => {
    const owner = await signup(env.app);
    await requestReset(owner.email);
    const token = resetTokenFor(env, owner.email);
    expect((await confirm(token)).statusCode).toBe(204);
    expect((await env.app.inject({ url: '/v1/me', headers: bearer(owner.token) })).statusCode).toBe(401);
    expect((await login(env.app, owner.email, NEW_PASSWORD)).statusCode).toBe(200);
    const reused = await confirm(token, 'another-strong-passphrase-91');
    expect(reused.statusCode).toBe(400);
    expect(reused.json().errors[0].field).toBe('body.token');
  });

  it('revokes every outstanding reset token when a reset succeeds', async () => {
    const owner = await signup(env.app);
    await requestReset(owner.email);
    const earlier = resetTokenFor(env, owner.email);
    await requestReset(owner.email);
    const later = resetTokenFor(env, owner.email);
    expect(later).not.toBe(earlier);
    expect((await confirm(later)).statusCode).toBe(204);
    expect((await confirm(earlier, 'another-strong-passphrase-91')).statusCode).toBe(400);
    expect((await login(env.app, owner.email, NEW_PASSWORD)).statusCode).toBe(200);
  });

  it('revokes every outstanding reset token when the password is changed', async () => {
    const owner = await signup(env.app);
    await requestReset(owner.email);
    const token = resetTokenFor(env, owner.email);
    const changed = await env.app.inject({
      method: 'POST',
      url: '/v1/me/password',
      headers: bearer(owner.token),
      payload: { currentPassword: owner.password, newPassword: NEW_PASSWORD },
    });
    expect(changed.statusCode, changed.body).toBe(204);
    expect((await confirm(token, 'another-strong-passphrase-91')).statusCode).toBe(400);
    expect((await login(env.app, owner.email, NEW_PASSWORD)).statusCode).toBe(200);
  });

  it('refuses a token older than 30 minutes', async () => {
    const owner = await signup(env.app);
    await requestReset(owner.email);
    const token = resetTokenFor(env, owner.email);
    env.clock.advance(31 * 60_000);
    expect((await confirm(token)).statusCode).toBe(400);
  });

  it('refuses a weak new password without using up the token', async () => {
    const owner = await signup(env.app);
    await requestReset(owner.email);
    const token = resetTokenFor(env, owner.email);
    expect((await confirm(token, 'password1234')).statusCode).toBe(400);
    expect((await confirm(token)).statusCode).toBe(204);
  });

  it('never bypasses the second factor: sign-in after a reset still asks for TOTP', async () => {
    const owner = await signup(env.app);
    const { secret } = await enrolTotp(env, owner);
    await requestReset(owner.email);
    expect((await confirm(resetTokenFor(env, owner.email))).statusCode).toBe(204);
    const res = await login(env.app, owner.email, NEW_PASSWORD);
    expect(res.json().mfaRequired).toBe(true);
    env.clock.advance(60_000);
    const verified = await env.app.inject({
      method: 'POST',
      url: '/v1/auth/mfa/verify',
      payload: { challengeToken: res.json().challengeToken, code: totpCodeAt(secret, env.clock()) },
    });
    expect(verified.statusCode).toBe(200);
  });
});
