/**
 * Straight-through processing through the real pipeline (API + worker, PostgreSQL, Redis,
 * Azurite): at `confident` the worker validates a document itself only when every condition
 * holds, and each condition alone keeps it for a person (a field below the threshold, a warning
 * finding, too few validated documents of the supplier, a duplicate); `never` automates nothing;
 * `always` still never a duplicate. The audit event names the worker and the rule, and the ERP
 * hand-off lists the document like one a person validated. The setting's route: who may read and
 * change it, malformed input, and that one firm's setting is not another's.
 */
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers.js';
import { SAMPLE, type FixtureInvoice } from '../../unit/extraction/fixtures/invoice-model.js';
import { germanLayout, textInvoicePdfBytes } from '../../unit/extraction/fixtures/pdf-fixtures.js';
import { ublXml } from '../../unit/extraction/fixtures/xml-fixtures.js';
import { addMember, bearer, signup, type SignedUp } from '../../helpers/auth.js';
import { uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();
let workers: RunningWorkers;

beforeAll(async () => {
  workers = await startWorkers(env.container);
});
afterAll(async () => workers?.close());

const putAutomation = (who: SignedUp, payload: unknown) =>
  env.app.inject({
    method: 'PUT',
    url: '/v1/tenant/automation',
    headers: bearer(who.token),
    payload: payload as Record<string, unknown>,
  });

const getAutomation = (who: SignedUp) =>
  env.app.inject({ url: '/v1/tenant/automation', headers: bearer(who.token) });

interface Processed {
  id: string;
  status: string;
  findings: { code: string; severity: string }[];
  fields: Record<string, { value: string; confidence: number; source: string; confirmedBy?: string }>;
}

async function processed(who: SignedUp, bytes: Buffer | Uint8Array, contentType: string): Promise<Processed> {
  const up = await uploadRaw(env.app, who.token, Buffer.from(bytes), { contentType });
  expect(up.statusCode, up.body).toBe(201);
  const id = up.json().id as string;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const doc = (await env.app.inject({ url: `/v1/documents/${id}`, headers: bearer(who.token) })).json();
    if (!['stored', 'queued', 'extracting'].includes(doc.status)) {
      const extraction = (
        await env.app.inject({ url: `/v1/documents/${id}/extraction`, headers: bearer(who.token) })
      ).json();
      return {
        id,
        status: doc.status,
        findings: extraction.result.findings,
        fields: extraction.result.fields,
      };
    }
    if (Date.now() > deadline) throw new Error('not extracted in time');
    await new Promise((r) => setTimeout(r, 150));
  }
}

const ubl = (who: SignedUp, invoice: FixtureInvoice) =>
  processed(who, Buffer.from(ublXml(invoice)), 'application/xml');

async function autoValidations(documentId: string) {
  const { rows } = await env.adminQuery(
    `SELECT actor_kind, actor_id, payload FROM audit_events
      WHERE target_id = $1 AND action = 'extraction.auto_validated' ORDER BY ingest_id`,
    [documentId],
  );
  return rows;
}

async function exportedIds(who: SignedUp): Promise<string[]> {
  const res = await env.app.inject({ url: '/v1/extractions?limit=500', headers: bearer(who.token) });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().items as { documentId: string }[]).map((i) => i.documentId);
}

/** An invoice of another supplier: other name, VAT ID, company id and account. */
const otherSupplier = (number: string): FixtureInvoice => ({
  ...SAMPLE,
  number,
  seller: { name: 'Andere Handels AG', vatId: 'DE129273398', companyId: 'HRB 99881' },
  iban: 'DE89370400440532013000',
});

/** A firm whose supplier SAMPLE.seller has one validated document (validated by a person). */
/** A person of `firm` validates the document (it then counts in the firm's supplier directory). */
async function validateAsPerson(firm: SignedUp, documentId: string): Promise<void> {
  const validated = await env.app.inject({
    method: 'POST',
    url: `/v1/documents/${documentId}/extraction/validate`,
    headers: bearer(firm.token),
    payload: {},
  });
  expect(validated.statusCode, validated.body).toBe(200);
}

