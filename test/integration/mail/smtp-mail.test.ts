/**
 * Mail over real SMTP: the application's SMTP transport (nodemailer, SMTP_URL) talks to the
 * development mail catcher (smtp-server) that this file starts on a free port; what arrives is
 * read back as raw RFC 5322 messages and parsed with mailparser, as a mail client would.
 */
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, describe, expect, it } from 'vitest';
import { startMailCatcher } from '../../../scripts/dev-mail-catcher.js';
import { freePort } from '../../../scripts/dev-services/free-port.js';
import { bearer, signup, STRONG_PASSWORD, uniqueEmail } from '../../helpers/auth.js';
import { useTestEnv } from '../../helpers/test-env.js';

const PUBLIC_BASE_URL = 'https://app.doklad.test';
const catcher = await startMailCatcher({ dir: mkdtempSync(path.join(tmpdir(), 'doklad-mail-')) });
// A port nothing listens on: the SMTP server that is down.
const closedPort = await freePort();
afterAll(() => catcher.close());

async function rawMail(id: string) {
  const res = await fetch(`${catcher.inboxUrl}/messages/${id}.eml`);
  expect(res.status).toBe(200);
  return simpleParser(Buffer.from(await res.arrayBuffer()));
}

describe('mail over SMTP', () => {
  const env = useTestEnv({ env: { MAIL_TRANSPORT: 'smtp', SMTP_URL: catcher.smtpUrl, PUBLIC_BASE_URL } });

  it('delivers an invitation whose link carries a token that accepts it through the API', async () => {
    expect(env.config.mail.transport).toBe('smtp');
    const owner = await signup(env.app);
    const email = uniqueEmail('invitee');
    const arriving = catcher.nextMail(email);
    const invite = await env.app.inject({
      method: 'POST',
      url: '/v1/invitations',
      headers: bearer(owner.token),
      payload: { email, role: 'accountant' },
    });
    expect(invite.statusCode, invite.body).toBe(201);

    const mail = await rawMail((await arriving).id);
    expect(mail.from?.text).toContain('no-reply@doklad.invalid');
    expect(mail.subject).toMatch(/^You are invited to .+ on Doklad$/);
    const link = /https:\/\/app\.doklad\.test\/accept-invitation#token=(inv_[A-Za-z0-9_-]+)/.exec(
      mail.text ?? '',
    );
    expect(link, mail.text).not.toBeNull();
    expect(mail.text).toContain('POST /v1/invitations/accept');

    const token = new URL(link![0]).hash.replace(/^#token=/, '');
    const accept = await env.app.inject({
      method: 'POST',
      url: '/v1/invitations/accept',
      payload: { token, password: STRONG_PASSWORD, name: 'Ivo Invitee' },
    });
    expect(accept.statusCode, accept.body).toBe(200);
    expect(accept.json().tenant.id).toBe(owner.tenantId);
    const me = await env.app.inject({ url: '/v1/me', headers: bearer(accept.json().token) });
    expect(me.json().user.email).toBe(email);
    // The token travelled by mail only: no log line of the request or of the delivery holds it.
    await env.container.backgroundTasks.settled();
    expect(env.logs.filter((line) => line.includes(token))).toEqual([]);
    expect(env.logs.some((line) => line.includes('"msg":"mail sent"'))).toBe(true);
  });

  it('mails the sign-up verification link built from PUBLIC_BASE_URL, with the API call to use', async () => {
    const email = uniqueEmail('verify');
    const arriving = catcher.nextMail(email);
    await signup(env.app, { email });
    const mail = await rawMail((await arriving).id);
    expect(mail.text).toMatch(/https:\/\/app\.doklad\.test\/verify-email#token=evf_[A-Za-z0-9_-]+/);
    expect(mail.text).toContain('POST /v1/auth/email/verify');
  });
});

/** A GET to the inbox with a chosen Host header (fetch does not let a caller set it). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the dev inbox page', () => {
  const env = useTestEnv({ env: { MAIL_TRANSPORT: 'smtp', SMTP_URL: catcher.smtpUrl, PUBLIC_BASE_URL } });

  it('shows mails with everything escaped, since their text comes from what people typed', async () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const email = uniqueEmail('escape');
    const arriving = catcher.nextMail(email);
    const owner = await signup(env.app, { tenantName: `Firm ${hostile}` });
    const invite = await env.app.inject({
      method: 'POST',
      url: '/v1/invitations',
      headers: bearer(owner.token),
      payload: { email, role: 'viewer' },
    });
    expect(invite.statusCode).toBe(201);
    const mail = await arriving;
    for (const url of [catcher.inboxUrl, mail.url]) {
      const page = await fetch(url);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      const html = await page.text();
      expect(html).toContain('Firm &lt;img src=x onerror=alert(1)&gt;');
      expect(html).not.toContain(hostile);
    }
  });

  it('answers only GET requests addressed to a loopback name', async () => {
    expect(await getWithHost(catcher.inboxUrl, 'localhost')).toBe(200);
    expect(await getWithHost(catcher.inboxUrl, 'attacker.example')).toBe(403);
    expect((await fetch(catcher.inboxUrl, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${catcher.inboxUrl}/messages/..%2f..%2fetc%2fpasswd`)).status).toBe(404);
  });
});

describe('mail when the SMTP server is down', () => {
  const env = useTestEnv({
    env: {
      MAIL_TRANSPORT: 'smtp',
      SMTP_URL: `smtp://mailer:hunter2-secret@127.0.0.1:${closedPort}`,
      MAIL_SEND_ATTEMPTS: '2',
      MAIL_RETRY_DELAY_MS: '10',
    },
  });

  it('still answers 201 and keeps the invitation; the failure is logged without token or password', async () => {
    const owner = await signup(env.app);
    const email = uniqueEmail('unlucky');
    const invite = await env.app.inject({
      method: 'POST',
      url: '/v1/invitations',
      headers: bearer(owner.token),
      payload: { email, role: 'viewer' },
    });
    expect(invite.statusCode, invite.body).toBe(201);
    await env.container.backgroundTasks.settled();

    const list = await env.app.inject({ url: '/v1/invitations', headers: bearer(owner.token) });
    expect(list.json().items.map((i: { email: string }) => i.email)).toContain(email);
    const failure = env.logs.find(
      (line) => line.includes('mail not delivered') && line.includes('You are invited to'),
    );
    expect(failure).toBeDefined();
    expect(JSON.parse(failure!).mail).toMatchObject({
      attempt: 2,
      errorKind: 'ESOCKET',
      smtpCommand: 'CONN',
    });
    expect(env.logs.some((line) => line.includes('mail delivery failed; retrying'))).toBe(true);
    const everything = env.logs.join('\n');
    expect(everything).not.toMatch(/inv_[A-Za-z0-9_-]{10}/);
    expect(everything).not.toContain('hunter2-secret');
  });
});
