import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { login, signup, uniqueEmail } from '../../helpers/auth.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv({
  env: {
    LOGIN_MAX_FAILURES: '3',
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
