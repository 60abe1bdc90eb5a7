import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { bearer, login, resetTokenFor, signup, uniqueEmail } from '../../helpers/auth.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv({
  env: {
    LOGIN_MAX_FAILURES: '3',
    LOGIN_ACCOUNT_MAX_FAILURES: '6',
    LOGIN_LOCK_BASE_SECONDS: '1',
    LOGIN_LOCK_MAX_SECONDS: '2',
    LOGIN_IP_MAX_FAILURES: '1000',
  },
});

describe('sign-in throttling', () => {
  it('locks an account after repeated failures, even for the right password, then releases it', async () => {
    const owner = await signup(env.app);
    for (let i = 0; i < 3; i++)
      expect((await login(env.app, owner.email, 'wrong-password-123')).statusCode).toBe(401);
    const locked = await login(env.app, owner.email, owner.password);
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ code: 'too_many_requests', retryAfterSeconds: 1 });
    expect(locked.headers['retry-after']).toBe('1');
    await sleep(1_200);
    expect((await login(env.app, owner.email, owner.password)).statusCode).toBe(200);
  });

  it('locks unknown emails exactly like real accounts, revealing nothing', async () => {
    const ghost = uniqueEmail('ghost');
    for (let i = 0; i < 3; i++) await login(env.app, ghost, 'wrong-password-123');
    const res = await login(env.app, ghost, 'wrong-password-123');
    expect(res.statusCode).toBe(429);
  });

  it('grows the lock with further failures', async () => {
    const owner = await signup(env.app);
    for (let i = 0; i < 3; i++) await login(env.app, owner.email, 'wrong-password-123');
    await sleep(1_100);
    await login(env.app, owner.email, 'wrong-password-123'); // fourth failure: 2 s
    await sleep(1_100);
    expect((await login(env.app, owner.email, owner.password)).statusCode).toBe(429);
  });
});

/** Signs in from a given address, as a client behind it would. */
const loginFrom = (remoteAddress: string, email: string, password: string) =>
  env.app.inject({ method: 'POST', url: '/v1/auth/login', remoteAddress, payload: { email, password } });

describe('locks per account and source, with an account-wide backstop', () => {
  it('keeps the owner signing in from elsewhere while failures lock only their source', async () => {
    const owner = await signup(env.app);
    for (let i = 0; i < 3; i++)
      expect((await loginFrom('203.0.113.7', owner.email, 'wrong-password-123')).statusCode).toBe(401);
    expect((await loginFrom('203.0.113.7', owner.email, owner.password)).statusCode).toBe(429);
    expect((await loginFrom('198.51.100.20', owner.email, owner.password)).statusCode).toBe(200);
  });

  it('locks the account from every source once failures spread over many sources add up', async () => {
    const owner = await signup(env.app);
    for (const ip of ['203.0.113.21', '203.0.113.22', '203.0.113.23'])
      for (let i = 0; i < 2; i++) await loginFrom(ip, owner.email, 'wrong-password-123');
    expect((await loginFrom('198.51.100.21', owner.email, owner.password)).statusCode).toBe(429);
  });

  it('lets a successful password reset lift every lock of the account', async () => {
    const owner = await signup(env.app);
    // Locked from the owner's own address and, with the second source, everywhere.
    for (const ip of ['192.0.2.10', '192.0.2.11'])
      for (let i = 0; i < 3; i++) await loginFrom(ip, owner.email, 'wrong-password-123');
    expect((await loginFrom('192.0.2.10', owner.email, owner.password)).statusCode).toBe(429);
    await env.app.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email: owner.email } });
    const newPassword = 'copper-fjord-walnut-77-breeze';
    const reset = await env.app.inject({
      method: 'POST',
      url: '/v1/auth/password-reset/confirm',
      payload: { token: await resetTokenFor(env, owner.email), newPassword },
    });
    expect(reset.statusCode).toBe(204);
    expect((await loginFrom('192.0.2.10', owner.email, newPassword)).statusCode).toBe(200);
  });

  it('mails the owner when sign-in to their account is locked, once per hour', async () => {
    const owner = await signup(env.app);
    const notices = () =>
      env.mail.filter((m) => m.to === owner.email && m.subject.includes('Sign-in to your Doklad account'));
    for (const ip of ['203.0.113.31', '203.0.113.32'])
      for (let i = 0; i < 3; i++) await loginFrom(ip, owner.email, 'wrong-password-123');
    await env.container.backgroundTasks.settled();
    expect(notices()).toHaveLength(1);
    expect(notices()[0]!.text).toContain('resetting your password');
  });
});

describe('password confirmations share the sign-in lockout', () => {
  it('throttles the current-password check of a password change like sign-in', async () => {
    const owner = await signup(env.app);
    const change = (currentPassword: string) =>
      env.app.inject({
        method: 'POST',
        url: '/v1/me/password',
        headers: bearer(owner.token),
        payload: { currentPassword, newPassword: 'copper-fjord-walnut-77-breeze' },
      });
    for (let i = 0; i < 3; i++) expect((await change('wrong-password-123')).statusCode).toBe(403);
    // Locked now: even the right current password is refused, and so is sign-in.
    expect((await change(owner.password)).statusCode).toBe(429);
    expect((await login(env.app, owner.email, owner.password)).statusCode).toBe(429);
  });
});

describe('per-IP throttling', () => {
  const strict = useTestEnv({ env: { LOGIN_IP_MAX_FAILURES: '4', LOGIN_MAX_FAILURES: '100' } });
  it('refuses an address after too many failures across accounts', async () => {
    const owner = await signup(strict.app);
    for (let i = 0; i < 4; i++) await login(strict.app, uniqueEmail('spray'), 'wrong-password-123');
    const refused = await login(strict.app, owner.email, owner.password);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    const other = await strict.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      remoteAddress: '198.51.100.9',
      payload: { email: owner.email, password: owner.password },
    });
    expect(other.statusCode).toBe(200);
  });
});
