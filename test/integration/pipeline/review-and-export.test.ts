/**
 * After extraction: people correct and validate, the review queue shows what needs them, and ERP
 * agents take validated data over exactly once.
 */
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractInvoice } from '../../../src/extraction/index.js';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers.js';
import { SAMPLE } from '../../unit/extraction/fixtures/invoice-model.js';
import { ublXml } from '../../unit/extraction/fixtures/xml-fixtures.js';
import { addMember, bearer, signup, type SignedUp } from '../../helpers/auth.js';
import { uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();
let workers: RunningWorkers;
let owner: SignedUp;

beforeAll(async () => {
  workers = await startWorkers(env.container);
  owner = await signup(env.app);
});
afterAll(async () => workers?.close());

async function extractedDocument(
  number: string,
  content?: Buffer,
  contentType = 'application/xml',
): Promise<string> {
  const bytes = content ?? Buffer.from(ublXml({ ...SAMPLE, number }));
  const up = await uploadRaw(env.app, owner.token, bytes, { contentType });
  expect(up.statusCode, up.body).toBe(201);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const doc = (
      await env.app.inject({ url: `/v1/documents/${up.json().id}`, headers: bearer(owner.token) })
    ).json();
    if (!['stored', 'queued', 'extracting'].includes(doc.status)) return doc.id;
    if (Date.now() > deadline) throw new Error('not extracted in time');
    await new Promise((r) => setTimeout(r, 150));
  }
}

const patch = (id: string, fields: Record<string, string | null>) =>
  env.app.inject({
    method: 'PATCH',
    url: `/v1/documents/${id}/extraction`,
    headers: bearer(owner.token),
    payload: { fields },
  });
const validate = (id: string, body?: Record<string, unknown>) =>
  env.app.inject({
    method: 'POST',
    url: `/v1/documents/${id}/extraction/validate`,
    headers: bearer(owner.token),
    payload: body ?? {},
  });

describe('corrections and validation', () => {
  it('stores corrections, normalised, as a new version with source user, auditing old and new values', async () => {
    const id = await extractedDocument('REV-1');
    const res = await patch(id, {
      'totals.gross': '1 250,00',
      issueDate: '15.03.2024',
      'payment.reference': 'VS 42',
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ version: 2, origin: 'user', createdBy: { kind: 'user', id: owner.userId } });
    // A corrected value is the person's, fully trusted unless a check contradicts it: the totals
    // no longer add up, so the engine lowers the gross amount's confidence and says why.
    expect(body.result.fields['totals.gross']).toMatchObject({ value: '1250.00', source: 'user' });
    expect(body.result.fields.issueDate).toMatchObject({
      value: '2024-03-15',
      confidence: 1,
      source: 'user',
    });
    expect(body.result.fields.invoiceNumber.source).toBe('xml');
    // net + tax no longer equals the corrected gross: the finding says so.
    expect(
      body.result.findings.some((f: { severity: string; field?: string }) => f.severity === 'error'),
    ).toBe(true);
    const { rows } = await env.adminQuery(
      `SELECT payload FROM audit_events WHERE target_id = $1 AND action = 'extraction.field_corrected' ORDER BY ingest_id`,
      [id],
    );
    expect(rows.map((r) => r.payload)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'totals.gross', before: '1210.00', after: '1250.00', version: 2 }),
      ]),
    );
    expect(
      (
        await env.app.inject({
          url: `/v1/documents/${id}/extraction?version=1`,
          headers: bearer(owner.token),
        })
      ).json().result.fields['totals.gross'].value,
    ).toBe('1210.00');
  });

  it('refuses invalid values with every problem named, and changes nothing', async () => {
    const id = await extractedDocument('REV-2');
    const res = await patch(id, {
      issueDate: 'yesterday',
      'payment.iban': 'DE00 1234',
      currency: 'EURO',
      'totals.gross': 'lots',
      bogus: 'x',
    });
    expect(res.statusCode).toBe(400);
    expect(
      res
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(
      [
        'body.fields.bogus',
        'body.fields.currency',
        'body.fields.issueDate',
        'body.fields.payment.iban',
        'body.fields.totals.gross',
      ].sort(),
    );
    const latest = (
      await env.app.inject({ url: `/v1/documents/${id}/extraction`, headers: bearer(owner.token) })
    ).json();
    expect(latest.version).toBe(1);
  });

  it('accepts a seller tax id outside the EU VAT scheme as printed, normalised, with a warning finding', async () => {
    const id = await extractedDocument('REV-GSTIN');
    const res = await patch(id, { 'seller.vatId': '29 ABCDE 1234 F1Z5', 'buyer.vatId': 'W10-1808-32000025' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.version).toBe(2);
    expect(body.result.fields['seller.vatId']).toMatchObject({ value: '29ABCDE1234F1Z5', source: 'user' });
    expect(body.result.fields['buyer.vatId']).toMatchObject({ value: 'W10180832000025', source: 'user' });
    expect(
      (body.result.findings as { code: string; severity: string; field?: string }[])
        .filter((f) => f.code === 'corrected_value_unusual_format')
        .map((f) => [f.field, f.severity])
        .sort(),
    ).toEqual([
      ['buyer.vatId', 'warning'],
      ['seller.vatId', 'warning'],
    ]);
    // A warning does not stand in the way of a person's validation.
    expect((await validate(id)).statusCode).toBe(200);
  });

  it('refuses to validate while error findings remain, unless overridden with a reason', async () => {
    const id = await extractedDocument('REV-3');
    await patch(id, { 'totals.gross': '999.00' });
    const refused = await validate(id);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'unresolved_errors', findings: expect.any(Array) });
    const overridden = await validate(id, {
      override: { reason: 'Supplier confirmed the rounding by phone' },
    });
    expect(overridden.statusCode).toBe(200);
    const doc = (await env.app.inject({ url: `/v1/documents/${id}`, headers: bearer(owner.token) })).json();
    expect(doc.status).toBe('validated');
    const { rows } = await env.adminQuery(
      `SELECT payload FROM audit_events WHERE target_id = $1 AND action = 'extraction.validated'`,
      [id],
    );
    expect(rows[0].payload).toMatchObject({
      overriddenErrors: expect.any(Number),
      reason: 'Supplier confirmed the rounding by phone',
    });
  });
});

