/**
 * The queue console shows every tenant's jobs and can pause extraction for all of them. Security
 * finding High 1 (issue 13): it used to open to HTTP Basic credentials of any account whose email
 * was listed in PLATFORM_ADMIN_EMAILS, and anyone could sign up with a listed address nobody had
 * claimed yet. Now it takes a live session of a person holding the platform role (granted by the
 * CLI to a verified address), with TOTP, and a recent step-up for anything that changes state.
 */
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  bearer,
  enrolTotp,
  signup,
  STRONG_PASSWORD,
  uniqueEmail,
  verificationTokenFor,
  verifyEmail,
  type SignedUp,
} from '../helpers/auth.js';
import { useTestEnv } from '../helpers/test-env.js';

const ADMIN = 'platform.admin@doklad.test';
// The removed setting is set on purpose: on the vulnerable code it made this address the console's
// key; it must grant nothing now.
const env = useTestEnv({ env: { PLATFORM_ADMIN_EMAILS: ADMIN } });
const ORIGIN = 'http://127.0.0.1:3000';

const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

/** Runs `doklad platform-admin <action>` in-process, as the CLI does, on the owner's connection. */
async function platformAdminCli(action: 'grant' | 'revoke' | 'list', email?: string) {
  // Imported here so that, on code without the command, the attack assertions fail first.
  const { runPlatformAdminCommand } = await import('../../src/cli/platform-admin-command.js');
  const out: string[] = [];
  const err: string[] = [];
  const code = await runPlatformAdminCommand(
    { action, email, grantedBy: 'test' },
    env.config.database.migrationUrl,
    { write: (t: string) => out.push(t) },
    { write: (t: string) => err.push(t) },
  );
  return { code, stdout: out.join(''), stderr: err.join('') };
}

async function openConsole(session: SignedUp): Promise<LightMyRequestResponse> {
  return env.app.inject({
    method: 'POST',
    url: '/v1/admin/console-session',
    headers: bearer(session.token),
  });
}

function consoleCookieOf(res: LightMyRequestResponse): string {
  const header = [res.headers['set-cookie']].flat()[0] ?? '';
  const pair = /^(doklad_console=[^;]+)/.exec(header)?.[1];
  if (!pair) throw new Error(`no console cookie in ${header}`);
  return pair;
}

/** A person with a verified address, the platform role and TOTP (unless `totp: false`). */
async function platformAdmin(options: { totp?: boolean } = {}): Promise<SignedUp> {
  const person = await signup(env.app, { email: uniqueEmail('platform') });
  expect((await verifyEmail(env, verificationTokenFor(env, person.email))).statusCode).toBe(204);
  expect((await platformAdminCli('grant', person.email)).code).toBe(0);
  if (options.totp !== false) await enrolTotp(env, person);
  return person;
}

const get = (url: string, headers: Record<string, string>) => env.app.inject({ url, headers });

