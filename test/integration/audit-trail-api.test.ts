/**
 * The audit API as a firm's administrator uses it: who did what (filters, pages), who touched one
 * document, is the chain intact, and an export that verifies offline with the published key.
 */
import { spawnSync } from 'node:child_process';
import { verify as verifySignature } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemContext } from '../../src/core/request-context.js';
import { hashEvent } from '../../src/modules/audit/audit-chain.js';
import { chainedEventOf, type ExportEventLine } from '../../src/modules/audit/audit-export-format.js';
import { verifyExport } from '../../src/modules/audit/audit-offline-verify.js';
import { verifierFromPublicKey } from '../../src/platform/crypto/signing-key.js';
import { startWorkers, type RunningWorkers } from '../../src/workers/start-workers.js';
import { SAMPLE } from '../unit/extraction/fixtures/invoice-model.js';
import { ublXml } from '../unit/extraction/fixtures/xml-fixtures.js';
import { addMember, bearer, signup, type SignedUp } from '../helpers/auth.js';
import { samplePdf, uploadRaw } from '../helpers/documents.js';
import { useTestEnv } from '../helpers/test-env.js';

const env = useTestEnv();
let workers: RunningWorkers;
let owner: SignedUp;
let admin: SignedUp;
let viewer: SignedUp;
let accountant: SignedUp;
let other: SignedUp;

beforeAll(async () => {
  workers = await startWorkers(env.container);
  owner = await signup(env.app);
  admin = await addMember(env, owner, 'admin');
  viewer = await addMember(env, owner, 'viewer');
  accountant = await addMember(env, owner, 'accountant');
  other = await signup(env.app);
});
afterAll(async () => workers?.close());

const get = (token: string, url: string) => env.app.inject({ url, headers: bearer(token) });

