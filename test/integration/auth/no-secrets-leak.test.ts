/**
 * Secrets are born once: after the response that creates them, no password, token, TOTP seed or
 * code may appear in logs, audit payloads or any later API response.
 */
import { describe, expect, it } from 'vitest';
import { totpCodeAt } from '../../../src/modules/auth/totp.js';
import { bearer, enrolTotp, login, resetTokenFor, signup } from '../../helpers/auth.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv({ env: { LOG_LEVEL: 'trace' } });

describe('secrets never leak', () => {
  it('keeps passwords, tokens, TOTP seeds and codes out of logs, audit payloads and later responses', async () => {
    const secrets: string[] = [];
    const laterResponses: string[] = [];
    const owner = await signup(env.app, { password: 'quartz-meadow-lantern-63-river' });
    secrets.push(owner.password, owner.token);

    const { secret, recoveryCodes } = await enrolTotp(env, owner);
    secrets.push(secret, ...recoveryCodes);
    env.clock.advance(60_000);

    const challenge = await login(env.app, owner.email, owner.password);
    const { challengeToken } = challenge.json();
    const code = totpCodeAt(secret, env.clock());
    secrets.push(challengeToken, code);
    const session = (
      await env.app.inject({ method: 'POST', url: '/v1/auth/mfa/verify', payload: { challengeToken, code } })
    ).json().token;
    secrets.push(session);

    await env.app.inject({
      method: 'POST',
      url: '/v1/auth/step-up',
      headers: bearer(session),
      payload: { password: owner.password },
    });
    const created = (
      await env.app.inject({
        method: 'POST',
        url: '/v1/tokens',
        headers: bearer(session),
        payload: { name: 'erp', scopes: ['members:read'] },
      })
    ).json();
    secrets.push(created.token);
    await env.app.inject({ url: '/v1/members', headers: bearer(created.token) });
    await env.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: owner.email, password: 'wrong-but-secret-guess-1' },
    });
    secrets.push('wrong-but-secret-guess-1');

    await env.app.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email: owner.email } });
    const resetToken = await resetTokenFor(env, owner.email);
    secrets.push(resetToken, 'tundra-saffron-beacon-18-willow');
    await env.app.inject({
      method: 'POST',
      url: '/v1/auth/password-reset/confirm',
      payload: { token: resetToken, newPassword: 'tundra-saffron-beacon-18-willow' },
    });

    const fresh = (await login(env.app, owner.email, 'tundra-saffron-beacon-18-willow')).json();
    const finalSession = (
      await env.app.inject({
        method: 'POST',
        url: '/v1/auth/mfa/verify',
        payload: { challengeToken: fresh.challengeToken, recoveryCode: recoveryCodes[0] },
      })
    ).json().token;
    secrets.push(fresh.challengeToken, finalSession);
    for (const url of ['/v1/me', '/v1/me/sessions', '/v1/tokens', '/v1/members', '/v1/tenant']) {
      const res = await env.app.inject({ url, headers: bearer(finalSession) });
      expect(res.statusCode, url).toBe(200);
      laterResponses.push(res.body);
    }

    await env.container.tokens.uses.flush();
    const { rows } = await env.adminQuery(
      'SELECT payload::text AS p, user_agent, request_id FROM audit_events WHERE tenant_id = $1',
      [owner.tenantId],
    );
    const uses = await env.adminQuery(
      'SELECT row_to_json(u)::text AS u FROM api_token_uses u WHERE tenant_id = $1',
      [owner.tenantId],
    );
    expect(uses.rows).toHaveLength(1);
    const auditText = [
      ...rows.map((r) => `${r.p} ${r.user_agent} ${r.request_id}`),
      ...uses.rows.map((r) => r.u),
    ].join('\n');
    const logText = env.logs.join('\n');
    // One line per request (about a dozen requests above): the check below reads real log output.
    expect(env.logs.filter((line) => line.includes('"msg":"request"')).length).toBeGreaterThan(10);
    expect(rows.length).toBeGreaterThan(10);
    for (const value of secrets) {
      expect(logText, 'logs').not.toContain(value);
      expect(auditText, 'audit payloads').not.toContain(value);
      for (const body of laterResponses) expect(body, 'later responses').not.toContain(value);
    }
  });
});
