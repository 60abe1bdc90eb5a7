/**
 * Issue 14, Must show 4: closing a firm end to end with a controllable clock. During the grace
 * period every session and token is refused except the export and cancel routes; after it the
 * purge job leaves no blob of the tenant, destroys its KEK (an old wrapped DEK no longer unwraps),
 * keeps nothing but the audit chain (which still verifies), and issues a signed receipt the owner
 * fetches with their receipt token and verifies offline.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runVerifyReceiptCommand } from '../../../src/cli/tenant-command.js';
import { systemContext } from '../../../src/core/request-context.js';
import { KeyDestroyedError } from '../../../src/platform/kms/key-provider.js';
import { packageRoot } from '../../../src/platform/package-root.js';
import { addMember, bearer, invitationTokenFor, login, signup, type SignedUp } from '../../helpers/auth.js';
import { listBlobNames, samplePdf, uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';
import { SAMPLE } from '../../unit/extraction/fixtures/invoice-model.js';
import { ublXml } from '../../unit/extraction/fixtures/xml-fixtures.js';

const env = useTestEnv();
const DAY_MS = 24 * 60 * 60 * 1000;
const execFileAsync = promisify(execFile);
/** Tables that keep the tenant's rows after the purge, on purpose. */
const KEPT_TABLES = ['audit_events', 'audit_checkpoints', 'erasure_receipts'];

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { stream, text: () => chunks.join('') };
}

async function firmWithData(): Promise<{ owner: SignedUp; member: SignedUp; token: string }> {
  const owner = await signup(env.app);
  const member = await addMember(env, owner, 'accountant');
  const token = await env.app.inject({
    method: 'POST',
    url: '/v1/tokens',
    headers: bearer(owner.token),
    payload: { name: 'erp', scopes: ['documents:read'] },
  });
  expect(token.statusCode, token.body).toBe(201);
  const company = await env.app.inject({
    method: 'POST',
    url: '/v1/companies',
    headers: bearer(owner.token),
    payload: { name: 'Klient s.r.o.', country: 'CZ' },
  });
  expect(company.statusCode, company.body).toBe(201);
  const pdf = await uploadRaw(env.app, owner.token, samplePdf(), { contentType: 'application/pdf' });
  expect(pdf.statusCode, pdf.body).toBe(201);
  const ubl = await uploadRaw(env.app, member.token, Buffer.from(ublXml({ ...SAMPLE, number: 'OFF-1' })), {
    contentType: 'application/xml',
  });
  expect(ubl.statusCode, ubl.body).toBe(201);
  // Extract it here, as the worker would: the purge must take extraction versions too.
  const { rows } = await env.adminQuery('SELECT processing_run_id FROM documents WHERE id = $1', [
    ubl.json().id,
  ]);
  await env.container.pipeline.process(
    { tenantId: owner.tenantId, documentId: ubl.json().id, runId: rows[0].processing_run_id },
    { attemptsMade: 0, opts: { attempts: 1 } },
  );
  return { owner, member, token: token.json().token };
}

/** Sessions last hours, grace periods weeks: after moving the clock, people sign in again. */
async function signInAgain(person: SignedUp): Promise<SignedUp> {
  const res = await login(env.app, person.email, person.password);
  expect(res.statusCode, res.body).toBe(200);
  return { ...person, token: res.json().token };
}

function requestOffboarding(owner: SignedUp, confirmName: string) {
  return env.app.inject({
    method: 'POST',
    url: '/v1/tenant/offboarding',
    headers: bearer(owner.token),
    payload: { confirmName },
  });
}

async function tenantName(tenantId: string): Promise<string> {
  const { rows } = await env.adminQuery('SELECT name FROM tenants WHERE id = $1', [tenantId]);
  return rows[0].name;
}