async function events(token: string, query: Record<string, string>) {
  const res = await get(token, `/v1/audit-events?${new URLSearchParams(query)}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as {
    items: { id: string; action: string; [k: string]: unknown }[];
    nextCursor: string | null;
  };
}

async function upload(token: string, bytes: Buffer, contentType = 'application/pdf'): Promise<string> {
  const res = await uploadRaw(env.app, token, bytes, { contentType });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

async function waitUntilExtracted(id: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const doc = (await get(owner.token, `/v1/documents/${id}`)).json();
    if (!['stored', 'queued', 'extracting'].includes(doc.status)) return;
    if (Date.now() > deadline) throw new Error('not extracted in time');
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function createToken(scopes: string[]): Promise<{ id: string; token: string }> {
  const res = await env.app.inject({
    method: 'POST',
    url: '/v1/tokens',
    headers: bearer(owner.token),
    payload: { name: `t-${scopes.join('-')}`, scopes },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** Runs the CLI as an operator would, with no database settings at all for offline verification. */
function cli(args: string[]) {
  const { DATABASE_URL: _d, MIGRATION_DATABASE_URL: _m, ...rest } = process.env;
  return spawnSync('tsx', ['src/cli.ts', ...args], { encoding: 'utf8', env: rest, timeout: 60_000 });
}

/** Runs SQL as superuser with the append-only triggers off: what a rogue DBA could do. */
async function tamper(sql: string): Promise<void> {
  await env.adminQuery(`BEGIN; SET LOCAL session_replication_role = replica; ${sql}; COMMIT;`);
}

describe('GET /v1/audit-events', () => {
  it('shows an admin a correction, a download and a token use, each found by its filters', async () => {
    const docId = await upload(
      owner.token,
      Buffer.from(ublXml({ ...SAMPLE, number: 'AUD-1' })),
      'application/xml',
    );
    await waitUntilExtracted(docId);
    const corrected = await env.app.inject({
      method: 'PATCH',
      url: `/v1/documents/${docId}/extraction`,
      headers: bearer(owner.token),
      payload: { fields: { 'payment.reference': 'VS 77' } },
    });
    expect(corrected.statusCode, corrected.body).toBe(200);
    const download = await env.app.inject({
      url: `/v1/documents/${docId}/content`,
      headers: { ...bearer(owner.token), 'user-agent': 'audit-test-agent' },
    });
    expect(download.statusCode).toBe(200);
    expect((await get(viewer.token, `/v1/documents/${docId}/extraction`)).statusCode).toBe(200);
    const token = await createToken(['documents:read']);
    expect((await get(token.token, '/v1/documents')).statusCode).toBe(200);
    await env.container.tokens.uses.flush();

    const correction = await events(admin.token, { action: 'extraction.field_corrected', targetId: docId });
    expect(correction.items).toHaveLength(1);
    expect(correction.items[0]).toMatchObject({
      actor: { kind: 'user', id: owner.userId },
      target: { type: 'document', id: docId },
      payload: { field: 'payment.reference', after: 'VS 77' },
    });

    const downloads = await events(admin.token, {
      action: 'document.content_read',
      targetType: 'document',
      targetId: docId,
      actorType: 'user',
      actorId: owner.userId,
    });
    expect(downloads.items).toHaveLength(1);
    expect(downloads.items[0]).toMatchObject({
      ip: expect.any(String),
      userAgent: 'audit-test-agent',
      requestId: download.headers['x-request-id'],
    });
    // The request id finds exactly what that request recorded.
    const byRequest = await events(admin.token, { requestId: String(download.headers['x-request-id']) });
    expect(byRequest.items.map((e) => e.action)).toEqual(['document.content_read']);

    // Reading the extracted data is an access too.
    const dataReads = await events(admin.token, { action: 'extraction.read', targetId: docId });
    expect(dataReads.items).toEqual([
      expect.objectContaining({ actor: { kind: 'user', id: viewer.userId }, payload: { version: 2 } }),
    ]);

    const uses = await events(admin.token, { action: 'token.used', targetType: 'token', targetId: token.id });
    expect(uses.items.map((e) => e.action)).toEqual(['token.used']);
    expect(uses.items[0]!.payload).toMatchObject({ uses: 1 });

    // A prefix matches literally: `_` is no wildcard (field_corrected must not match fieldXcorrected).
    expect((await events(admin.token, { action: 'extraction.field_' })).items.length).toBeGreaterThan(0);
    expect((await events(admin.token, { action: 'extraction.fieldxcorrected' })).items).toEqual([]);

    // Chained events carry their chain fields.
    await env.container.auditChainer.chainPending(owner.tenantId);
    const chained = (await events(admin.token, { action: 'extraction.field_corrected', targetId: docId }))
      .items[0]!;
    expect(chained).toMatchObject({
      seq: expect.stringMatching(/^\d+$/),
      chain: {
        prevHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    });
  });

  it('pages with a cursor newest first or oldest first, every event exactly once', async () => {
    const newest: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await events(owner.token, {
        limit: '3',
        actorId: owner.userId,
        to: '2100-01-01T00:00:00Z',
        ...(cursor ? { cursor } : {}),
      });
      newest.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    const oldest = (await events(owner.token, { limit: '200', actorId: owner.userId, order: 'asc' })).items;
    // The reads above were audited too (actor = owner): compare the events both walks saw.
    const seen = new Set(newest);
    const oldestSeen = oldest.map((e) => e.id).filter((id) => seen.has(id));
    expect(new Set(newest).size).toBe(newest.length);
    expect(oldestSeen).toEqual([...newest].reverse());
  });

  it('records every read of the trail as one audit_log.read event naming the view', async () => {
    await events(admin.token, { action: 'document.' });
    const reads = await events(owner.token, { action: 'audit_log.read', actorId: admin.userId, limit: '1' });
    expect(reads.items[0]).toMatchObject({
      actor: { kind: 'user', id: admin.userId },
      payload: { view: 'events', filter: { actionPrefix: 'document.' } },
    });
  });

  it('never shows another firm its events: the service filters by tenant and RLS hides the rows', async () => {
    const docId = await upload(owner.token, samplePdf());
    const seenByOther = await events(other.token, { targetId: docId });
    expect(seenByOther.items).toEqual([]);
    const all = await events(other.token, { limit: '200' });
    expect(all.items.every((e) => (e.actor as { id: string }).id !== owner.userId)).toBe(true);
    expect((await get(other.token, `/v1/documents/${docId}/access-log`)).statusCode).toBe(404);
    // RLS alone: the runtime role in firm B's context reads none of firm A's rows, even asked by id.
    const client = await env.runtimeClient();
    await client.query(`SELECT set_config('app.tenant_id', $1, false)`, [other.tenantId]);
    const rows = await client.query('SELECT count(*)::int AS n FROM audit_events WHERE tenant_id = $1', [
      owner.tenantId,
    ]);
    expect(rows.rows[0].n).toBe(0);
    const cps = await client.query('SELECT count(*)::int AS n FROM audit_checkpoints WHERE tenant_id = $1', [
      owner.tenantId,
    ]);
    expect(cps.rows[0].n).toBe(0);
  });
});

const ROUTES = [
  '/v1/audit-events',
  '/v1/audit-events/export',
  '/v1/audit/verification',
  '/v1/audit/checkpoints',
  '/v1/audit/public-keys',
];

describe('who may read the trail', () => {
  it('refuses viewers and accountants (403) and admits owners, admins and tokens holding audit:read', async () => {
    const docId = await upload(owner.token, samplePdf());
    const routes = [...ROUTES, `/v1/documents/${docId}/access-log`];
    const siem = await createToken(['audit:read']);
    const reader = await createToken(['documents:read']);
    for (const url of routes) {
      for (const refused of [viewer.token, accountant.token, reader.token]) {
        const res = await get(refused, url);
        expect(res.statusCode, url).toBe(403);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
      for (const allowed of [owner.token, admin.token, siem.token])
        expect((await get(allowed, url)).statusCode, url).toBe(200);
      expect((await env.app.inject({ url })).statusCode, url).toBe(401);
    }
  });

  it('keeps a token limited to some companies to the access log of its own documents', async () => {
    const company = await env.app.inject({
      method: 'POST',
      url: '/v1/companies',
      headers: bearer(owner.token),
      payload: { name: 'Scoped s.r.o.', country: 'cz' },
    });
    expect(company.statusCode, company.body).toBe(201);
    const companyId = company.json().id;
    const mine = (
      await uploadRaw(env.app, owner.token, samplePdf(), {
        contentType: 'application/pdf',
        query: { companyId },
      })
    ).json().id;
    const notMine = await upload(owner.token, samplePdf());
    const created = await env.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: bearer(owner.token),
      payload: { name: 'scoped siem', scopes: ['audit:read', 'documents:read'], companyIds: [companyId] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const scoped = created.json().token;
    expect((await get(scoped, `/v1/documents/${mine}/access-log`)).statusCode).toBe(200);
    expect((await get(scoped, `/v1/documents/${notMine}/access-log`)).statusCode).toBe(404);
    expect((await get(scoped, '/v1/audit-events')).statusCode).toBe(403);
    expect((await get(scoped, '/v1/audit-events/export')).statusCode).toBe(403);
  });

  it('answers 400 problem+json, never 5xx, for malformed filters, cursors and ids', async () => {
    const bad = [
      '/v1/audit-events?limit=0',
      '/v1/audit-events?limit=201',
      '/v1/audit-events?order=sideways',
      '/v1/audit-events?action=Document%25',
      '/v1/audit-events?actorType=robot',
      '/v1/audit-events?from=yesterday',
      '/v1/audit-events?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z',
      '/v1/audit-events?cursor=not-a-cursor',
      `/v1/audit-events?cursor=${Buffer.from('["99999-01-01","x"]').toString('base64url')}`,
      `/v1/audit-events?targetId=${'x'.repeat(201)}`,
      '/v1/audit-events/export?to=tomorrow',
      '/v1/audit-events?from=0000-01-01T00:00:00Z',
      '/v1/audit-events/export?from=0000-06-01T00:00:00Z',
      '/v1/audit-events?requestId=%00',
      '/v1/documents/not-a-uuid/access-log',
      '/v1/audit/checkpoints?limit=-1',
      '/v1/audit/checkpoints?cursor=%00',
    ];
    for (const url of bad) {
      const res = await get(admin.token, url);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect(
      (await get(admin.token, '/v1/documents/00000000-0000-4000-8000-000000000000/access-log')).statusCode,
    ).toBe(404);
  });
});

describe('GET /v1/documents/:id/access-log', () => {
  it("lists exactly one document's downloads, changes and processing, with actor, IP and time", async () => {
    const a = await upload(owner.token, samplePdf());
    const b = await upload(owner.token, samplePdf());
    await waitUntilExtracted(a);
    await waitUntilExtracted(b);
    for (const id of [a, a, b])
      expect((await get(admin.token, `/v1/documents/${id}/content`)).statusCode).toBe(200);
    const patched = await env.app.inject({
      method: 'PATCH',
      url: `/v1/documents/${a}`,
      headers: bearer(owner.token),
      payload: { externalRef: 'ERP-42' },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const res = await get(admin.token, `/v1/documents/${a}/access-log?limit=200`);
    expect(res.statusCode, res.body).toBe(200);
    const log = res.json().items as {
      id: string;
      action: string;
      actor: { id: string };
      ip: string;
      occurredAt: string;
    }[];
    const { rows } = await env.adminQuery(
      `SELECT id FROM audit_events WHERE tenant_id = $1 AND target_type = 'document' AND target_id = $2
        ORDER BY occurred_at, id`,
      [owner.tenantId, a],
    );
    expect(log.map((e) => e.id)).toEqual(rows.map((r) => r.id));
    const actions = log.map((e) => e.action);
    expect(actions[0]).toBe('document.uploaded');
    // The admin's two downloads (the extraction worker's own read of the content is listed too).
    const downloads = log.filter((e) => e.action === 'document.content_read' && e.actor.id === admin.userId);
    expect(downloads).toHaveLength(2);
    expect(downloads.every((e) => e.ip && Date.parse(e.occurredAt))).toBe(true);
    expect(actions).toContain('document.updated');
    // Reading the log is audited, but is no access to the document: it is not in the log itself.
    const again = (await get(admin.token, `/v1/documents/${a}/access-log?limit=200`)).json().items;
    expect(again.map((e: { id: string }) => e.id)).toEqual(rows.map((r) => r.id));
  });
});

describe('GET /v1/audit/verification', () => {
  it('reports an intact chain, then a row tampered as superuser exactly as the CLI does', async () => {
    const firm = await signup(env.app);
    await upload(firm.token, samplePdf());
    await env.container.auditChainer.chainPending(firm.tenantId);
    await env.container.audit.createCheckpoint(systemContext(firm.tenantId));
    const intact = (await get(firm.token, '/v1/audit/verification')).json();
    expect(intact).toMatchObject({ ok: true, firstProblem: null, problems: [], offBoxCopy: null });
    expect(intact.eventsChecked).toBeGreaterThan(2);
    // The worker of this file may chain the extraction's events meanwhile: the head can move on.
    expect(Number(intact.latestCheckpoint.seq)).toBeLessThanOrEqual(Number(intact.head.seq));
    expect(intact.checkpointsChecked).toBeGreaterThan(0);

    const { rows } = await env.adminQuery('SELECT id FROM audit_events WHERE tenant_id = $1 AND seq = 2', [
      firm.tenantId,
    ]);
    await tamper(`UPDATE audit_events SET actor_id = 'someone-else' WHERE id = '${rows[0].id}'`);
    const broken = (await get(firm.token, '/v1/audit/verification')).json();
    expect(broken.ok).toBe(false);
    expect(broken.firstProblem).toEqual({
      seq: '2',
      eventId: rows[0].id,
      reason: 'hash_mismatch',
      message: 'event #2 was modified after it was recorded',
    });
    // The operator's CLI names the same event for the same reason.
    const operator = spawnSync('tsx', ['src/cli.ts', 'audit', 'verify', '--tenant', firm.tenantId], {
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        DATABASE_URL: env.config.database.url,
        MIGRATION_DATABASE_URL: env.config.database.migrationUrl,
        REDIS_URL: env.config.redis.url,
        AUDIT_SIGNING_KEY: env.config.audit.signingKey.pem,
        LOCAL_KMS_MASTER_KEY: env.config.kms.localMasterKey,
        LOCAL_KMS_MASTER_KEY_CREATE: 'false',
        LOCAL_KMS_KEY_DIR: env.config.kms.localKeyDir,
      },
    });
    expect(operator.status, operator.stderr).toBe(1);
    expect(operator.stderr).toContain(
      `event #2 (id ${rows[0].id}): hash_mismatch: ${broken.firstProblem.message}`,
    );
  }, 60_000);
});

