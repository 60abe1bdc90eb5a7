import { describe, expect, it } from 'vitest';
import { bearer, signup } from '../../helpers/auth.js';
import { samplePdf, uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();

async function company(token: string, name: string, vatId?: string) {
  const res = await env.app.inject({
    method: 'POST',
    url: '/v1/companies',
    headers: bearer(token),
    payload: { name, vatId, country: 'cz' },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

describe('companies', () => {
  it('creates, lists, updates and normalises companies', async () => {
    const owner = await signup(env.app);
    const acme = await company(owner.token, 'ACME s.r.o.', 'cz 123-456.78');
    expect(acme).toMatchObject({ name: 'ACME s.r.o.', vatId: 'CZ12345678', country: 'CZ' });
    const patched = await env.app.inject({
      method: 'PATCH',
      url: `/v1/companies/${acme.id}`,
      headers: bearer(owner.token),
      payload: { registrationId: '12345678' },
    });
    expect(patched.json().registrationId).toBe('12345678');
    const list = await env.app.inject({ url: '/v1/companies', headers: bearer(owner.token) });
    expect(list.json().items).toHaveLength(1);
    const bad = await env.app.inject({
      method: 'POST',
      url: '/v1/companies',
      headers: bearer(owner.token),
      payload: { name: 'X', vatId: '123', country: 'Czechia' },
    });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['body.country', 'body.vatId']);
  });

  it('refuses to delete a company that still has documents', async () => {
    const owner = await signup(env.app);
    const acme = await company(owner.token, 'ACME');
    await uploadRaw(env.app, owner.token, samplePdf(), {
      contentType: 'application/pdf',
      query: { companyId: acme.id },
    });
    const res = await env.app.inject({
      method: 'DELETE',
      url: `/v1/companies/${acme.id}`,
      headers: bearer(owner.token),
    });
    expect(res.statusCode).toBe(409);
    const empty = await company(owner.token, 'Empty');
    expect(
      (
        await env.app.inject({
          method: 'DELETE',
          url: `/v1/companies/${empty.id}`,
          headers: bearer(owner.token),
        })
      ).statusCode,
    ).toBe(204);
  });

  it('limits a token restricted to company A to A: B’s documents and company do not exist for it', async () => {
    const owner = await signup(env.app);
    const a = await company(owner.token, 'Client A');
    const b = await company(owner.token, 'Client B');
    const docA = (
      await uploadRaw(env.app, owner.token, samplePdf(), {
        contentType: 'application/pdf',
        query: { companyId: a.id },
      })
    ).json();
    const docB = (
      await uploadRaw(env.app, owner.token, samplePdf(), {
        contentType: 'application/pdf',
        query: { companyId: b.id },
      })
    ).json();
    const docNone = (
      await uploadRaw(env.app, owner.token, samplePdf(), { contentType: 'application/pdf' })
    ).json();
    const created = await env.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: bearer(owner.token),
      payload: {
        name: 'ERP of A',
        scopes: ['documents:read', 'documents:write', 'companies:read'],
        companyIds: [a.id],
      },
    });
    expect(created.json().companyIds).toEqual([a.id]);
    const agent = created.json().token;

    const list = (await env.app.inject({ url: '/v1/documents', headers: bearer(agent) })).json();
    expect(list.items.map((d: { id: string }) => d.id)).toEqual([docA.id]);
    expect(
      (await env.app.inject({ url: `/v1/documents/${docA.id}/content`, headers: bearer(agent) })).statusCode,
    ).toBe(200);
    for (const id of [docB.id, docNone.id]) {
      expect((await env.app.inject({ url: `/v1/documents/${id}`, headers: bearer(agent) })).statusCode).toBe(
        404,
      );
      expect(
        (await env.app.inject({ url: `/v1/documents/${id}/content`, headers: bearer(agent) })).statusCode,
      ).toBe(404);
    }
    expect(
      (await env.app.inject({ url: '/v1/companies', headers: bearer(agent) }))
        .json()
        .items.map((c: { id: string }) => c.id),
    ).toEqual([a.id]);
    expect((await env.app.inject({ url: `/v1/companies/${b.id}`, headers: bearer(agent) })).statusCode).toBe(
      404,
    );
    const intoB = await uploadRaw(env.app, agent, samplePdf(), {
      contentType: 'application/pdf',
      query: { companyId: b.id },
    });
    expect(intoB.statusCode).toBe(404);
    const moveToB = await env.app.inject({
      method: 'PATCH',
      url: `/v1/documents/${docA.id}`,
      headers: bearer(agent),
      payload: { companyId: b.id },
    });
    expect(moveToB.statusCode).toBe(404);
  });

  it('intersects a company filter with a token’s company restriction, never replaces it (documents and ERP export)', async () => {
    const owner = await signup(env.app);
    const [c1, c2, c3] = [
      await company(owner.token, 'One'),
      await company(owner.token, 'Two'),
      await company(owner.token, 'Three'),
    ];
    const upload = async (companyId: string) =>
      (
        await uploadRaw(env.app, owner.token, samplePdf(), {
          contentType: 'application/pdf',
          query: { companyId },
        })
      ).json().id as string;
    const [d1, d2] = [await upload(c1.id), await upload(c2.id)];
    await upload(c3.id);
    const agent = (
      await env.app.inject({
        method: 'POST',
        url: '/v1/tokens',
        headers: bearer(owner.token),
        payload: {
          name: 'ERP of 1 and 2',
          scopes: ['documents:read', 'extractions:read'],
          companyIds: [c1.id, c2.id],
        },
      })
    ).json().token as string;
    const ids = async (url: string) =>
      ((await env.app.inject({ url, headers: bearer(agent) })).json().items as { id: string }[]).map(
        (d) => d.id,
      );
    expect(await ids(`/v1/documents?companyId=${c2.id}`)).toEqual([d2]);
    expect(await ids(`/v1/documents?companyId=${c1.id}`)).toEqual([d1]);
    // A company outside the token's restriction is empty, not everything the token may see.
    expect(await ids(`/v1/documents?companyId=${c3.id}`)).toEqual([]);
    expect((await ids('/v1/documents')).sort()).toEqual([d1, d2].sort());
    const exportList = await env.app.inject({
      url: `/v1/extractions?companyId=${c3.id}`,
      headers: bearer(agent),
    });
    expect(exportList.statusCode).toBe(200);
    expect(exportList.json().items).toEqual([]);
  });

  it('refuses token restrictions naming companies of another firm', async () => {
    const owner = await signup(env.app);
    const other = await signup(env.app);
    const foreign = await company(other.token, 'Not yours');
    const res = await env.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: bearer(owner.token),
      payload: { name: 'x', scopes: ['documents:read'], companyIds: [foreign.id] },
    });
    expect(res.statusCode).toBe(400);
  });

  it('audits metadata changes with the old and new values', async () => {
    const owner = await signup(env.app);
    const acme = await company(owner.token, 'ACME');
    const doc = (
      await uploadRaw(env.app, owner.token, samplePdf(), { contentType: 'application/pdf' })
    ).json();
    const res = await env.app.inject({
      method: 'PATCH',
      url: `/v1/documents/${doc.id}`,
      headers: bearer(owner.token),
      payload: { type: 'receipt', companyId: acme.id },
    });
    expect(res.json()).toMatchObject({ type: 'receipt', companyId: acme.id });
    const { rows } = await env.adminQuery(
      `SELECT payload FROM audit_events WHERE target_id = $1 AND action = 'document.updated'`,
      [doc.id],
    );
    expect(rows[0].payload.before).toMatchObject({ type: 'invoice', companyId: null });
    expect(rows[0].payload.after).toMatchObject({ type: 'receipt', companyId: acme.id });
  });
});
