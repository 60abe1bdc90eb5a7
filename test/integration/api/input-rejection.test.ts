/**
 * Issue 13, finding 19: malformed input is the caller's mistake, answered 400 problem+json naming
 * the field, and nothing is written: a NUL character or an unpaired surrogate in any text input,
 * an integer beyond PostgreSQL's `integer`, a multipart body without boundary or cut short.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, signup, type SignedUp } from '../../helpers/auth.js';
import { multipartBody, samplePdf, uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();
let owner: SignedUp;
let documentId: string;

beforeAll(async () => {
  owner = await signup(env.app);
  const up = await uploadRaw(env.app, owner.token, samplePdf(), { contentType: 'application/pdf' });
  expect(up.statusCode, up.body).toBe(201);
  documentId = up.json().id;
});

interface Answer {
  statusCode: number;
  headers: Record<string, unknown>;
  json(): { code: string; errors?: { field: string; message: string }[] };
  body: string;
}

function expectBadRequestNaming(res: Answer, field: string) {
  expect(res.statusCode, res.body).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.json().code).toBe('validation_failed');
  expect(res.json().errors?.map((e) => e.field)).toContain(field);
}

async function counts() {
  const { rows } = await env.adminQuery(
    `SELECT (SELECT count(*)::int FROM documents WHERE tenant_id = $1) AS documents,
            (SELECT count(*)::int FROM companies WHERE tenant_id = $1) AS companies,
            (SELECT count(*)::int FROM extractions WHERE tenant_id = $1) AS extractions`,
    [owner.tenantId],
  );
  return rows[0];
}

function multipart(payload: Buffer, contentType: string) {
  return env.app.inject({
    method: 'POST',
    url: '/v1/documents',
    headers: { ...bearer(owner.token), 'content-type': contentType },
    payload,
  });
}

describe('malformed input answers 400 naming the field, and writes nothing', () => {
  it.each([
    ['a NUL character', 'Firma\u0000 s.r.o.'],
    ['an unpaired surrogate', 'Firma\ud800 s.r.o.'],
  ])('refuses a company name with %s', async (_, name) => {
    const before = await counts();
    const res = await env.app.inject({
      method: 'POST',
      url: '/v1/companies',
      headers: bearer(owner.token),
      payload: { name, country: 'CZ' },
    });
    expectBadRequestNaming(res, 'body.name');
    expect(await counts()).toEqual(before);
  });

  it('refuses a NUL character in an upload query parameter (externalRef)', async () => {
    const before = await counts();
    const res = await uploadRaw(env.app, owner.token, samplePdf(), {
      contentType: 'application/pdf',
      query: { externalRef: 'PO\u00001' },
    });
    expectBadRequestNaming(res, 'querystring.externalRef');
    expect(await counts()).toEqual(before);
  });

  it('refuses a NUL character in a multipart field (externalRef), before or after the file', async () => {
    const before = await counts();
    for (const after of [false, true]) {
      const body = multipartBody(
        { bytes: samplePdf(), filename: 'a.pdf' },
        { externalRef: 'PO\u00001' },
        after,
      );
      expectBadRequestNaming(await multipart(body.payload, body.contentType), 'body.externalRef');
    }
    expect(await counts()).toEqual(before);
  });

  it('refuses a NUL character in a corrected field', async () => {
    const before = await counts();
    const res = await env.app.inject({
      method: 'PATCH',
      url: `/v1/documents/${documentId}/extraction`,
      headers: bearer(owner.token),
      payload: { fields: { invoiceNumber: 'FV\u00001' } },
    });
    expectBadRequestNaming(res, 'body.fields.invoiceNumber');
    expect(await counts()).toEqual(before);
  });

  it('refuses ?version=2147483648, beyond PostgreSQL integer', async () => {
    for (const version of ['2147483648', '99999999999999999999']) {
      const res = await env.app.inject({
        url: `/v1/documents/${documentId}/extraction?version=${version}`,
        headers: bearer(owner.token),
      });
      expectBadRequestNaming(res, 'querystring.version');
    }
  });

  it('refuses a forged list cursor (a non-UUID id, a date beyond PostgreSQL) instead of failing there', async () => {
    const forged = [
      ['2026-01-01T00:00:00.000Z', 'not-a-uuid'],
      ['+275000-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'],
    ];
    for (const position of forged) {
      const cursor = Buffer.from(JSON.stringify(position)).toString('base64url');
      for (const url of ['/v1/documents', '/v1/review-queue', '/v1/extractions']) {
        const res = await env.app.inject({ url: `${url}?cursor=${cursor}`, headers: bearer(owner.token) });
        expectBadRequestNaming(res, 'query.cursor');
      }
    }
  });

  it('refuses a multipart body without a boundary', async () => {
    const before = await counts();
    expectBadRequestNaming(await multipart(Buffer.from('abc'), 'multipart/form-data'), 'body');
    expect(await counts()).toEqual(before);
  });

  it('refuses a truncated multipart body', async () => {
    const before = await counts();
    const body = multipartBody({ bytes: samplePdf(), filename: 'a.pdf' }, { externalRef: 'PO-1' });
    for (const cut of [60, 120, 200, 250, body.payload.length - 20]) {
      expectBadRequestNaming(await multipart(body.payload.subarray(0, cut), body.contentType), 'body');
    }
    expect(await counts()).toEqual(before);
  });

  it('still accepts a well-formed multipart upload', async () => {
    const body = multipartBody({ bytes: samplePdf(), filename: 'ok.pdf' }, { externalRef: 'PO-2' });
    const res = await multipart(body.payload, body.contentType);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ externalRef: 'PO-2', filename: 'ok.pdf' });
  });
});
