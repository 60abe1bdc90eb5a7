/**
 * Learning from corrections through the real pipeline (API, worker, PostgreSQL with RLS, Redis,
 * Azurite): a correction teaches the supplier's profile, the supplier's next document is read with
 * what was learned, and nothing of it reaches another tenant or survives the profile's deletion.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers.js';
import { germanLayout, textInvoicePdfBytes } from '../../unit/extraction/fixtures/pdf-fixtures.js';
import { SAMPLE } from '../../unit/extraction/fixtures/invoice-model.js';
import { bearer, signup, type SignedUp } from '../../helpers/auth.js';
import { uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();
let workers: RunningWorkers;
let a: SignedUp;
let b: SignedUp;

beforeAll(async () => {
  workers = await startWorkers(env.container);
  a = await signup(env.app);
  b = await signup(env.app);
});
afterAll(async () => workers?.close());

/**
 * One supplier's layout: its document number stands beside "Vorgang", a label the general rules
 * do not know, so they miss it; a person corrects it once.
 */
async function supplierPdf(number: string, options: { label?: string } = {}): Promise<Buffer> {
  const layout = germanLayout(SAMPLE);
  layout.title = 'Rechnung';
  layout.header = [
    [options.label ?? 'Vorgang', number],
    ['Rechnungsdatum:', '14.03.2024'],
    ['Währung:', 'EUR'],
  ];
  layout.footer = ['IBAN: DE02 1203 0000 0000 2020 51'];
  return Buffer.from(await textInvoicePdfBytes(layout));
}

interface Extraction {
  version: number;
  result: {
    fields: Record<string, { value: string; source: string; confidence: number }>;
    findings: { code: string; message: string }[];
  };
}

async function extracted(who: SignedUp, bytes: Buffer): Promise<{ id: string; extraction: Extraction }> {
  const up = await uploadRaw(env.app, who.token, bytes, { contentType: 'application/pdf' });
  expect(up.statusCode, up.body).toBe(201);
  const id = up.json().id as string;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const doc = (await env.app.inject({ url: `/v1/documents/${id}`, headers: bearer(who.token) })).json();
    if (!['stored', 'queued', 'extracting'].includes(doc.status)) break;
    if (Date.now() > deadline) throw new Error('not extracted in time');
    await new Promise((r) => setTimeout(r, 150));
  }
  const res = await env.app.inject({ url: `/v1/documents/${id}/extraction`, headers: bearer(who.token) });
  expect(res.statusCode, res.body).toBe(200);
  return { id, extraction: res.json() as Extraction };
}

const correct = (who: SignedUp, id: string, fields: Record<string, string | null>) =>
  env.app.inject({
    method: 'PATCH',
    url: `/v1/documents/${id}/extraction`,
    headers: bearer(who.token),
    payload: { fields },
  });

const learnedFields = (e: Extraction) =>
  Object.entries(e.result.fields)
    .filter(([, f]) => f.source === 'learned')
    .map(([name]) => name);

