/**
 * GET /v1/extractions/:id?format=ubl|cii|isdoc: a validated extraction as an EN 16931 e-invoice,
 * or 422 naming the business terms that stop it; documented in /docs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractInvoice } from '../../../src/extraction/index.js';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers.js';
import { SAMPLE } from '../../unit/extraction/fixtures/invoice-model.js';
import { ublXml } from '../../unit/extraction/fixtures/xml-fixtures.js';
import { bearer, signup, type SignedUp } from '../../helpers/auth.js';
import { uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();
let workers: RunningWorkers;
let owner: SignedUp;
let conformantId: string;
let incompleteId: string;

async function validatedDocument(xml: string): Promise<string> {
  const up = await uploadRaw(env.app, owner.token, Buffer.from(xml), { contentType: 'application/xml' });
  expect(up.statusCode, up.body).toBe(201);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const doc = (
      await env.app.inject({ url: `/v1/documents/${up.json().id}`, headers: bearer(owner.token) })
    ).json();
    if (!['stored', 'queued', 'extracting'].includes(doc.status)) break;
    if (Date.now() > deadline) throw new Error('not extracted in time');
    await new Promise((r) => setTimeout(r, 150));
  }
  const validated = await env.app.inject({
    method: 'POST',
    url: `/v1/documents/${up.json().id}/extraction/validate`,
    headers: bearer(owner.token),
    // A person may validate an invoice the EN 16931 checks flag; its export is then refused.
    payload: { override: { reason: 'Booked without the buyer address' } },
  });
  expect(validated.statusCode, validated.body).toBe(200);
  return up.json().id as string;
}

const get = (id: string, query: string, token = owner.token) =>
  env.app.inject({ url: `/v1/extractions/${id}${query}`, headers: bearer(token) });

beforeAll(async () => {
  workers = await startWorkers(env.container);
  owner = await signup(env.app);
  conformantId = await validatedDocument(ublXml({ ...SAMPLE, number: 'EXP-OK' }));
  // Without the buyer's postal address (BT-55 country) the data do not meet EN 16931.
  incompleteId = await validatedDocument(
    ublXml({ ...SAMPLE, number: 'EXP-NO-ADDRESS' }).replace(
      /(<cac:AccountingCustomerParty><cac:Party>\s*)<cac:PostalAddress>.*?<\/cac:PostalAddress>/s,
      '$1',
    ),
  );
});
afterAll(async () => workers?.close());

describe('e-invoice export formats', () => {
  it('answers CII D16B and ISDOC 6.0.2 as XML that reads back to the same invoice', async () => {
    for (const [format, root] of [
      ['cii', '<rsm:CrossIndustryInvoice'],
      ['isdoc', '<Invoice xmlns="http://isdoc.cz/namespace/2013" version="6.0.2"'],
      ['ubl', '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"'],
    ] as const) {
      const res = await get(conformantId, `?format=${format}`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toBe('application/xml; charset=utf-8');
      expect(res.body).toContain(root);
      const back = await extractInvoice({ bytes: new TextEncoder().encode(res.body) });
      expect(back.fields.invoiceNumber?.value, format).toBe('EXP-OK');
      expect(back.fields['totals.gross']?.value, format).toBe(SAMPLE.gross);
      expect(back.fields['payment.reference']?.value, format).toBe(SAMPLE.reference);
      expect(
        back.vatBreakdown.map((r) => r.category),
        format,
      ).toEqual(['S']);
    }
  });

  it('carries conformance in the JSON export', async () => {
    expect((await get(conformantId, '')).json().conformance).toEqual({
      en16931: true,
      peppol: false,
      missing: [],
      rules: [],
    });
    expect((await get(incompleteId, '?format=json')).json().conformance).toMatchObject({
      en16931: false,
      missing: ['BT-55'],
    });
  });

  it("answers a corrected version's conformance, not the one it answered before the correction", async () => {
    const id = await validatedDocument(ublXml({ ...SAMPLE, number: 'EXP-CORRECTED' }));
    const listed = async () => {
      const res = await env.app.inject({ url: '/v1/extractions?limit=100', headers: bearer(owner.token) });
      expect(res.statusCode, res.body).toBe(200);
      return (res.json().items as { documentId: string; conformance: { en16931: boolean } }[]).find(
        (item) => item.documentId === id,
      )?.conformance;
    };
    expect((await get(id, '')).json().conformance.en16931).toBe(true);
    expect((await listed())?.en16931).toBe(true);
    // A gross that no longer matches net + tax breaks EN 16931's totals rules.
    const corrected = await env.app.inject({
      method: 'PATCH',
      url: `/v1/documents/${id}/extraction`,
      headers: bearer(owner.token),
      payload: { fields: { 'totals.gross': '999999.99' }, reason: 'typed over the total' },
    });
    expect(corrected.statusCode, corrected.body).toBe(200);
    const revalidated = await env.app.inject({
      method: 'POST',
      url: `/v1/documents/${id}/extraction/validate`,
      headers: bearer(owner.token),
      payload: { override: { reason: 'booked as corrected' } },
    });
    expect(revalidated.statusCode, revalidated.body).toBe(200);
    const after = (await get(id, '')).json().conformance;
    expect(after.en16931).toBe(false);
    expect(after.rules.length).toBeGreaterThan(0);
    expect(await listed()).toEqual(after);
  });

  it('answers 422 problem+json with the missing business terms when the data do not meet EN 16931', async () => {
    for (const format of ['ubl', 'cii', 'isdoc']) {
      const res = await get(incompleteId, `?format=${format}`);
      expect(res.statusCode, format).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({
        status: 422,
        code: 'not_conformant',
        format,
        missing: ['BT-55'],
        rules: [],
      });
      expect(res.json().detail).toContain('BT-55');
    }
  });

  it('refuses an unknown format with 400, not a 5xx', async () => {
    const res = await get(conformantId, '?format=pdf');
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation_failed');
  });

  it("needs extractions:read and answers 404 for another tenant's document", async () => {
    const token = (
      await env.app.inject({
        method: 'POST',
        url: '/v1/tokens',
        headers: bearer(owner.token),
        payload: { name: 'documents only', scopes: ['documents:read'] },
      })
    ).json().token as string;
    expect((await get(conformantId, '?format=cii', token)).statusCode).toBe(403);
    const stranger = await signup(env.app);
    expect((await get(conformantId, '?format=isdoc', stranger.token)).statusCode).toBe(404);
  });

  it('documents the formats, their content type and the 422 answer in /docs', async () => {
    const spec = (await env.app.inject({ url: '/docs/json' })).json();
    const op = spec.paths['/v1/extractions/{id}'].get;
    const format = op.parameters.find((p: { name: string }) => p.name === 'format');
    expect(format.schema.enum).toEqual(['json', 'ubl', 'cii', 'isdoc']);
    expect(Object.keys(op.responses['200'].content)).toEqual(
      expect.arrayContaining(['application/json', 'application/xml']),
    );
    expect(op.responses['422'].description).toContain('missing');
    expect(Object.keys(op.responses['422'].content)).toEqual(['application/problem+json']);
  });
});
