import { describe, expect, it } from 'vitest';
import { addMember, bearer, login, signup, type SignedUp } from '../../helpers/auth.js';
import { listBlobNames, samplePdf, uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();
const DAY = 24 * 60 * 60 * 1000;

async function uploaded(token: string, query: Record<string, string> = {}) {
  const res = await uploadRaw(env.app, token, samplePdf(), { contentType: 'application/pdf', query });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** A fresh session after the test clock jumped past the old one's lifetime. */
async function freshToken(person: SignedUp): Promise<string> {
  const res = await login(env.app, person.email, person.password);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().token;
}

const trash = (token: string, id: string, reason?: string) =>
  env.app.inject({
    method: 'DELETE',
    url: `/v1/documents/${id}`,
    headers: bearer(token),
    payload: reason ? { reason } : undefined,
  });

describe('trash, restore and purge', () => {
  it('moves a document to the trash, keeps it restorable, and lists it only with trashed=true', async () => {
    const owner = await signup(env.app);
    const doc = await uploaded(owner.token);
    const res = await trash(owner.token, doc.id, 'uploaded by mistake');
    expect(res.statusCode).toBe(200);
    expect(res.json().trashedAt).not.toBeNull();
    const days = (new Date(res.json().purgeAfter).getTime() - new Date(res.json().trashedAt).getTime()) / DAY;
    expect(days).toBe(30);
    const active = (await env.app.inject({ url: '/v1/documents', headers: bearer(owner.token) })).json();
    const trashed = (
      await env.app.inject({ url: '/v1/documents?trashed=true', headers: bearer(owner.token) })
    ).json();
    expect(active.items.map((d: { id: string }) => d.id)).not.toContain(doc.id);
    expect(trashed.items.map((d: { id: string }) => d.id)).toContain(doc.id);
    const restored = await env.app.inject({
      method: 'POST',
      url: `/v1/documents/${doc.id}/restore`,
      headers: bearer(owner.token),
    });
    expect(restored.json()).toMatchObject({ trashedAt: null, purgeAfter: null });
  });

  it('purges after 30 days: blob deleted, data key destroyed, audit keeps the fact and the hash', async () => {
    const owner = await signup(env.app);
    const doc = await uploaded(owner.token);
    await trash(owner.token, doc.id, 'duplicate scan');
    env.clock.advance(29 * DAY);
    await env.container.lifecycle.purgeTrash();
    let token = await freshToken(owner);
    expect(
      (await env.app.inject({ url: `/v1/documents/${doc.id}`, headers: bearer(token) })).statusCode,
    ).toBe(200);
    env.clock.advance(2 * DAY);
    const report = await env.container.lifecycle.purgeTrash();
    expect(report.purged).toBeGreaterThanOrEqual(1);
    token = await freshToken(owner);
    expect(
      (await env.app.inject({ url: `/v1/documents/${doc.id}`, headers: bearer(token) })).statusCode,
    ).toBe(404);
    expect(
      (await env.app.inject({ url: `/v1/documents/${doc.id}/content`, headers: bearer(token) })).statusCode,
    ).toBe(404);
    const { rows: keys } = await env.adminQuery(
      'SELECT wrapped_dek, destroyed_at FROM document_keys WHERE document_id = $1',
      [doc.id],
    );
    expect(keys[0]).toMatchObject({ wrapped_dek: null, destroyed_at: expect.any(Date) });
    const container = env.blobStore.containerFor(owner.tenantId);
    expect(await listBlobNames(env.config.blobs.connectionString, container)).not.toContain(doc.id);
    const { rows } = await env.adminQuery(
      `SELECT actor_kind, payload FROM audit_events WHERE tenant_id = $1 AND action = 'document.purged'`,
      [owner.tenantId],
    );
    expect(rows[0]).toMatchObject({
      actor_kind: 'worker',
      payload: { sha256: doc.sha256, sizeBytes: doc.size },
    });
  });
});

describe('retention and legal holds', () => {
  it('keeps documents 10 years from the end of the year, per type when the policy says so', async () => {
    const owner = await signup(env.app);
    const year = env.clock().getUTCFullYear();
    const invoice = await uploaded(owner.token, { type: 'invoice' });
    const receipt = await uploaded(owner.token, { type: 'receipt' });
    expect(invoice.retainUntil).toBe(`${year + 10}-12-31`);
    const put = await env.app.inject({
      method: 'PUT',
      url: '/v1/retention-policy',
      headers: bearer(owner.token),
      payload: { defaultYears: 10, typeYears: { receipt: 5 } },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ defaultYears: 10, typeYears: { receipt: 5 }, documentsUpdated: 1 });
    const after = (
      await env.app.inject({ url: `/v1/documents/${receipt.id}`, headers: bearer(owner.token) })
    ).json();
    expect(after.retainUntil).toBe(`${year + 5}-12-31`);
    expect(
      (await env.app.inject({ url: '/v1/retention-policy', headers: bearer(owner.token) })).json(),
    ).toEqual({ defaultYears: 10, typeYears: { receipt: 5 } });
    const { rows } = await env.adminQuery(
      `SELECT payload FROM audit_events WHERE tenant_id = $1 AND action = 'retention_policy.changed'`,
      [owner.tenantId],
    );
    expect(rows[0].payload.after).toEqual({ defaultYears: 10, typeYears: { receipt: 5 } });
  });

  it('lets only owners/admins delete before retention ends, and only with a reason', async () => {
    const owner = await signup(env.app);
    const accountant = await addMember(env, owner, 'accountant');
    const doc = await uploaded(accountant.token);
    const refused = await trash(accountant.token, doc.id, 'wrong firm');
    expect(refused.statusCode).toBe(403);
    expect(refused.json().detail).toContain('documents:delete-early');
    const noReason = await trash(owner.token, doc.id);
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().errors[0].field).toBe('body.reason');
    expect((await trash(owner.token, doc.id, 'uploaded to the wrong firm')).statusCode).toBe(200);
  });

  it('blocks deletion entirely under a legal hold, until it is released', async () => {
    const owner = await signup(env.app);
    const doc = await uploaded(owner.token);
    const hold = await env.app.inject({
      method: 'PUT',
      url: `/v1/documents/${doc.id}/legal-hold`,
      headers: bearer(owner.token),
      payload: { reason: 'tax audit 2026/17' },
    });
    expect(hold.json().legalHold).toBe(true);
    const blocked = await trash(owner.token, doc.id, 'cleanup');
    expect(blocked.statusCode).toBe(409);
    expect(blocked.json().code).toBe('legal_hold');
    await env.app.inject({
      method: 'DELETE',
      url: `/v1/documents/${doc.id}/legal-hold`,
      headers: bearer(owner.token),
    });
    expect((await trash(owner.token, doc.id, 'cleanup')).statusCode).toBe(200);
  });

  it('sweeps documents whose retention ended into the trash, but never held ones', async () => {
    const owner = await signup(env.app);
    const kept = await uploaded(owner.token);
    const held = await uploaded(owner.token);
    await env.app.inject({
      method: 'PUT',
      url: `/v1/documents/${held.id}/legal-hold`,
      headers: bearer(owner.token),
      payload: { reason: 'litigation' },
    });
    env.clock.advance(11 * 366 * DAY);
    const report = await env.container.lifecycle.sweepRetention();
    expect(report.trashed).toBeGreaterThanOrEqual(1);
    const token = await freshToken(owner);
    const keptNow = (
      await env.app.inject({ url: `/v1/documents/${kept.id}`, headers: bearer(token) })
    ).json();
    const heldNow = (
      await env.app.inject({ url: `/v1/documents/${held.id}`, headers: bearer(token) })
    ).json();
    expect(keptNow).toMatchObject({ trashedAt: expect.any(String) });
    expect(heldNow.trashedAt).toBeNull();
    const { rows } = await env.adminQuery(
      `SELECT actor_kind, payload FROM audit_events WHERE target_id = $1 AND action = 'document.trashed'`,
      [kept.id],
    );
    expect(rows[0]).toMatchObject({ actor_kind: 'worker', payload: { reason: 'retention_expired' } });
  });
});
