import { describe, expect, it } from 'vitest';
import { signup, STRONG_PASSWORD } from '../helpers/auth.js';
import { useTestEnv } from '../helpers/test-env.js';

const ADMIN = 'platform.admin@doklad.test';
const env = useTestEnv({ env: { PLATFORM_ADMIN_EMAILS: ADMIN } });
const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

describe('queue console', () => {
  it('is reachable only by platform administrators with their password', async () => {
    await signup(env.app, { email: ADMIN });
    const other = await signup(env.app);
    const anonymous = await env.app.inject({ url: '/admin/queues' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toContain('Basic');
    expect(
      (await env.app.inject({ url: '/admin/queues', headers: basic(ADMIN, 'wrong-password-1') })).statusCode,
    ).toBe(401);
    expect(
      (await env.app.inject({ url: '/admin/queues', headers: basic(other.email, STRONG_PASSWORD) }))
        .statusCode,
    ).toBe(401);
    const ui = await env.app.inject({ url: '/admin/queues', headers: basic(ADMIN, STRONG_PASSWORD) });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
    const api = await env.app.inject({
      url: '/admin/queues/api/queues',
      headers: basic(ADMIN, STRONG_PASSWORD),
    });
    expect(api.statusCode).toBe(200);
    expect(
      api
        .json()
        .queues.map((q: { name: string }) => q.name)
        .sort(),
    ).toEqual(['extraction', 'maintenance', 'webhooks']);
  });
});

describe('without administrators', () => {
  const noAdmins = useTestEnv();
  it('answers 404 at /admin/queues', async () => {
    expect((await noAdmins.app.inject({ url: '/admin/queues' })).statusCode).toBe(404);
  });
});