describe('queue console access', () => {
  it('signing up with an address nobody verified grants no platform access', async () => {
    const attacker = await signup(env.app, { email: ADMIN });
    // The attack as reported: HTTP Basic with the sign-up password of the listed address.
    for (const url of ['/admin/queues', '/admin/queues/api/queues']) {
      const res = await get(url, basic(ADMIN, STRONG_PASSWORD));
      expect(res.statusCode, url).toBe(401);
    }
    const pause = await env.app.inject({
      method: 'PUT',
      url: '/admin/queues/api/queues/extraction/pause',
      headers: basic(ADMIN, STRONG_PASSWORD),
    });
    expect(pause.statusCode).toBe(401);
    // With the attacker's own session: no role was ever granted, and the address is unproved.
    const withSession = await get('/admin/queues/api/queues', bearer(attacker.token));
    expect(withSession.statusCode).toBe(403);
    expect(withSession.headers['content-type']).toContain('application/problem+json');
    expect((await openConsole(attacker)).statusCode).toBe(403);
    // Nor can an operator be talked into granting the role to an unproved address.
    const granted = await platformAdminCli('grant', ADMIN);
    expect(granted.code).toBe(1);
    expect(granted.stderr).toContain('not verified');
    const listed = await platformAdminCli('list');
    expect(JSON.parse(listed.stdout).items).toEqual([]);
  });

  it('opens for a verified platform administrator with TOTP and a recent step-up, through the console cookie', async () => {
    const admin = await platformAdmin();
    const opened = await openConsole(admin);
    expect(opened.statusCode, opened.body).toBe(204);
    const setCookie = [opened.headers['set-cookie']].flat()[0]!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/Secure/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/admin\/queues(;|$)/);
    const maxAge = Number(/Max-Age=(\d+)/.exec(setCookie)?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(env.config.sessions.idleTimeoutMs / 1000);

    const cookie = { cookie: consoleCookieOf(opened) };
    const ui = await get('/admin/queues', cookie);
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
    expect(ui.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const api = await get('/admin/queues/api/queues', cookie);
    expect(api.statusCode).toBe(200);
    expect(
      api
        .json()
        .queues.map((q: { name: string }) => q.name)
        .sort(),
    ).toEqual(['exports', 'extraction', 'maintenance', 'webhooks']);
    // A bearer header works as well, for tools; the log names the person by id, not by email.
    expect((await get('/admin/queues/api/queues', bearer(admin.token))).statusCode).toBe(200);
    const access = env.logs.filter((l) => l.includes('queue console access'));
    expect(access.some((l) => l.includes(admin.userId))).toBe(true);
    expect(access.some((l) => l.includes(admin.email))).toBe(false);
  });

  it('refuses a platform administrator without TOTP (403)', async () => {
    const admin = await platformAdmin({ totp: false });
    const opened = await openConsole(admin);
    expect(opened.statusCode).toBe(403);
    expect(opened.json().detail).toContain('two-factor');
    expect((await get('/admin/queues', bearer(admin.token))).statusCode).toBe(403);
  });

  it('refuses a platform administrator whose address is not verified (403)', async () => {
    const admin = await platformAdmin();
    await env.adminQuery('UPDATE users SET email_verified_at = NULL WHERE id = $1', [admin.userId]);
    const res = await get('/admin/queues', bearer(admin.token));
    expect(res.statusCode).toBe(403);
    expect(res.json().detail).toContain('verified email');
  });

  it('refuses on the very next request once the role is revoked (403)', async () => {
    const admin = await platformAdmin();
    const cookie = { cookie: consoleCookieOf(await openConsole(admin)) };
    expect((await get('/admin/queues/api/queues', cookie)).statusCode).toBe(200);
    expect((await platformAdminCli('revoke', admin.email)).code).toBe(0);
    const next = await get('/admin/queues/api/queues', cookie);
    expect(next.statusCode).toBe(403);
    expect(next.json().code).toBe('platform_admin_required');
  });

  it('refuses the cookie of a session that was logged out (401)', async () => {
    const admin = await platformAdmin();
    const cookie = { cookie: consoleCookieOf(await openConsole(admin)) };
    expect((await get('/admin/queues', cookie)).statusCode).toBe(200);
    const logout = await env.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: bearer(admin.token),
    });
    expect(logout.statusCode).toBe(204);
    expect((await get('/admin/queues', cookie)).statusCode).toBe(401);
    expect(
      (await get('/admin/queues', { cookie: 'doklad_console=not-a-session-token-at-all' })).statusCode,
    ).toBe(401);
    expect((await get('/admin/queues', {})).statusCode).toBe(401);
  });

  it('refuses state changes from a foreign Origin or without a recent step-up, and allows them otherwise', async () => {
    const admin = await platformAdmin();
    const cookie = consoleCookieOf(await openConsole(admin));
    const pause = (headers: Record<string, string>) =>
      env.app.inject({
        method: 'PUT',
        url: '/admin/queues/api/queues/maintenance/pause',
        headers: { cookie, ...headers },
      });
    const foreign = await pause({ origin: 'https://evil.example' });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().code).toBe('cross_origin_refused');
    expect((await pause({ origin: ORIGIN })).statusCode).toBe(200);
    const resume = await env.app.inject({
      method: 'PUT',
      url: '/admin/queues/api/queues/maintenance/resume',
      headers: { cookie, origin: ORIGIN },
    });
    expect(resume.statusCode).toBe(200);
    // Past the step-up window reading still works, changing does not.
    env.clock.advance(env.config.sessions.stepUpWindowMs + 60_000);
    expect((await get('/admin/queues/api/queues', { cookie })).statusCode).toBe(200);
    const stale = await pause({ origin: ORIGIN });
    expect(stale.statusCode).toBe(403);
    expect(stale.json().code).toBe('step_up_required');
    // Handing out a new cookie needs a fresh step-up too.
    expect((await openConsole(admin)).json().code).toBe('step_up_required');
  });

  it('answers HTTP Basic credentials with 401, even the real password of a platform administrator', async () => {
    const admin = await platformAdmin();
    const res = await get('/admin/queues', basic(admin.email, STRONG_PASSWORD));
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('refuses integration tokens (403): the console is for people', async () => {
    const admin = await platformAdmin();
    const created = await env.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: bearer(admin.token),
      payload: { name: 'ci', scopes: ['documents:read'] },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect((await get('/admin/queues', bearer(created.json().token))).statusCode).toBe(403);
  });

  it("the API's database role sees only its own caller's platform role and can never grant one", async () => {
    const admin = await platformAdmin();
    const attacker = await signup(env.app);
    const client = await env.runtimeClient();
    const asUser = async (userId: string, sql: string, params: unknown[] = []) => {
      await client.query('BEGIN');
      try {
        await client.query(`SELECT set_config('app.user_id', $1, true)`, [userId]);
        return await client.query(sql, params);
      } finally {
        await client.query('ROLLBACK');
      }
    };
    expect((await asUser(admin.userId, 'SELECT user_id FROM platform_admins')).rows).toEqual([
      { user_id: admin.userId },
    ]);
    expect((await asUser(attacker.userId, 'SELECT user_id FROM platform_admins')).rows).toEqual([]);
    await expect(
      asUser(attacker.userId, `INSERT INTO platform_admins (user_id, granted_by) VALUES ($1, 'me')`, [
        attacker.userId,
      ]),
    ).rejects.toThrow(/permission denied/);
    await expect(asUser(admin.userId, 'DELETE FROM platform_admins')).rejects.toThrow(/permission denied/);
  });
});