describe('review queue', () => {
  it('lists documents that need review, oldest first, with the fields to look at', async () => {
    // A real PDF with text but no invoice in it: the engine finds nothing to be sure of.
    const notes = await PDFDocument.create();
    notes
      .addPage([400, 300])
      .drawText('Minutes of the partners meeting, nothing to book here.', { x: 20, y: 250, size: 10 });
    const pdf = Buffer.from(await notes.save());
    const id = await extractedDocument('', pdf, 'application/pdf');
    const doc = (await env.app.inject({ url: `/v1/documents/${id}`, headers: bearer(owner.token) })).json();
    expect(doc.status).toBe('needs_review');
    const queue = (await env.app.inject({ url: '/v1/review-queue', headers: bearer(owner.token) })).json();
    const item = queue.items.find((i: { documentId: string }) => i.documentId === id);
    expect(item.attention).toEqual(
      expect.arrayContaining([
        { field: 'invoiceNumber', reason: 'missing' },
        { field: 'totals.gross', reason: 'missing' },
      ]),
    );
    const created = queue.items.map((i: { createdAt: string }) => i.createdAt);
    expect([...created].sort()).toEqual(created);
  });
});

describe('ERP hand-off', () => {
  it('gives an agent each validated extraction until it is acknowledged, in JSON or CSV', async () => {
    const id = await extractedDocument('ERP-1');
    const valid = await validate(id);
    expect(valid.statusCode, valid.body).toBe(200);
    const token = (
      await env.app.inject({
        method: 'POST',
        url: '/v1/tokens',
        headers: bearer(owner.token),
        payload: { name: 'ERP agent', scopes: ['extractions:read', 'extractions:export'] },
      })
    ).json().token;
    const poll = async () =>
      (
        await env.app.inject({
          url: '/v1/extractions?status=validated&exported=false',
          headers: bearer(token),
        })
      ).json();
    const first = await poll();
    const mine = first.items.filter((i: { documentId: string }) => i.documentId === id);
    expect(mine).toHaveLength(1);
    expect(mine[0].fields).toMatchObject({
      invoiceNumber: 'ERP-1',
      'totals.gross': '1210.00',
      currency: 'EUR',
    });
    const csv = await env.app.inject({
      url: '/v1/extractions?exported=false',
      headers: { ...bearer(token), accept: 'text/csv' },
    });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.split('\r\n')[0]).toContain('documentId,companyId');
    expect(csv.body).toContain('ERP-1');

    const ack = await env.app.inject({
      method: 'POST',
      url: `/v1/extractions/${id}/ack`,
      headers: bearer(token),
    });
    expect(ack.statusCode).toBe(200);
    const again = await env.app.inject({
      method: 'POST',
      url: `/v1/extractions/${id}/ack`,
      headers: bearer(token),
    });
    expect(again.json().exportedAt).toBe(ack.json().exportedAt);
    const after = await poll();
    expect(after.items.some((i: { documentId: string }) => i.documentId === id)).toBe(false);
  });

  it('hands over the latest (corrected) version of each extraction', async () => {
    const id = await extractedDocument('ERP-V2');
    expect((await patch(id, { 'payment.reference': 'VS 77' })).statusCode).toBe(200);
    expect((await validate(id)).statusCode).toBe(200);
    const list = (
      await env.app.inject({ url: '/v1/extractions?exported=false&limit=100', headers: bearer(owner.token) })
    ).json();
    const mine = list.items.filter((i: { documentId: string }) => i.documentId === id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ version: 2, fields: { 'payment.reference': 'VS 77' } });
  });

  it('renders a validated extraction as UBL 2.1 that reads back to the same data', async () => {
    const id = await extractedDocument('ERP-UBL');
    expect((await validate(id)).statusCode).toBe(200);
    const res = await env.app.inject({
      url: `/v1/extractions/${id}?format=ubl`,
      headers: bearer(owner.token),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/xml');
    expect(res.body).toContain('urn:cen.eu:en16931:2017');
    const reread = await extractInvoice({
      bytes: new TextEncoder().encode(res.body),
      filename: 'export.xml',
    });
    expect(reread.format).toBe('ubl');
    for (const field of [
      'invoiceNumber',
      'issueDate',
      'currency',
      'totals.gross',
      'totals.net',
      'seller.vatId',
      'buyer.vatId',
      'payment.iban',
    ] as const) {
      expect(reread.fields[field]?.value, field).toBe(
        (await env.app.inject({ url: `/v1/extractions/${id}`, headers: bearer(owner.token) })).json().fields[
          field
        ],
      );
    }
    expect(
      reread.findings
        .filter((f) => f.severity === 'error' && f.code.startsWith('en16931'))
        .map((f) => f.message),
    ).toEqual([]);
  });

  it('lets only a caller holding extractions:export mark one exported: viewer, read-only and write-only tokens 403, export token 200', async () => {
    const id = await extractedDocument('ERP-ACK-SCOPE');
    expect((await validate(id)).statusCode).toBe(200);
    const tokenWith = async (scopes: string[]) =>
      (
        await env.app.inject({
          method: 'POST',
          url: '/v1/tokens',
          headers: bearer(owner.token),
          payload: { name: scopes.join(' '), scopes },
        })
      ).json().token as string;
    const ack = (credential: string) =>
      env.app.inject({ method: 'POST', url: `/v1/extractions/${id}/ack`, headers: bearer(credential) });
    const viewer = await addMember(env, owner, 'viewer');

    expect((await ack(viewer.token)).statusCode).toBe(403);
    expect((await ack(await tokenWith(['extractions:read']))).statusCode).toBe(403);
    const pending = (
      await env.app.inject({ url: '/v1/extractions?exported=false&limit=100', headers: bearer(owner.token) })
    ).json();
    expect(pending.items.some((i: { documentId: string }) => i.documentId === id)).toBe(true);
    expect((await ack(await tokenWith(['extractions:read', 'extractions:write']))).statusCode).toBe(403);
    const exported = await ack(await tokenWith(['extractions:read', 'extractions:export']));
    expect(exported.statusCode, exported.body).toBe(200);
  });

  it('refuses to acknowledge what is not validated', async () => {
    const id = await extractedDocument('ERP-2');
    const res = await env.app.inject({
      method: 'POST',
      url: `/v1/extractions/${id}/ack`,
      headers: bearer(owner.token),
    });
    expect(res.statusCode).toBe(409);
  });
});
