/**
 * Scopes that mean what they say (issue 12): acknowledging an ERP hand-off needs
 * `extractions:export`, which an ERP token holds without `extractions:write`; data the ERP already
 * took over changes only through a person, with a reason, and the change is audited, makes a new
 * version, puts it back on the hand-off list and is announced by webhook.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers.js';
import { SAMPLE } from '../../unit/extraction/fixtures/invoice-model.js';
import { ublXml } from '../../unit/extraction/fixtures/xml-fixtures.js';
import { addMember, bearer, signup, type SignedUp } from '../../helpers/auth.js';
import { uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv({ env: { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_BACKOFF_MS: '50' } });
let workers: RunningWorkers;
let owner: SignedUp;
let server: http.Server;
const received: { type: string; data: Record<string, unknown> }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  workers = await startWorkers(env.container);
  owner = await signup(env.app);
  const hook = await env.app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: bearer(owner.token),
    payload: {
      url: `http://127.0.0.1:${(server.address() as { port: number }).port}/erp`,
      events: ['extraction.changed_after_export'],
    },
  });
  expect(hook.statusCode, hook.body).toBe(201);
});
afterAll(async () => {
  await workers?.close();
  await new Promise((r) => server?.close(r));
});

async function until<T>(check: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Uploads an invoice, waits for its extraction and validates it. */
async function validatedDocument(number: string): Promise<string> {
  const up = await uploadRaw(env.app, owner.token, Buffer.from(ublXml({ ...SAMPLE, number })), {
    contentType: 'application/xml',
  });
  expect(up.statusCode, up.body).toBe(201);
  const id = up.json().id as string;
  await until(async () => {
    const doc = await env.app.inject({ url: `/v1/documents/${id}`, headers: bearer(owner.token) });
    return !['stored', 'queued', 'extracting'].includes(doc.json().status);
  }, 'extraction');
  const valid = await env.app.inject({
    method: 'POST',
    url: `/v1/documents/${id}/extraction/validate`,
    headers: bearer(owner.token),
    payload: {},
  });
  expect(valid.statusCode, valid.body).toBe(200);
  return id;
}