/** Rows of the tenant in every table that has a tenant_id column (whatever migrations add later). */
async function rowsPerTable(tenantId: string): Promise<Record<string, number>> {
  const { rows: tables } = await env.adminQuery<{ table_name: string }>(
    `SELECT table_name FROM information_schema.columns
      WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY table_name`,
  );
  const counts: Record<string, number> = {};
  for (const { table_name } of tables) {
    const { rows } = await env.adminQuery(
      `SELECT count(*)::int AS n FROM "${table_name}" WHERE tenant_id = $1`,
      [tenantId],
    );
    counts[table_name] = rows[0].n;
  }
  return counts;
}

describe('offboarding a firm, end to end', () => {
  it('refuses everything but export and cancel during the grace period, then purges blobs, the KEK and every row but the audit chain, and issues a receipt that verifies offline', async () => {
    const { owner, member, token } = await firmWithData();
    const store = env.container.blobStores.forRegion('eu-west');
    const container = store.containerFor(owner.tenantId);
    const blobsBefore = await listBlobNames(env.config.blobs.connectionString, container);
    expect(blobsBefore).toHaveLength(2);
    const { rows: keys } = await env.adminQuery(
      'SELECT key_ref, wrapped_dek FROM document_keys WHERE tenant_id = $1 LIMIT 1',
      [owner.tenantId],
    );
    const oldWrappedDek = { keyRef: keys[0].key_ref as string, wrapped: keys[0].wrapped_dek as Buffer };
    // The wrapped DEK unwraps now: what fails later fails because the KEK is gone.
    await expect(
      env.container.keyProvider.unwrapKey(oldWrappedDek.keyRef, oldWrappedDek.wrapped),
    ).resolves.toHaveLength(32);

    // A typed confirmation: the wrong name changes nothing.
    const wrong = await requestOffboarding(owner, 'Not our firm');
    expect([wrong.statusCode, wrong.json().code]).toEqual([400, 'validation_failed']);
    const asked = await requestOffboarding(owner, await tenantName(owner.tenantId));
    expect(asked.statusCode, asked.body).toBe(202);
    const { receiptToken, purgeAfter, status } = asked.json();
    expect(status).toBe('offboarding');
    expect(receiptToken).toMatch(/^erc_[A-Za-z0-9_-]{43}$/);
    expect(new Date(purgeAfter).getTime() - env.clock().getTime()).toBeGreaterThan(30 * DAY_MS - 60_000);

    // Grace period: every other request of every session and token is refused, saying why.
    for (const [who, bearerToken, url] of [
      ['owner', owner.token, '/v1/documents'],
      ['owner', owner.token, '/v1/me'],
      ['member', member.token, '/v1/documents'],
    ] as const) {
      const res = await env.app.inject({ url, headers: bearer(bearerToken) });
      expect([who, url, res.statusCode, res.json().code]).toEqual([who, url, 403, 'tenant_offboarding']);
    }
    const viaToken = await env.app.inject({ url: '/v1/documents', headers: bearer(token) });
    expect([viaToken.statusCode, viaToken.json().code]).toEqual([403, 'tenant_offboarding']);
    expect(viaToken.json().detail).toMatch(/integration tokens no longer work/);
    const state = await env.app.inject({ url: '/v1/tenant/offboarding', headers: bearer(owner.token) });
    expect(state.json()).toMatchObject({ status: 'offboarding', purgeAfter });
    // Nothing is purged before the grace period ends.
    expect(await env.container.offboarding.purgeDue()).toEqual({ tenants: 0, purged: 0 });
    expect(await listBlobNames(env.config.blobs.connectionString, container)).toHaveLength(2);

    env.clock.advance(30 * DAY_MS + 60_000);
    // Once the grace period is over the erasure may have begun: no more cancelling.
    const late = await env.app.inject({
      method: 'DELETE',
      url: '/v1/tenant/offboarding',
      headers: bearer((await signInAgain(owner)).token),
    });
    expect([late.statusCode, late.json().code]).toEqual([409, 'offboarding_grace_period_over']);

    const report = await env.container.offboarding.purgeDue();
    expect(report).toEqual({ tenants: 1, purged: 1 });

    // No blob of the tenant exists; the KEK is destroyed, so the old wrapped DEK is useless.
    expect(await listBlobNames(env.config.blobs.connectionString, container)).toEqual([]);
    await expect(
      env.container.keyProvider.unwrapKey(oldWrappedDek.keyRef, oldWrappedDek.wrapped),
    ).rejects.toBeInstanceOf(KeyDestroyedError);
    // Every row of the tenant is gone but the audit chain, its checkpoints and the receipt.
    const counts = await rowsPerTable(owner.tenantId);
    for (const [table, n] of Object.entries(counts)) {
      if (KEPT_TABLES.includes(table)) expect(n, table).toBeGreaterThan(0);
      else expect(n, table).toBe(0);
    }
    const { rows: tenantRows } = await env.adminQuery(
      'SELECT name, status, purge_after FROM tenants WHERE id = $1',
      [owner.tenantId],
    );
    expect(tenantRows[0]).toEqual({ name: 'Erased firm', status: 'offboarded', purge_after: null });
    for (const bearerToken of [owner.token, member.token, token]) {
      expect((await env.app.inject({ url: '/v1/tenant', headers: bearer(bearerToken) })).statusCode).toBe(
        401,
      );
    }

    // Its people belonged to no other firm: their accounts are erased too.
    const { rows: people } = await env.adminQuery(
      'SELECT name, email FROM users WHERE id = ANY($1::uuid[])',
      [[owner.userId, member.userId]],
    );
    expect(people).toEqual([
      { name: 'Erased person', email: expect.stringMatching(/^erased-.*@erased\.invalid$/) },
      { name: 'Erased person', email: expect.stringMatching(/^erased-.*@erased\.invalid$/) },
    ]);

    // The chain of the tenant still verifies, up to the event that records the purge.
    const chain = await env.container.audit.verifyChain(systemContext(owner.tenantId));
    expect(chain.ok, JSON.stringify(chain.problems)).toBe(true);
    expect(chain.unchained.count).toBe(0);
    const { rows: last } = await env.adminQuery(
      'SELECT action, payload FROM audit_events WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1',
      [owner.tenantId],
    );
    expect(last[0].action).toBe('tenant.offboarded');
    expect(last[0].payload).toMatchObject({ blobsDeleted: 2, keyDestroyed: true });

    // The owner fetches the receipt with the token shown once, and verifies it offline.
    const fetched = await env.app.inject({
      method: 'POST',
      url: '/v1/erasure-receipts/lookup',
      payload: { token: receiptToken },
    });
    expect(fetched.statusCode, fetched.body).toBe(200);
    const signed = fetched.json();
    expect(signed.receipt).toMatchObject({
      type: 'doklad.erasure_receipt',
      tenantId: owner.tenantId,
      region: 'eu-west',
      destroyed: {
        blobs: { container, deleted: 2, remaining: 0 },
        keyEncryptionKey: { keyRef: oldWrappedDek.keyRef },
        rows: {
          documents: 2,
          document_keys: 2,
          extractions: 1,
          companies: 1,
          memberships: 2,
          api_tokens: 1,
          persons_erased: 2,
        },
      },
      auditChain: { headSeq: chain.head!.seq, headHash: chain.head!.hash, checkpointSeq: chain.head!.seq },
    });
    const publicKey = await env.app.inject({ url: '/v1/erasure-receipts/public-key' });
    const dir = await mkdtemp(path.join(tmpdir(), 'doklad-receipt-'));
    const receiptFile = path.join(dir, 'receipt.json');
    const keyFile = path.join(dir, 'key.pem');
    await writeFile(receiptFile, fetched.body);
    await writeFile(keyFile, publicKey.json().publicKeyPem);
    const [out, err] = [sink(), sink()];
    expect(
      await runVerifyReceiptCommand({ receipt: receiptFile, publicKey: keyFile }, out.stream, err.stream),
    ).toBe(0);
    expect(err.text()).toMatch(/verifies: purged at .*2 blobs deleted/);

    // One changed number and it no longer verifies.
    const altered = structuredClone(signed);
    altered.receipt.destroyed.rows.documents = 1;
    await writeFile(receiptFile, JSON.stringify(altered));
    const failed = sink();
    expect(
      await runVerifyReceiptCommand(
        { receipt: receiptFile, publicKey: keyFile },
        sink().stream,
        failed.stream,
      ),
    ).toBe(1);
    expect(failed.text()).toMatch(/does NOT verify: the signature does not match/);

    // A second run of the job finds nothing left to do.
    expect(await env.container.offboarding.purgeDue()).toEqual({ tenants: 0, purged: 0 });
  });

  it('cancelling within the grace period gives the firm back, untouched, and the purge then leaves it alone', async () => {
    const { owner: signedUp, token } = await firmWithData();
    expect((await requestOffboarding(signedUp, await tenantName(signedUp.tenantId))).statusCode).toBe(202);
    env.clock.advance(10 * DAY_MS);
    // Signing in still works while the firm is closing (and leads only to export and cancel).
    const owner = await signInAgain(signedUp);
    const cancel = await env.app.inject({
      method: 'DELETE',
      url: '/v1/tenant/offboarding',
      headers: bearer(owner.token),
    });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect(cancel.json()).toEqual({ status: 'active', requestedAt: null, purgeAfter: null });
    const docs = await env.app.inject({ url: '/v1/documents', headers: bearer(token) });
    expect([docs.statusCode, docs.json().items.length]).toEqual([200, 2]);

    // Cancelling twice is a conflict, not a silent success.
    const again = await env.app.inject({
      method: 'DELETE',
      url: '/v1/tenant/offboarding',
      headers: bearer(owner.token),
    });
    expect([again.statusCode, again.json().code]).toEqual([409, 'tenant_status_conflict']);

    env.clock.advance(30 * DAY_MS);
    await env.container.offboarding.purgeDue();
    const { rows } = await env.adminQuery('SELECT count(*)::int AS n FROM documents WHERE tenant_id = $1', [
      owner.tenantId,
    ]);
    expect(rows[0].n).toBe(2);
    const { rows: events } = await env.adminQuery(
      `SELECT action FROM audit_events WHERE tenant_id = $1 AND action LIKE 'tenant.offboarding%' ORDER BY ingest_id`,
      [owner.tenantId],
    );
    expect(events.map((e) => e.action)).toEqual([
      'tenant.offboarding_requested',
      'tenant.offboarding_cancelled',
    ]);
  });

  it('erases only the accounts that belonged to the closed firm alone', async () => {
    const closing = await signup(env.app);
    const staying = await signup(env.app);
    // The owner of the staying firm also works for the closing one.
    const invite = await env.app.inject({
      method: 'POST',
      url: '/v1/invitations',
      headers: bearer(closing.token),
      payload: { email: staying.email, role: 'admin' },
    });
    expect(invite.statusCode, invite.body).toBe(201);
    const accept = await env.app.inject({
      method: 'POST',
      url: '/v1/invitations/accept',
      payload: { token: invitationTokenFor(env, staying.email), password: staying.password },
    });
    expect(accept.statusCode, accept.body).toBe(200);
    expect((await requestOffboarding(closing, await tenantName(closing.tenantId))).statusCode).toBe(202);
    env.clock.advance(31 * DAY_MS);
    expect(await env.container.offboarding.purgeTenant(closing.tenantId)).toBe(true);
    const { rows } = await env.adminQuery(
      'SELECT id, name, email FROM users WHERE id = ANY($1::uuid[]) ORDER BY name',
      [[closing.userId, staying.userId]],
    );
    expect(rows).toEqual([
      { id: closing.userId, name: 'Erased person', email: expect.stringMatching(/@erased\.invalid$/) },
      { id: staying.userId, name: 'Olga Owner', email: staying.email },
    ]);
    expect((await login(env.app, staying.email, staying.password)).statusCode).toBe(200);
  });

  it('needs a fresh sign-in or step-up from everyone, two-factor or not', async () => {
    const owner = await signup(env.app);
    env.clock.advance(6 * 60_000);
    const stale = await requestOffboarding(owner, await tenantName(owner.tenantId));
    expect([stale.statusCode, stale.json().code]).toEqual([403, 'step_up_required']);
    const stepUp = await env.app.inject({
      method: 'POST',
      url: '/v1/auth/step-up',
      headers: bearer(owner.token),
      payload: { password: owner.password },
    });
    expect(stepUp.statusCode, stepUp.body).toBe(204);
    expect((await requestOffboarding(owner, await tenantName(owner.tenantId))).statusCode).toBe(202);
  });

  it("touches only the caller's firm: another firm keeps working and its receipt token finds nothing", async () => {
    const closing = await signup(env.app);
    const other = await signup(env.app);
    const asked = await requestOffboarding(closing, await tenantName(closing.tenantId));
    expect(asked.statusCode).toBe(202);
    const otherState = await env.app.inject({ url: '/v1/tenant/offboarding', headers: bearer(other.token) });
    expect(otherState.json()).toEqual({ status: 'active', requestedAt: null, purgeAfter: null });
    expect((await env.app.inject({ url: '/v1/documents', headers: bearer(other.token) })).statusCode).toBe(
      200,
    );
    // Until the purge has issued it, a receipt token finds nothing; nor does a made-up one.
    for (const candidate of [asked.json().receiptToken, 'erc_made-up-token', 'not-a-receipt-token']) {
      const res = await env.app.inject({
        method: 'POST',
        url: '/v1/erasure-receipts/lookup',
        payload: { token: candidate },
      });
      expect([res.statusCode, res.json().code]).toEqual([404, 'not_found']);
    }
    // RLS: from the other firm's context the closing firm's receipt row does not exist.
    const client = await env.runtimeClient();
    await client.query('BEGIN');
    await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [other.tenantId]);
    const { rows } = await client.query('SELECT tenant_id FROM erasure_receipts');
    await client.query('ROLLBACK');
    expect(rows).toEqual([]);
  });

  it('answers malformed input with 400 and never 5xx', async () => {
    const owner = await signup(env.app);
    for (const payload of [
      {},
      { confirmName: '' },
      { confirmName: 'x'.repeat(201) },
      { confirmName: 'x', extra: 1 },
    ]) {
      const res = await env.app.inject({
        method: 'POST',
        url: '/v1/tenant/offboarding',
        headers: bearer(owner.token),
        payload,
      });
      expect([res.statusCode, res.json().code]).toEqual([400, 'validation_failed']);
    }
    for (const payload of [{}, { token: '' }, { token: 'x'.repeat(101) }, { token: 42 }]) {
      const res = await env.app.inject({ method: 'POST', url: '/v1/erasure-receipts/lookup', payload });
      expect([res.statusCode, res.json().code]).toEqual([400, 'validation_failed']);
    }
    // A firm that is not closing cannot be cancelled.
    const cancel = await env.app.inject({
      method: 'DELETE',
      url: '/v1/tenant/offboarding',
      headers: bearer(owner.token),
    });
    expect([cancel.statusCode, cancel.json().code]).toEqual([409, 'tenant_status_conflict']);
  });

  it('verify-receipt works from the command line with no configuration at all', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'doklad-receipt-cli-'));
    const keyFile = path.join(dir, 'key.pem');
    await writeFile(keyFile, env.container.signer.publicKeyPem);
    await writeFile(path.join(dir, 'bad.json'), JSON.stringify({ receipt: { type: 'other' } }));
    const run = (file: string) =>
      execFileAsync(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/cli.ts',
          'tenant',
          'verify-receipt',
          '--file',
          file,
          '--public-key',
          keyFile,
        ],
        { cwd: packageRoot(), env: { PATH: process.env.PATH ?? '' } },
      );
    await expect(run(path.join(dir, 'bad.json'))).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/not a Doklad erasure receipt/),
    });
    expect(await readFile(keyFile, 'utf8')).toMatch(/BEGIN PUBLIC KEY/);
  });
});