describe('checkpoints, public keys and the offline export', () => {
  it('publishes checkpoints whose signatures verify with the published public key', async () => {
    await env.container.auditChainer.chainPending(owner.tenantId);
    await env.container.audit.createCheckpoint(systemContext(owner.tenantId));
    const keys = (await get(admin.token, '/v1/audit/public-keys')).json().items;
    expect(keys).toEqual([
      {
        keyId: env.container.signer.keyId,
        algorithm: 'Ed25519',
        publicKeyPem: expect.stringContaining('PUBLIC KEY'),
      },
    ]);
    const cps = (await get(admin.token, '/v1/audit/checkpoints')).json().items;
    expect(cps.length).toBeGreaterThan(0);
    for (const cp of cps) {
      expect(cp.keyId).toBe(keys[0].keyId);
      expect(JSON.parse(cp.signedMessage)).toMatchObject({ seq: cp.seq, headHash: cp.headHash });
      expect(
        verifySignature(
          null,
          Buffer.from(cp.signedMessage),
          keys[0].publicKeyPem,
          Buffer.from(cp.signature, 'base64'),
        ),
      ).toBe(true);
    }
  });

  it('exports a file that verifies offline with the public key; altering one line fails naming the event', async () => {
    const firm = await signup(env.app);
    for (let i = 0; i < 3; i++) await upload(firm.token, samplePdf());
    await env.container.auditChainer.chainPending(firm.tenantId);
    const res = await get(firm.token, '/v1/audit-events/export');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    const lines = res.body.trimEnd().split('\n');
    const records = lines.map((l) => JSON.parse(l));
    expect(records[0]).toMatchObject({ record: 'header', tenantId: firm.tenantId, firstSeq: '1' });
    expect(records.at(-1)).toMatchObject({ record: 'end' });
    // No checkpoint covered the head, so the export signed one: every event is covered.
    expect(records.at(-2)).toMatchObject({ record: 'checkpoint', seq: records.at(-1).lastSeq });

    const dir = mkdtempSync(path.join(tmpdir(), 'doklad-audit-export-'));
    const file = path.join(dir, 'export.jsonl');
    const keyFile = path.join(dir, 'key.pem');
    writeFileSync(file, res.body);
    writeFileSync(keyFile, (await get(firm.token, '/v1/audit/public-keys')).json().items[0].publicKeyPem);
    const ok = cli(['audit', 'verify', '--file', file, '--public-key', keyFile]);
    expect(ok.stderr).toContain('is intact');
    expect(ok.status, ok.stderr).toBe(0);

    // Alter one event line: its recomputed hash no longer matches, and the CLI names it.
    const index = records.findIndex((r) => r.record === 'event' && r.seq === '3');
    const altered = { ...records[index], actorId: 'nobody' };
    writeFileSync(file, lines.map((l, i) => (i === index ? JSON.stringify(altered) : l)).join('\n') + '\n');
    const bad = cli(['audit', 'verify', '--file', file, '--public-key', keyFile, '--json']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`event #3 (id ${altered.id})`);
    expect(bad.stderr).toContain('hash_mismatch');
    expect(JSON.parse(bad.stdout).problem).toMatchObject({
      reason: 'hash_mismatch',
      seq: '3',
      eventId: altered.id,
    });

    // A forger who also recomputes every later hash still fails: the signed checkpoint disagrees.
    let prev = altered.prevHash as string;
    const forged = records.map((r, i) => {
      if (r.record !== 'event' || Number(r.seq) < 3) return r;
      const line = (i === index ? altered : r) as ExportEventLine;
      const hash = hashEvent(prev, chainedEventOf({ ...line, prevHash: prev }));
      const out = { ...line, prevHash: prev, hash };
      prev = hash;
      return out;
    });
    writeFileSync(file, forged.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const forgedRun = cli(['audit', 'verify', '--file', file, '--public-key', keyFile]);
    expect(forgedRun.status).toBe(1);
    expect(forgedRun.stderr).toContain('checkpoint_head_mismatch');

    // A different key proves nothing.
    writeFileSync(file, res.body);
    const { publicKey } = await import('node:crypto').then((c) => c.generateKeyPairSync('ed25519'));
    writeFileSync(keyFile, publicKey.export({ format: 'pem', type: 'spki' }).toString());
    const wrongKey = cli(['audit', 'verify', '--file', file, '--public-key', keyFile]);
    expect(wrongKey.status).toBe(1);
    expect(wrongKey.stderr).toContain('checkpoint_unknown_key');
    // Four CLI processes: each starts tsx, which takes seconds on a loaded machine.
  }, 120_000);

  it('streams an export across query batches with checkpoints in the middle, and it verifies', async () => {
    const firm = await signup(env.app);
    const ctx = systemContext(firm.tenantId, { kind: 'system', id: 'test' });
    const record = (count: number) =>
      env.container.db.withTenant(ctx, async (tx) => {
        for (let i = 0; i < count; i++)
          await env.container.audit.record(tx, ctx, { action: 'document.viewed', payload: { i } });
      });
    await record(1_200);
    await env.container.auditChainer.chainPending(firm.tenantId);
    await env.container.audit.createCheckpoint(ctx);
    await record(1_000);
    await env.container.auditChainer.chainPending(firm.tenantId);
    await env.container.audit.createCheckpoint(ctx);
    const res = await get(firm.token, '/v1/audit-events/export');
    expect(res.statusCode).toBe(200);
    const lines = res.body.trimEnd().split('\n');
    const report = await verifyExport(
      (async function* () {
        yield* lines;
      })(),
      [verifierFromPublicKey(env.container.signer.publicKeyPem)],
    );
    // This file's worker may sign checkpoints of its own meanwhile: at least the two made here.
    expect(report).toMatchObject({ ok: true, fromGenesis: true });
    expect(report.checkpointsChecked).toBeGreaterThanOrEqual(2);
    expect(report.eventsChecked).toBeGreaterThan(2_200);
    const seqs = lines
      .map((l) => JSON.parse(l))
      .filter((r) => r.record === 'event')
      .map((r) => Number(r.seq));
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  }, 120_000);

  it('exports a time range anchored on its first event, still ending on a signature, and is itself audited', async () => {
    const firm = await signup(env.app);
    await upload(firm.token, samplePdf());
    await env.container.auditChainer.chainPending(firm.tenantId);
    const from = new Date(Date.now() + 1).toISOString();
    await new Promise((r) => setTimeout(r, 5));
    await upload(firm.token, samplePdf());
    await env.container.auditChainer.chainPending(firm.tenantId);
    const res = await get(firm.token, `/v1/audit-events/export?from=${from}`);
    expect(res.statusCode).toBe(200);
    const records = res.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    const firstEvent = records.find((r) => r.record === 'event');
    expect(Number(firstEvent.seq)).toBeGreaterThan(1);
    expect(Date.parse(firstEvent.occurredAt)).toBeGreaterThanOrEqual(Date.parse(from));
    const dir = mkdtempSync(path.join(tmpdir(), 'doklad-audit-range-'));
    writeFileSync(path.join(dir, 'e.jsonl'), res.body);
    writeFileSync(path.join(dir, 'k.pem'), env.container.signer.publicKeyPem);
    const run = cli([
      'audit',
      'verify',
      '--file',
      path.join(dir, 'e.jsonl'),
      '--public-key',
      path.join(dir, 'k.pem'),
    ]);
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'e.jsonl'), 'utf8')).not.toContain(owner.userId);
    const exported = await events(firm.token, { action: 'audit_log.exported' });
    expect(exported.items[0]).toMatchObject({ actor: { id: firm.userId }, payload: { from } });
  }, 60_000);
});
