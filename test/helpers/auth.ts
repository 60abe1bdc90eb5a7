/**
 * Helpers to create people and sessions through the real API, as clients do.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { totpCodeAt } from '../../src/modules/auth/totp.js';
import type { TestEnv } from './test-env.js';

export const STRONG_PASSWORD = 'violet-harbour-gravel-43-tundra';

let counter = 0;
export function uniqueEmail(label = 'user'): string {
  counter += 1;
  return `${label}.${Date.now().toString(36)}${counter}@example.test`;
}

export interface SignedUp {
  tenantId: string;
  userId: string;
  email: string;
  password: string;
  token: string;
}

export async function signup(
  app: FastifyInstance,
  overrides: Partial<{ email: string; password: string; tenantName: string; name: string }> = {},
): Promise<SignedUp> {
  const body = {
    tenantName: overrides.tenantName ?? `Firm ${Math.random().toString(36).slice(2, 8)}`,
    email: overrides.email ?? uniqueEmail('owner'),
    password: overrides.password ?? STRONG_PASSWORD,
    name: overrides.name ?? 'Olga Owner',
  };
  const res = await app.inject({ method: 'POST', url: '/v1/auth/signup', payload: body });
  expect(res.statusCode, res.body).toBe(201);
  const json = res.json();
  return {
    tenantId: json.tenant.id,
    userId: json.user.id,
    email: body.email,
    password: body.password,
    token: json.token,
  };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export async function login(
  app: FastifyInstance,
  email: string,
  password: string,
  extra: Record<string, unknown> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password, ...extra } });
}

/** Invites `email` with `role` into the inviter's firm and accepts; returns the new member's session. */
export async function addMember(
  env: TestEnv,
  owner: SignedUp,
  role: 'admin' | 'accountant' | 'viewer' | 'owner',
  email = uniqueEmail(role),
): Promise<SignedUp> {
  const invite = await env.app.inject({
    method: 'POST',
    url: '/v1/invitations',
    headers: bearer(owner.token),
    payload: { email, role },
  });
  expect(invite.statusCode, invite.body).toBe(201);
  const token = invitationTokenFor(env, email);
  const accept = await env.app.inject({
    method: 'POST',
    url: '/v1/invitations/accept',
    payload: { token, password: STRONG_PASSWORD, name: `Member ${role}` },
  });
  expect(accept.statusCode, accept.body).toBe(200);
  const json = accept.json();
  return {
    tenantId: json.tenant.id,
    userId: json.user.id,
    email,
    password: STRONG_PASSWORD,
    token: json.token,
  };
}

export function invitationTokenFor(env: TestEnv, email: string): string {
  const message = [...env.mail].reverse().find((m) => m.to === email && m.subject.includes('invited'));
  const token = message && /(inv_[A-Za-z0-9_-]+)/.exec(message.text)?.[1];
  if (!token) throw new Error(`no invitation mail for ${email}`);
  return token;
}

/** The token of the newest reset mail to `email`, once the mails requests started have gone out. */
export async function resetTokenFor(env: TestEnv, email: string): Promise<string> {
  await env.container.backgroundTasks.settled();
  const message = [...env.mail].reverse().find((m) => m.to === email && m.subject.includes('Reset'));
  const token = message && /(pwr_[A-Za-z0-9_-]+)/.exec(message.text)?.[1];
  if (!token) throw new Error(`no reset mail for ${email}`);
  return token;
}

/** Proves the signed-in person's address with the newest link mailed to it, unless already proved. */
export async function ensureEmailVerified(env: TestEnv, session: SignedUp): Promise<void> {
  const me = await env.app.inject({ url: '/v1/me', headers: bearer(session.token) });
  expect(me.statusCode, me.body).toBe(200);
  if (me.json().user.emailVerified) return;
  const verified = await verifyEmail(env, verificationTokenFor(env, session.email));
  expect(verified.statusCode, verified.body).toBe(204);
}

/**
 * Enrols TOTP for the signed-in person, as a client does: proves the address first when it is not
 * yet (enrolment needs it), then enrols with the password. Returns the secret and recovery codes.
 */
export async function enrolTotp(
  env: TestEnv,
  session: SignedUp,
): Promise<{ secret: string; recoveryCodes: string[] }> {
  await ensureEmailVerified(env, session);
  const begin = await env.app.inject({
    method: 'POST',
    url: '/v1/me/mfa/totp',
    headers: bearer(session.token),
    payload: { password: session.password },
  });
  expect(begin.statusCode, begin.body).toBe(200);
  const { secret } = begin.json();
  const confirm = await env.app.inject({
    method: 'POST',
    url: '/v1/me/mfa/totp/confirm',
    headers: bearer(session.token),
    payload: { code: totpCodeAt(secret, env.clock()) },
  });
  expect(confirm.statusCode, confirm.body).toBe(200);
  return { secret, recoveryCodes: confirm.json().recoveryCodes };
}

/** The token of the newest verification link mailed to `email` (sign-up or email change). */
export function verificationTokenFor(env: TestEnv, email: string): string {
  const message = [...env.mail].reverse().find((m) => m.to === email && m.subject.includes('Confirm'));
  const token = message && /verify-email#token=(evf_[A-Za-z0-9_-]+)/.exec(message.text)?.[1];
  if (!token) throw new Error(`no verification mail for ${email}`);
  return token;
}

export function verifyEmail(env: TestEnv, token: string): Promise<LightMyRequestResponse> {
  return env.app.inject({ method: 'POST', url: '/v1/auth/email/verify', payload: { token } });
}
