/**
 * Duplicate invoices through the real pipeline (API + worker, PostgreSQL, Redis, Azurite): the
 * same invoice re-saved as a different PDF (other producer and metadata, so other bytes and
 * another sha256) is flagged `duplicateOf` the first, shown so in the document, extraction and
 * review-queue views, refused at validation without the explicit override, and never handed to
 * an ERP without it; a scan of a stored text PDF is caught as well. Another supplier's invoice
 * with the same number is not a duplicate, nor is another firm's identical invoice.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers.js';
import { SAMPLE, type FixtureInvoice } from '../../unit/extraction/fixtures/invoice-model.js';
import {
  germanLayout,
  scannedPdfBytes,
  textInvoicePdf,
  textInvoicePdfBytes,
} from '../../unit/extraction/fixtures/pdf-fixtures.js';
import { bearer, signup, type SignedUp } from '../../helpers/auth.js';
import { uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();
let workers: RunningWorkers;
let firm: SignedUp;
let otherFirm: SignedUp;

beforeAll(async () => {
  workers = await startWorkers(env.container);
  firm = await signup(env.app);
  otherFirm = await signup(env.app);
});
afterAll(async () => workers?.close());

/** The invoice rendered as a text PDF; `producer` changes the bytes, not what the page says. */
async function invoicePdf(invoice: FixtureInvoice, producer: string): Promise<Buffer> {
  const pdf = await textInvoicePdf(germanLayout(invoice));
  pdf.setProducer(producer);
  pdf.setCreator(producer);
  pdf.setTitle(`${invoice.number} (${producer})`);
  pdf.setCreationDate(new Date(producer.length * 86_400_000));
  return Buffer.from(await pdf.save());
}

interface Processed {
  id: string;
  status: string;
  duplicateOf: string | null;
  extraction: {
    duplicateOf: string | null;
    result: { findings: { code: string; severity: string }[]; fields: Record<string, { value: string }> };
  };
}

async function processed(who: SignedUp, bytes: Buffer): Promise<Processed> {
  const up = await uploadRaw(env.app, who.token, bytes, { contentType: 'application/pdf' });
  expect(up.statusCode, up.body).toBe(201);
  const id = up.json().id as string;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const doc = (await env.app.inject({ url: `/v1/documents/${id}`, headers: bearer(who.token) })).json();
    if (!['stored', 'queued', 'extracting'].includes(doc.status)) {
      const extraction = (
        await env.app.inject({ url: `/v1/documents/${id}/extraction`, headers: bearer(who.token) })
      ).json();
      return { id, status: doc.status, duplicateOf: doc.duplicateOf, extraction };
    }
    if (Date.now() > deadline) throw new Error('not extracted in time');
    await new Promise((r) => setTimeout(r, 150));
  }
}

const validate = (who: SignedUp, id: string, payload: unknown) =>
  env.app.inject({
    method: 'POST',
    url: `/v1/documents/${id}/extraction/validate`,
    headers: bearer(who.token),
    payload: payload as Record<string, unknown>,
  });

async function exportedIds(who: SignedUp): Promise<string[]> {
  const res = await env.app.inject({ url: '/v1/extractions?limit=500', headers: bearer(who.token) });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().items as { documentId: string }[]).map((i) => i.documentId);
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const INVOICE: FixtureInvoice = { ...SAMPLE, number: 'DUP-2024-007' };