async function firmWithHistory(): Promise<SignedUp> {
  const firm = await signup(env.app);
  const first = await ubl(firm, { ...SAMPLE, number: 'HIST-1' });
  expect(first.status).toBe('extracted');
  expect(await autoValidations(first.id)).toEqual([]);
  await validateAsPerson(firm, first.id);
  return firm;
}

describe('automation level confident', () => {
  let firm: SignedUp;

  beforeAll(async () => {
    firm = await firmWithHistory();
    const set = await putAutomation(firm, { level: 'confident' });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toEqual({
      level: 'confident',
      threshold: 0.99,
      minValidated: 1,
      changedAt: expect.any(String),
    });
  });

  it('validates a confident, clean document of a known supplier; the audit names the worker and the rule', async () => {
    const doc = await ubl(firm, { ...SAMPLE, number: 'STP-OK-1' });
    expect(doc.status).toBe('validated');
    expect(await autoValidations(doc.id)).toEqual([
      {
        actor_kind: 'worker',
        actor_id: 'worker:extraction',
        payload: { version: 1, level: 'confident', threshold: 0.99, minValidated: 1, supplierValidated: 1 },
      },
    ]);
    // The ERP hand-off lists it like a document a person validated.
    expect(await exportedIds(firm)).toContain(doc.id);
  });

  it('keeps a document with a field below the threshold for a person', async () => {
    // No supplier history asked for, so only the text layer's confidences (below 0.99) stand in the way.
    const lenient = await signup(env.app);
    expect((await putAutomation(lenient, { level: 'confident', minValidated: 0 })).statusCode).toBe(200);
    const pdf = await textInvoicePdfBytes(germanLayout({ ...SAMPLE, number: 'STP-LOW-1' }));
    const doc = await processed(lenient, pdf, 'application/pdf');
    expect(doc.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(doc.status).not.toBe('validated');
    expect(await autoValidations(doc.id)).toEqual([]);
  });

  it('lifts a value to the threshold only when an independent check confirms it, and still keeps the document while another field is unconfirmed', async () => {
    // The supplier's validated invoice is in the directory: a text PDF of its next invoice has
    // totals that reconcile and the IBAN, VAT ID and currency the supplier is known by.
    const pdf = await textInvoicePdfBytes(germanLayout({ ...SAMPLE, number: 'STP-CONF-1' }));
    const doc = await processed(firm, pdf, 'application/pdf');
    for (const name of ['totals.net', 'totals.tax', 'totals.gross'])
      expect(doc.fields[name], name).toMatchObject({ confirmedBy: 'totals', source: 'text' });
    // The IBAN it was paid to, the currency and buyer of its validated invoice, and dates as far
    // apart as that invoice's (14 days): the directory's columns reach the engine.
    for (const name of ['payment.iban', 'currency', 'issueDate', 'dueDate'])
      expect(doc.fields[name], name).toMatchObject({ confirmedBy: 'supplier' });
    // The buyer is confirmed exactly when it was read as the validated invoice has it.
    const buyer = doc.fields['buyer.name'];
    expect(buyer?.confirmedBy === 'supplier').toBe(buyer?.value === SAMPLE.buyer.name);
    for (const field of Object.values(doc.fields).filter((f) => f.confirmedBy))
      expect(field.confidence).toBeGreaterThanOrEqual(0.99);
    // The invoice number is one reading of the page, and not in the numbering of the supplier's
    // validated invoice (HIST-1): below the threshold, so a person decides.
    expect(doc.fields.invoiceNumber?.confirmedBy).toBeUndefined();
    expect(doc.fields.invoiceNumber?.confidence).toBeLessThan(0.99);
    expect(doc.status).not.toBe('validated');
    // Totals that do not reconcile confirm nothing, and an IBAN the supplier was never paid to
    // is not confirmed either.
    const off = await processed(
      firm,
      await textInvoicePdfBytes({
        ...germanLayout({ ...SAMPLE, number: 'STP-CONF-2' }),
        totals: [
          ['Summe netto', '1.000,00 €'],
          ['USt 21 %', '210,00 €'],
          ['Gesamtbetrag', '1.201,00 €'],
        ],
        footer: ['IBAN: DE89 3704 0044 0532 0130 00', 'Verwendungszweck: 20240043'],
      }),
      'application/pdf',
    );
    expect(off.findings.map((f) => f.code)).toEqual(
      expect.arrayContaining(['totals_mismatch', 'supplier_iban_changed']),
    );
    for (const name of ['totals.net', 'totals.tax', 'totals.gross', 'payment.iban']) {
      expect(off.fields[name]?.confirmedBy, name).toBeUndefined();
      expect(off.fields[name]?.confidence, name).toBeLessThan(0.99);
    }
    expect(await autoValidations(off.id)).toEqual([]);
  });

  it("confirms a number of digits only and a date without terms where the supplier's validated PDF printed them, and nowhere else", async () => {
    const firm = await signup(env.app);
    expect((await putAutomation(firm, { level: 'confident' })).statusCode).toBe(200);
    // No due date: the issue date has no payment terms to be confirmed by.
    const layout = (number: string, header: [string, string][]) =>
      textInvoicePdfBytes({ ...germanLayout({ ...SAMPLE, number }), header });
    const dated = (date: string): [string, string][] => [
      ['Rechnungsdatum:', date],
      ['Währung:', SAMPLE.currency],
    ];
    const first = await processed(firm, await layout('4711', dated('14.03.2024')), 'application/pdf');
    expect(first.fields.invoiceNumber?.confirmedBy).toBeUndefined();
    expect(first.fields.issueDate?.confirmedBy).toBeUndefined();
    await validateAsPerson(firm, first.id);

    const next = await processed(firm, await layout('4712', dated('15.04.2024')), 'application/pdf');
    expect(next.fields.invoiceNumber).toMatchObject({
      value: '4712',
      source: 'text',
      confirmedBy: 'supplier',
    });
    expect(next.fields.issueDate).toMatchObject({
      value: '2024-04-15',
      source: 'text',
      confirmedBy: 'supplier',
    });
    for (const name of ['invoiceNumber', 'issueDate'])
      expect(next.fields[name]!.confidence, name).toBeGreaterThanOrEqual(0.99);

    // The same supplier with its date one row lower (a customer number above it): another place.
    const moved = await processed(
      firm,
      await layout('4713', [['Kundennummer:', 'K-0815'], ...dated('16.04.2024')]),
      'application/pdf',
    );
    expect(moved.fields.issueDate).toMatchObject({ value: '2024-04-16', source: 'text' });
    expect(moved.fields.issueDate?.confirmedBy).toBeUndefined();
    expect(moved.fields.issueDate!.confidence).toBeLessThan(0.99);
    expect(moved.status).not.toBe('validated');

    // Another firm's validated PDF places nothing for this firm.
    const elsewhere = await signup(env.app);
    const theirs = await processed(elsewhere, await layout('4712', dated('15.04.2024')), 'application/pdf');
    expect(theirs.fields.invoiceNumber?.confirmedBy).toBeUndefined();
    expect(theirs.fields.issueDate?.confirmedBy).toBeUndefined();
  });

  it('keeps a document with a warning finding for a person', async () => {
    // A VAT ID with a wrong check digit: the supplier is still known by its company id.
    const doc = await ubl(firm, {
      ...SAMPLE,
      number: 'STP-WARN-1',
      seller: { ...SAMPLE.seller, vatId: 'DE136695977' },
    });
    expect(doc.findings.map((f) => f.severity)).toContain('warning');
    expect(doc.findings.map((f) => f.severity)).not.toContain('error');
    expect(doc.status).toBe('extracted');
    expect(await autoValidations(doc.id)).toEqual([]);
  });

  it('keeps a document of a supplier with too few validated documents for a person, until the setting asks for none', async () => {
    const first = await ubl(firm, otherSupplier('STP-NEW-1'));
    expect(first.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(first.status).toBe('extracted');
    expect(await autoValidations(first.id)).toEqual([]);
    const later = await firmWithHistory();
    expect((await putAutomation(later, { level: 'confident', minValidated: 0 })).statusCode).toBe(200);
    const second = await ubl(later, otherSupplier('STP-NEW-2'));
    expect(second.status).toBe('validated');
    expect((await autoValidations(second.id))[0].payload).toMatchObject({
      minValidated: 0,
      supplierValidated: 0,
    });
  });

  it('never validates a duplicate, even when everything else holds', async () => {
    const original = await ubl(firm, { ...SAMPLE, number: 'STP-DUP-1' });
    expect(original.status).toBe('validated');
    // The same invoice again as other bytes (a comment the data does not see).
    const copy = await processed(
      firm,
      Buffer.from(`${ublXml({ ...SAMPLE, number: 'STP-DUP-1' })}\n<!-- re-sent -->\n`),
      'application/xml',
    );
    expect(copy.findings.map((f) => f.code)).toContain('duplicate_invoice');
    expect(copy.status).toBe('needs_review');
    expect(await autoValidations(copy.id)).toEqual([]);
  });
});

describe('a value a person accepted before', () => {
  /**
   * SAMPLE with placeholder VAT IDs whose check digits are wrong (test values a firm kept once),
   * and a payment reference that is the invoice number.
   */
  const placeholder = (number: string, vatId = 'DE123456789'): FixtureInvoice => ({
    ...SAMPLE,
    number,
    reference: number,
    seller: { ...SAMPLE.seller, vatId },
    buyer: { ...SAMPLE.buyer, vatId: 'DE999999999' },
  });

  it("no longer blocks the supplier's next document in the firm that validated it, and only there", async () => {
    const firm = await signup(env.app);
    const first = await ubl(firm, placeholder('ACC-1'));
    for (const field of ['seller.vatId', 'buyer.vatId'])
      expect(first.findings).toContainEqual(
        expect.objectContaining({ code: 'vat_id_invalid_checksum', severity: 'warning', field }),
      );
    await validateAsPerson(firm, first.id);
    expect((await putAutomation(firm, { level: 'confident' })).statusCode).toBe(200);

    // The same value again: an info finding saying it was accepted, and the document goes through.
    const next = await ubl(firm, placeholder('ACC-2'));
    for (const field of ['seller.vatId', 'buyer.vatId'])
      expect(next.findings).toContainEqual(
        expect.objectContaining({ code: 'vat_id_invalid_checksum_accepted_before', severity: 'info', field }),
      );
    expect(next.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(next.fields['seller.vatId']).toMatchObject({ value: 'DE123456789', confirmedBy: 'supplier' });
    // Its validated invoice's reference was its number: the reference is the supplier's scheme.
    expect(next.fields['payment.reference']).toMatchObject({ value: 'ACC-2', confirmedBy: 'supplier' });
    expect(next.status).toBe('validated');
    expect(await autoValidations(next.id)).toHaveLength(1);

    // Another invalid VAT ID for the same supplier (known by its company id) is still news.
    const other = await ubl(firm, placeholder('ACC-3', 'DE234567891'));
    expect(other.findings).toContainEqual(
      expect.objectContaining({
        code: 'vat_id_invalid_checksum',
        severity: 'warning',
        field: 'seller.vatId',
      }),
    );
    expect(other.status).not.toBe('validated');

    // Another firm's validation counts for nothing: its own first document of the supplier warns.
    const elsewhere = await signup(env.app);
    expect((await putAutomation(elsewhere, { level: 'confident', minValidated: 0 })).statusCode).toBe(200);
    const theirs = await ubl(elsewhere, placeholder('ACC-2'));
    expect(theirs.findings).toContainEqual(
      expect.objectContaining({
        code: 'vat_id_invalid_checksum',
        severity: 'warning',
        field: 'seller.vatId',
      }),
    );
    expect(theirs.findings.map((f) => f.code)).not.toContain('vat_id_invalid_checksum_accepted_before');
    expect(theirs.status).not.toBe('validated');
    expect(await autoValidations(theirs.id)).toEqual([]);
  });
});

describe('automation levels never and always', () => {
  it('at never (the default) validates nothing, however confident', async () => {
    const firm = await firmWithHistory();
    expect((await getAutomation(firm)).json()).toEqual({
      level: 'never',
      threshold: 0.99,
      minValidated: 1,
      changedAt: null,
    });
    const doc = await ubl(firm, { ...SAMPLE, number: 'NEVER-1' });
    expect(doc.status).toBe('extracted');
    expect(await autoValidations(doc.id)).toEqual([]);
  });

  it('at always validates a document below the threshold, but never a duplicate', async () => {
    const firm = await firmWithHistory();
    expect((await putAutomation(firm, { level: 'always' })).statusCode).toBe(200);
    const pdf = await textInvoicePdfBytes(germanLayout({ ...SAMPLE, number: 'ALWAYS-1' }));
    const doc = await processed(firm, pdf, 'application/pdf');
    expect(doc.status).toBe('validated');
    expect((await autoValidations(doc.id))[0].payload).toMatchObject({ level: 'always' });
    const copy = await processed(
      firm,
      Buffer.from(`${ublXml({ ...SAMPLE, number: 'HIST-1' })}\n<!-- again -->\n`),
      'application/xml',
    );
    expect(copy.findings.map((f) => f.code)).toContain('duplicate_invoice');
    expect(copy.status).toBe('needs_review');
    expect(await autoValidations(copy.id)).toEqual([]);
  });
});

describe('the automation setting', () => {
  it('owners and admins change it, each change audited with the old and new rule; accountants and viewers may not', async () => {
    const owner = await signup(env.app);
    const admin = await addMember(env, owner, 'admin');
    const accountant = await addMember(env, owner, 'accountant');
    const viewer = await addMember(env, owner, 'viewer');
    expect((await putAutomation(accountant, { level: 'always' })).statusCode).toBe(403);
    expect((await putAutomation(viewer, { level: 'always' })).statusCode).toBe(403);
    expect((await getAutomation(accountant)).statusCode).toBe(403);
    const byAdmin = await putAutomation(admin, { level: 'confident', threshold: 0.995, minValidated: 3 });
    expect(byAdmin.statusCode, byAdmin.body).toBe(200);
    expect((await getAutomation(owner)).json()).toMatchObject({
      level: 'confident',
      threshold: 0.995,
      minValidated: 3,
    });
    expect(
      (await putAutomation(owner, { level: 'confident', threshold: 0.995, minValidated: 3 })).statusCode,
    ).toBe(200);
    expect((await putAutomation(owner, { level: 'never' })).json()).toMatchObject({
      level: 'never',
      minValidated: 3,
    });
    const { rows } = await env.adminQuery(
      `SELECT actor_id, payload FROM audit_events
        WHERE tenant_id = $1 AND action = 'tenant.automation_changed' ORDER BY ingest_id`,
      [owner.tenantId],
    );
    expect(rows).toEqual([
      {
        actor_id: admin.userId,
        payload: {
          from: { level: 'never', threshold: 0.99, minValidated: 1 },
          to: { level: 'confident', threshold: 0.995, minValidated: 3 },
        },
      },
      {
        actor_id: owner.userId,
        payload: {
          from: { level: 'confident', threshold: 0.995, minValidated: 3 },
          to: { level: 'never', threshold: 0.995, minValidated: 3 },
        },
      },
    ]);
  });

  it('refuses malformed settings with 400 and changes nothing', async () => {
    const owner = await signup(env.app);
    for (const payload of [
      { level: 'sometimes' },
      {},
      { level: 'confident', threshold: 1.5 },
      { level: 'confident', threshold: 0.2 },
      { level: 'confident', threshold: '0.99' },
      { level: 'confident', minValidated: -1 },
      { level: 'confident', minValidated: 2.5 },
      { level: 'confident', minValidated: 100000 },
      { level: 'confident', extra: true },
    ]) {
      const res = await putAutomation(owner, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await getAutomation(owner)).json()).toMatchObject({ level: 'never', changedAt: null });
  });

  it("changes only the caller's firm", async () => {
    const a = await signup(env.app);
    const b = await signup(env.app);
    expect((await putAutomation(a, { level: 'always' })).statusCode).toBe(200);
    expect((await getAutomation(b)).json()).toMatchObject({ level: 'never', changedAt: null });
    expect((await getAutomation(a)).json()).toMatchObject({ level: 'always' });
  });
});
