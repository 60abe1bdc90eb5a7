import { describe, expect, it } from 'vitest';
import { bearer, login, signup, STRONG_PASSWORD, uniqueEmail } from '../../helpers/auth.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();

async function signupWith(
  password: string,
  email = uniqueEmail(),
  name = 'Petra Nováková',
  tenantName = 'Účetnictví Praha',
) {
  return env.app.inject({
    method: 'POST',
    url: '/v1/auth/signup',
    payload: { tenantName, email, password, name },
  });
}

describe('sign-up', () => {
  it('creates the firm and its owner and answers 201 with the documented shape', async () => {
    const email = uniqueEmail();
    const res = await signupWith(STRONG_PASSWORD, email);
    expect(res.statusCode).toBe(201);
    expect(res.headers.location).toBe('/v1/me');
    const body = res.json();
    expect(body).toEqual({
      tenant: { id: expect.any(String), name: 'Účetnictví Praha' },
      user: { id: expect.any(String), email },
      token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expiresAt: expect.any(String),
    });
    const me = await env.app.inject({ url: '/v1/me', headers: bearer(body.token) });
    expect(me.json()).toMatchObject({ tenant: { id: body.tenant.id, role: 'owner' }, mfaEnabled: false });
    const { rows } = await env.adminQuery('SELECT password_hash FROM users WHERE id = $1', [body.user.id]);
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });

  it.each([
    ['too short', 'Sh0rt!pass', /at least 12 characters/],
    ['too long', 'x'.repeat(129), /at most 128 characters/],
    ['common', 'password1234', /too easy to guess/],
    ['keyboard pattern', 'qwertyuiop123', /too easy to guess/],
    ['containing the email', 'zuzana.kralova-is-the-best-99', /must not contain your email/],
    [
      'containing the name',
      'my name is Nováková and I like tea',
      /must not contain your email address, your name/,
    ],
  ])(
    'refuses a %s password with a helpful problem+json naming the field',
    async (_label, password, reason) => {
      const res = await signupWith(password, `zuzana.kralova${Date.now()}@example.test`.replace(/\d+@/, '@'));
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const body = res.json();
      expect(body.code).toBe('validation_failed');
      expect(body.errors[0].field).toBe('body.password');
      expect(body.detail).toMatch(reason);
      expect(res.body).not.toContain(password);
    },
  );

  it('accepts long passphrases with spaces and any characters, normalised to NFC', async () => {
    const decomposed = 'žluťoučký kůň úpěl ďábelské ódy 7'.normalize('NFD');
    const email = uniqueEmail();
    expect((await signupWith(decomposed, email)).statusCode).toBe(201);
    const res = await login(env.app, email, decomposed.normalize('NFC'));
    expect(res.statusCode).toBe(200);
  });

  it('refuses a second account with the same email', async () => {
    const email = uniqueEmail();
    await signupWith(STRONG_PASSWORD, email);
    const again = await signupWith(STRONG_PASSWORD, email.toUpperCase());
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('email_taken');
  });
});

describe('sign-in', () => {
  it('returns a session token for the right password and records the event', async () => {
    const owner = await signup(env.app);
    const res = await login(env.app, owner.email.toUpperCase(), owner.password);
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json()).sort()).toEqual(['expiresAt', 'token']);
    const { rows } = await env.adminQuery(
      `SELECT action FROM audit_events WHERE tenant_id = $1 ORDER BY ingest_id`,
      [owner.tenantId],
    );
    expect(rows.map((r) => r.action)).toContain('user.logged_in');
  });

  it('answers an unknown email exactly like a wrong password (status and body)', async () => {
    const owner = await signup(env.app);
    const headers = { 'x-request-id': 'same-request-id-1' };
    const wrong = await env.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      headers,
      payload: { email: owner.email, password: 'not-the-password-at-all' },
    });
    const unknown = await env.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      headers,
      payload: { email: uniqueEmail('ghost'), password: 'not-the-password-at-all' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(wrong.statusCode);
    expect(unknown.body).toBe(wrong.body);
    expect(wrong.json()).toMatchObject({
      code: 'unauthorized',
      detail: 'The email or password is not correct.',
    });
  });

  it('takes about as long for an unknown email as for a wrong password (dummy hash)', async () => {
    const owner = await signup(env.app);
    const time = async (email: string) => {
      const start = performance.now();
      await login(env.app, email, 'not-the-password-at-all', { tenantId: undefined });
      return performance.now() - start;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 3; i++) {
      known.push(await time(owner.email));
      unknown.push(await time(uniqueEmail('ghost')));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[1]!;
    // Both run one argon2id verification; without the dummy hash the unknown path would be ~10x faster.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.3);
  });

  it('ends the session on logout: the token then gets 401', async () => {
    const owner = await signup(env.app);
    const out = await env.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: bearer(owner.token),
    });
    expect(out.statusCode).toBe(204);
    const after = await env.app.inject({ url: '/v1/me', headers: bearer(owner.token) });
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('unauthorized');
  });

  it('answers 401 for a malformed or unknown bearer token', async () => {
    expect(
      (await env.app.inject({ url: '/v1/me', headers: { authorization: 'Basic abc' } })).statusCode,
    ).toBe(401);
    expect((await env.app.inject({ url: '/v1/me', headers: bearer('x'.repeat(43)) })).statusCode).toBe(401);
    expect((await env.app.inject({ url: '/v1/me' })).statusCode).toBe(401);
  });
});

describe('sign-up switched off', () => {
  const closed = useTestEnv({ env: { SIGNUP_ENABLED: 'false' } });
  it('refuses sign-up with 403 on invite-only deployments', async () => {
    const res = await closed.app.inject({
      method: 'POST',
      url: '/v1/auth/signup',
      payload: { tenantName: 'X', email: uniqueEmail(), password: STRONG_PASSWORD, name: 'X Y' },
    });
    expect(res.statusCode).toBe(403);
  });
});