describe('duplicate invoices', () => {
  let original: Processed;
  let copy: Processed;
  let copyBytes: Buffer;

  beforeAll(async () => {
    const first = await invoicePdf(INVOICE, 'Writer A');
    copyBytes = await invoicePdf(INVOICE, 'Print to PDF B');
    expect(sha256(first)).not.toBe(sha256(copyBytes));
    original = await processed(firm, first);
    copy = await processed(firm, copyBytes);
  });

  it('flags the same invoice re-saved as another PDF, in the document, extraction and review-queue views', async () => {
    expect(original.extraction.result.fields.invoiceNumber?.value).toBe('DUP-2024-007');
    expect(original.duplicateOf).toBeNull();
    expect(original.extraction.duplicateOf).toBeNull();
    expect(original.extraction.result.findings.map((f) => f.code)).not.toContain('duplicate_invoice');

    expect(copy.duplicateOf).toBe(original.id);
    expect(copy.extraction.duplicateOf).toBe(original.id);
    expect(copy.extraction.result.findings).toContainEqual(
      expect.objectContaining({ code: 'duplicate_invoice', severity: 'error' }),
    );
    expect(copy.status).toBe('needs_review');

    const queue = await env.app.inject({ url: '/v1/review-queue?limit=200', headers: bearer(firm.token) });
    expect(queue.statusCode).toBe(200);
    const item = (queue.json().items as { documentId: string; duplicateOf: string | null }[]).find(
      (i) => i.documentId === copy.id,
    );
    expect(item?.duplicateOf).toBe(original.id);
  });

  it('refuses to validate the duplicate without the override (409 duplicate_invoice) and keeps it from the export', async () => {
    const refused = await validate(firm, copy.id, {});
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.json()).toMatchObject({ code: 'duplicate_invoice', duplicateOf: original.id });
    // The general error override is not the duplicate override.
    const generalOnly = await validate(firm, copy.id, { override: { reason: 'looks fine to me' } });
    expect(generalOnly.statusCode, generalOnly.body).toBe(409);
    expect(generalOnly.json().code).toBe('duplicate_invoice');

    const validatedOriginal = await validate(firm, original.id, {});
    expect(validatedOriginal.statusCode, validatedOriginal.body).toBe(200);
    const ids = await exportedIds(firm);
    expect(ids).toContain(original.id);
    expect(ids).not.toContain(copy.id);
    const direct = await env.app.inject({ url: `/v1/extractions/${copy.id}`, headers: bearer(firm.token) });
    expect(direct.statusCode).toBe(409);
  });

  it.each([
    ['allowDuplicate that is not a boolean', { allowDuplicate: 'yes', duplicateReason: 'second delivery' }],
    ['allowDuplicate without a reason', { allowDuplicate: true }],
    ['a reason without allowDuplicate', { duplicateReason: 'second delivery' }],
    ['a reason too short', { allowDuplicate: true, duplicateReason: 'x' }],
    ['a reason too long', { allowDuplicate: true, duplicateReason: 'y'.repeat(501) }],
  ])('answers 400 for malformed override input: %s', async (_name, payload) => {
    const res = await validate(firm, copy.id, payload);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it("answers 404 for another firm's duplicate, override or not", async () => {
    const res = await validate(otherFirm, copy.id, {
      allowDuplicate: true,
      duplicateReason: 'second delivery',
    });
    expect(res.statusCode).toBe(404);
  });

  it('validates the duplicate with allowDuplicate and a reason, audits it, and then exports it', async () => {
    const res = await validate(firm, copy.id, {
      allowDuplicate: true,
      duplicateReason: 'partial delivery invoiced twice on purpose',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().duplicateOf).toBe(original.id);
    const audit = await env.adminQuery<{ payload: Record<string, unknown>; actor_id: string }>(
      `SELECT payload, actor_id FROM audit_events
        WHERE action = 'extraction.validated' AND target_id = $1`,
      [copy.id],
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]!.actor_id).toBe(firm.userId);
    expect(audit.rows[0]!.payload).toMatchObject({
      duplicateOf: original.id,
      duplicateReason: 'partial delivery invoiced twice on purpose',
    });
    expect(await exportedIds(firm)).toContain(copy.id);
    const direct = await env.app.inject({ url: `/v1/extractions/${copy.id}`, headers: bearer(firm.token) });
    expect(direct.statusCode, direct.body).toBe(200);
  });

  it('never lists a validated duplicate whose override is missing (validated before it was flagged)', async () => {
    // The state a duplicate found after its validation would be in; the API cannot produce it.
    await env.adminQuery(`UPDATE documents SET duplicate_override_reason = NULL WHERE id = $1`, [copy.id]);
    expect(await exportedIds(firm)).not.toContain(copy.id);
    const direct = await env.app.inject({ url: `/v1/extractions/${copy.id}`, headers: bearer(firm.token) });
    expect(direct.statusCode).toBe(409);
    expect(direct.json().code).toBe('duplicate_invoice');
    const ack = await env.app.inject({
      method: 'POST',
      url: `/v1/extractions/${copy.id}/ack`,
      headers: bearer(firm.token),
    });
    expect(ack.statusCode).toBe(409);
  });

  it('does not flag another supplier invoice with the same number and total', async () => {
    const stranger = await processed(
      firm,
      await invoicePdf(
        { ...INVOICE, seller: { name: 'Andere Handel AG', vatId: 'DE811569869', companyId: 'HRB 999' } },
        'Writer A',
      ),
    );
    expect(stranger.extraction.result.fields['seller.vatId']?.value).toBe('DE811569869');
    expect(stranger.duplicateOf).toBeNull();
    expect(stranger.extraction.result.findings.map((f) => f.code)).not.toContain('duplicate_invoice');
  });

  it(
    'flags a scan of an invoice already stored as a text PDF (read by OCR)',
    { timeout: 120_000 },
    async () => {
      const invoice = { ...INVOICE, number: 'DUP-2024-009' };
      const text = await textInvoicePdfBytes(germanLayout(invoice));
      const first = await processed(firm, Buffer.from(text));
      const scan = await processed(firm, Buffer.from((await scannedPdfBytes(text, 200)).pdf));
      expect(scan.extraction.result.fields.invoiceNumber?.value).toBe('DUP-2024-009');
      expect(scan.duplicateOf).toBe(first.id);
      expect(scan.extraction.result.findings).toContainEqual(
        expect.objectContaining({ code: 'duplicate_invoice', severity: 'error' }),
      );
      const refused = await validate(firm, scan.id, {});
      expect(refused.statusCode).toBe(409);
      expect(refused.json().code).toBe('duplicate_invoice');
    },
  );

  it('validates a flagged copy without override once its original is in the trash, and exports it', async () => {
    const invoice = { ...INVOICE, number: 'DUP-2024-008' };
    const first = await processed(firm, await invoicePdf(invoice, 'Writer A'));
    const second = await processed(firm, await invoicePdf(invoice, 'Print to PDF B'));
    expect(second.duplicateOf).toBe(first.id);
    const trashed = await env.app.inject({
      method: 'DELETE',
      url: `/v1/documents/${first.id}`,
      headers: bearer(firm.token),
      payload: { reason: 'uploaded twice by mistake' },
    });
    expect(trashed.statusCode, trashed.body).toBe(200);
    const res = await validate(firm, second.id, {});
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().duplicateOf).toBeNull();
    expect(await exportedIds(firm)).toContain(second.id);
  });

  it("does not flag another firm's identical invoice", async () => {
    const theirs = await processed(otherFirm, copyBytes);
    expect(theirs.extraction.result.fields.invoiceNumber?.value).toBe('DUP-2024-007');
    expect(theirs.duplicateOf).toBeNull();
    expect(theirs.extraction.result.findings.map((f) => f.code)).not.toContain('duplicate_invoice');
  });
});