async function suppliersOf(who: SignedUp) {
  const res = await env.app.inject({ url: '/v1/suppliers', headers: bearer(who.token) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as { id: string; vatId: string | null; hintFields: string[] }[];
}

describe('learning from corrections', () => {
  let profileId: string;

  it('a correction teaches the supplier profile, audited in the correction', async () => {
    const first = await extracted(a, await supplierPdf('KW-2024/0117'));
    // The general rules do not find this number: otherwise there would be nothing to learn.
    expect(first.extraction.result.fields.invoiceNumber?.value).not.toBe('KW-2024/0117');
    // A refused correction teaches nothing.
    expect(
      (await correct(a, first.id, { issueDate: 'not a date', invoiceNumber: 'KW-2024/0117' })).statusCode,
    ).toBe(400);
    expect(await suppliersOf(a)).toEqual([]);

    const res = await correct(a, first.id, { invoiceNumber: 'KW-2024/0117' });
    expect(res.statusCode, res.body).toBe(200);
    const [profile, ...others] = await suppliersOf(a);
    expect(others).toEqual([]);
    expect(profile).toMatchObject({ vatId: 'DE136695976', hintFields: ['invoiceNumber'] });
    profileId = profile!.id;

    const detail = await env.app.inject({ url: `/v1/suppliers/${profileId}`, headers: bearer(a.token) });
    expect(detail.statusCode, detail.body).toBe(200);
    expect(detail.json()).toMatchObject({
      name: 'Muster Lieferant GmbH',
      iban: 'DE02120300000000202051',
      corrections: 1,
      hints: [{ field: 'invoiceNumber', page: 1, anchor: 'label-right', label: 'vorgang', learned: 1 }],
    });
    expect(detail.json().hints[0].description).toContain('right of the label "vorgang"');

    // The learning event and the correction are one transaction: both or neither.
    const { rows } = await env.adminQuery(
      `SELECT action, payload, xmin::text AS txid FROM audit_events
        WHERE tenant_id = $1 AND action IN ('supplier_profile.learned', 'extraction.field_corrected')
        ORDER BY ingest_id`,
      [a.tenantId],
    );
    expect(rows.map((r) => r.action)).toEqual(['extraction.field_corrected', 'supplier_profile.learned']);
    expect(rows[1].payload).toMatchObject({ documentId: first.id, created: true, hints: ['invoiceNumber'] });
    expect(rows[1].txid).toBe(rows[0].txid);
  });

  it("reads the supplier's next document with what was learned", async () => {
    const next = await extracted(a, await supplierPdf('KW-2024/0342'));
    expect(next.extraction.result.fields.invoiceNumber).toMatchObject({
      value: 'KW-2024/0342',
      source: 'learned',
    });
    expect(next.extraction.result.fields.invoiceNumber!.confidence).toBeGreaterThanOrEqual(0.9);
    expect(next.extraction.result.findings.map((f) => f.code)).toContain('supplier_profile_applied');
  });

  it("changes nothing for another tenant's document of the same supplier", async () => {
    const theirs = await extracted(b, await supplierPdf('KW-2024/0342'));
    expect(theirs.extraction.result.fields.invoiceNumber?.value).not.toBe('KW-2024/0342');
    expect(learnedFields(theirs.extraction)).toEqual([]);
    expect(await suppliersOf(b)).toEqual([]);
    const foreign = await env.app.inject({ url: `/v1/suppliers/${profileId}`, headers: bearer(b.token) });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.headers['content-type']).toContain('application/problem+json');
    // Even with RLS as the only guard, tenant B's transaction sees no row of A.
    const seen = await env.container.db.withTenant(
      { tenantId: b.tenantId, actor: { kind: 'system', id: 'test' } } as never,
      (tx) => tx.supplierProfile.count(),
    );
    expect(seen).toBe(0);
  });

  it('falls back to the general rules when a learned hint does not match the new document', async () => {
    const relabelled = await extracted(a, await supplierPdf('KW-2024/0500', { label: 'Rechnungsnummer:' }));
    const fields = relabelled.extraction.result.fields;
    // The general rules know this label and read the number themselves, not from the profile.
    expect(fields.invoiceNumber).toMatchObject({ value: 'KW-2024/0500' });
    expect(fields.invoiceNumber!.source).not.toBe('learned');
    const applied = relabelled.extraction.result.findings.find((f) => f.code === 'supplier_profile_applied');
    expect(applied?.message).toContain('the label "vorgang" is not on page 1');
  });

  it('corrects master data and drops hints through PATCH, refusing what cannot be a value', async () => {
    const bad = await env.app.inject({
      method: 'PATCH',
      url: `/v1/suppliers/${profileId}`,
      headers: bearer(a.token),
      payload: { iban: 'DE00 0000 0000 0000 0000 00' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    const unknownField = await env.app.inject({
      method: 'PATCH',
      url: `/v1/suppliers/${profileId}`,
      headers: bearer(a.token),
      payload: { dropHints: ['notAField'] },
    });
    expect(unknownField.statusCode).toBe(400);
    const before = (
      await env.app.inject({ url: `/v1/suppliers/${profileId}`, headers: bearer(a.token) })
    ).json();
    expect(before.iban).toBe('DE02120300000000202051');

    const res = await env.app.inject({
      method: 'PATCH',
      url: `/v1/suppliers/${profileId}`,
      headers: bearer(a.token),
      payload: { name: 'Muster Lieferant GmbH & Co. KG', dropHints: ['invoiceNumber'] },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ name: 'Muster Lieferant GmbH & Co. KG', hints: [] });
    const { rows } = await env.adminQuery(
      `SELECT payload FROM audit_events WHERE tenant_id = $1 AND action = 'supplier_profile.changed'`,
      [a.tenantId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].payload).toMatchObject({ fields: ['name'], droppedHints: ['invoiceNumber'] });
  });

  it('deleting the profile removes its effect: the next document gets no learned values', async () => {
    const first = await extracted(a, await supplierPdf('KW-2024/0600'));
    expect((await correct(a, first.id, { invoiceNumber: 'KW-2024/0600' })).statusCode).toBe(200);
    expect((await suppliersOf(a))[0]?.hintFields).toEqual(['invoiceNumber']);
    const learnt = await extracted(a, await supplierPdf('KW-2024/0601'));
    expect(learnedFields(learnt.extraction)).toContain('invoiceNumber');

    const del = await env.app.inject({
      method: 'DELETE',
      url: `/v1/suppliers/${profileId}`,
      headers: bearer(a.token),
    });
    expect(del.statusCode, del.body).toBe(204);
    expect(await suppliersOf(a)).toEqual([]);
    const { rows } = await env.adminQuery(
      `SELECT payload FROM audit_events WHERE tenant_id = $1 AND action = 'supplier_profile.deleted' AND target_id = $2`,
      [a.tenantId, profileId],
    );
    expect(rows).toHaveLength(1);

    const after = await extracted(a, await supplierPdf('KW-2024/0602'));
    expect(learnedFields(after.extraction)).toEqual([]);
    expect(after.extraction.result.fields.invoiceNumber?.value).not.toBe('KW-2024/0602');
    expect(after.extraction.result.findings.map((f) => f.code)).not.toContain('supplier_profile_applied');
  });

  it("keeps a document's words out of the API and removes them when the document is purged", async () => {
    const doc = await extracted(a, await supplierPdf('KW-2024/0700'));
    expect(JSON.stringify(doc.extraction)).not.toContain('textLayer');
    const layer = () =>
      env
        .adminQuery('SELECT 1 FROM document_text_layers WHERE document_id = $1', [doc.id])
        .then((r) => r.rowCount);
    expect(await layer()).toBe(1);
    await env.adminQuery('UPDATE documents SET purged_at = now() WHERE id = $1', [doc.id]);
    expect(await layer()).toBe(0);
  });
});

describe('what a page does not print', () => {
  /** The supplier's invoice to one buyer, without the buyer's VAT ID on the page. */
  async function withoutBuyerVatId(number: string, buyer: string): Promise<Buffer> {
    const layout = germanLayout(SAMPLE);
    layout.title = `Rechnung Nr. ${number}`;
    layout.buyerBlock = ['Rechnungsempfänger:', buyer, 'Namesti 5', '110 00 Praha'];
    return Buffer.from(await textInvoicePdfBytes(layout));
  }

  it('a per-document field is never filled from the profile; a buyer VAT ID only for the buyer it was entered for', async () => {
    const c = await signup(env.app);
    const first = await extracted(c, await withoutBuyerVatId('2024-0117', 'Kunde Beispiel s.r.o.'));
    expect(first.extraction.result.fields['buyer.vatId']).toBeUndefined();
    // A person enters values the page does not show: numbers, dates and amounts of this one
    // document, and the buyer's VAT ID the firm knows (with the buyer as printed).
    const res = await correct(c, first.id, {
      'buyer.name': 'Kunde Beispiel s.r.o.',
      invoiceNumber: 'RE-INTERN-7731',
      issueDate: '2024-03-01',
      'totals.gross': '999.99',
      'buyer.vatId': 'CZ25596641',
    });
    expect(res.statusCode, res.body).toBe(200);
    const [summary] = await suppliersOf(c);
    const profile = (
      await env.app.inject({ url: `/v1/suppliers/${summary!.id}`, headers: bearer(c.token) })
    ).json();
    // None of the values the page does not show has a place (the buyer's name was read as
    // printed, so its "correction" changed nothing and taught nothing either).
    expect(profile.hints.map((h: { field: string }) => h.field)).toEqual([]);
    expect(profile.constants).toEqual({ 'buyer.vatId': 'CZ25596641', forBuyer: 'Kunde Beispiel s.r.o.' });

    const next = await extracted(c, await withoutBuyerVatId('2024-0342', 'Kunde Beispiel s.r.o.'));
    const fields = next.extraction.result.fields;
    expect(fields.invoiceNumber?.value).toBe('2024-0342');
    for (const perDocument of ['invoiceNumber', 'issueDate', 'totals.gross'])
      expect(fields[perDocument]?.source, perDocument).not.toBe('learned');
    expect(fields['totals.gross']?.value).toBe('1210.00');
    expect(fields['buyer.vatId']).toMatchObject({ value: 'CZ25596641', source: 'learned', confidence: 0.75 });
    expect(fields['buyer.vatId']).not.toHaveProperty('bbox');
    expect(next.extraction.result.findings).toContainEqual(
      expect.objectContaining({
        code: 'filled_from_supplier_profile',
        severity: 'info',
        field: 'buyer.vatId',
      }),
    );

    // The same supplier billing another client of the firm: that client's VAT ID is not known.
    const other = await extracted(c, await withoutBuyerVatId('2024-0343', 'Papierhaus Schulz KG'));
    expect(other.extraction.result.fields['buyer.vatId']).toBeUndefined();
  });
});