async function tokenWith(scopes: string[]): Promise<string> {
  const res = await env.app.inject({
    method: 'POST',
    url: '/v1/tokens',
    headers: bearer(owner.token),
    payload: { name: scopes.join(' '), scopes },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().token;
}

const ack = (id: string, credential: string) =>
  env.app.inject({ method: 'POST', url: `/v1/extractions/${id}/ack`, headers: bearer(credential) });
const correct = (id: string, credential: string, payload: Record<string, unknown>) =>
  env.app.inject({
    method: 'PATCH',
    url: `/v1/documents/${id}/extraction`,
    headers: bearer(credential),
    payload,
  });
async function pending(credential: string) {
  const res = await env.app.inject({
    url: '/v1/extractions?exported=false&limit=500',
    headers: bearer(credential),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as { documentId: string; version: number; status: string; fields: any }[];
}
async function state(id: string) {
  const { rows } = await env.adminQuery(
    `SELECT d.status, d.exported_at, (SELECT max(version) FROM extractions e WHERE e.document_id = d.id) AS version
       FROM documents d WHERE d.id = $1`,
    [id],
  );
  return rows[0] as { status: string; exported_at: Date | null; version: number };
}

describe('acknowledging an export needs extractions:export', () => {
  it('refuses the ack to a token without the export scope, even with extractions:write, and to a viewer', async () => {
    const id = await validatedDocument('SCOPE-ACK-1');
    const writer = await tokenWith(['extractions:read', 'extractions:write']);
    const refused = await ack(id, writer);
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({ code: 'forbidden' });
    expect(refused.json().detail).toContain('extractions:export');
    const viewer = await addMember(env, owner, 'viewer');
    expect((await ack(id, viewer.token)).statusCode).toBe(403);
    expect((await state(id)).status).toBe('validated');
  });

  it('lets an ERP token with read + export (no write) poll, acknowledge, and no longer see it', async () => {
    const id = await validatedDocument('SCOPE-ACK-2');
    const agent = await tokenWith(['extractions:read', 'extractions:export']);
    expect((await pending(agent)).some((i) => i.documentId === id)).toBe(true);
    const res = await ack(id, agent);
    expect(res.statusCode, res.body).toBe(200);
    expect((await pending(agent)).some((i) => i.documentId === id)).toBe(false);
    // The same token cannot rewrite what it acknowledged: it lacks extractions:write.
    expect((await correct(id, agent, { fields: { 'payment.reference': 'X' } })).statusCode).toBe(403);
  });

  it('gives extractions:export to owners, admins and accountants, not viewers', async () => {
    for (const role of ['admin', 'accountant'] as const) {
      const member = await addMember(env, owner, role);
      const id = await validatedDocument(`SCOPE-ROLE-${role}`);
      expect((await ack(id, member.token)).statusCode, role).toBe(200);
    }
  });
});

describe('an exported extraction is changed only by a person, with a reason', () => {
  it('refuses a token holding extractions:write (403 exported_extraction_people_only) and changes nothing', async () => {
    const id = await validatedDocument('EXP-TOKEN');
    expect((await ack(id, owner.token)).statusCode).toBe(200);
    const before = await state(id);
    const writer = await tokenWith(['extractions:read', 'extractions:write']);
    const res = await correct(id, writer, { fields: { 'payment.reference': 'VS 1' }, reason: 'ERP fix' });
    expect(res.statusCode, res.body).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().code).toBe('exported_extraction_people_only');
    const reprocess = await env.app.inject({
      method: 'POST',
      url: `/v1/documents/${id}/reprocess`,
      headers: bearer(writer),
    });
    expect(reprocess.statusCode, reprocess.body).toBe(409);
    expect(reprocess.json().code).toBe('extraction_exported');
    expect(await state(id)).toEqual(before);
  });

  it('refuses a person without a reason (400 naming body.reason) and changes nothing', async () => {
    const id = await validatedDocument('EXP-NOREASON');
    expect((await ack(id, owner.token)).statusCode).toBe(200);
    const before = await state(id);
    const res = await correct(id, owner.token, { fields: { 'payment.reference': 'VS 2' } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().errors.map((e: { field: string }) => e.field)).toContain('body.reason');
    expect(await state(id)).toEqual(before);
  });

  it("stores a person's change as a new version, audited with the reason, back on the ERP's list, announced by webhook", async () => {
    const id = await validatedDocument('EXP-PERSON');
    const agent = await tokenWith(['extractions:read', 'extractions:export']);
    expect((await ack(id, agent)).statusCode).toBe(200);
    const before = await state(id);
    expect(before.status).toBe('exported');

    const res = await correct(id, owner.token, {
      fields: { 'payment.reference': 'VS 4242' },
      reason: 'Supplier sent a corrected payment reference',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ version: before.version + 1, origin: 'user' });
    expect(await state(id)).toMatchObject({
      status: 'validated',
      exported_at: null,
      version: before.version + 1,
    });

    const listed = (await pending(agent)).find((i) => i.documentId === id);
    expect(listed).toMatchObject({
      version: before.version + 1,
      status: 'validated',
      fields: { 'payment.reference': 'VS 4242' },
    });

    const { rows } = await env.adminQuery(
      `SELECT actor_kind, actor_id, payload FROM audit_events
        WHERE target_id = $1 AND action = 'extraction.changed_after_export'`,
      [id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor_kind: 'user',
      actor_id: owner.userId,
      payload: {
        version: before.version + 1,
        previousVersion: before.version,
        fields: ['payment.reference'],
        reason: 'Supplier sent a corrected payment reference',
      },
    });

    const event = await until(
      () => received.find((e) => e.type === 'extraction.changed_after_export' && e.data.documentId === id),
      'the webhook',
    );
    expect(event.data).toMatchObject({
      version: before.version + 1,
      previousVersion: before.version,
      fields: ['payment.reference'],
    });

    // The agent takes the new version over like any other.
    expect((await ack(id, agent)).statusCode).toBe(200);
    expect((await pending(agent)).some((i) => i.documentId === id)).toBe(false);
  });
});
