/**
 * The processing pipeline against the real stack: uploads through the API are extracted in the
 * background by the BullMQ worker, with statuses, versions and audit events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app/build-app.js';
import { createDocumentUpload } from '../../../src/modules/documents/documents.upload.js';
import { createExtractionPipeline } from '../../../src/modules/extractions/extractions.pipeline.js';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers.js';
import { createQueue } from '../../../src/platform/queue.js';
import { createRedis } from '../../../src/platform/redis.js';
import { SAMPLE } from '../../unit/extraction/fixtures/invoice-model.js';
import {
  englishLayout,
  scannedPdfBytes,
  textInvoicePdfBytes,
} from '../../unit/extraction/fixtures/pdf-fixtures.js';
import { ublXml } from '../../unit/extraction/fixtures/xml-fixtures.js';
import { bearer, signup, type SignedUp } from '../../helpers/auth.js';
import { uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv({ env: { EXTRACTION_ATTEMPTS: '2', EXTRACTION_BACKOFF_MS: '50' } });
let workers: RunningWorkers;
let owner: SignedUp;

beforeAll(async () => {
  workers = await startWorkers(env.container);
  owner = await signup(env.app);
});
afterAll(async () => workers?.close());

/** Polls the document until it leaves the processing statuses. */
async function settled(id: string, timeoutMs = 30_000): Promise<{ status: string; [key: string]: unknown }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const doc = (await env.app.inject({ url: `/v1/documents/${id}`, headers: bearer(owner.token) })).json();
    if (!['stored', 'queued', 'extracting'].includes(doc.status)) return doc;
    if (Date.now() > deadline) throw new Error(`document ${id} still ${doc.status}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const extraction = async (id: string, query = '') =>
  (
    await env.app.inject({ url: `/v1/documents/${id}/extraction${query}`, headers: bearer(owner.token) })
  ).json();

describe('processing pipeline', () => {
  it('extracts an uploaded UBL e-invoice with exact values, versioned and audited', async () => {
    const company = await env.app.inject({
      method: 'POST',
      url: '/v1/companies',
      headers: bearer(owner.token),
      payload: { name: 'Kunde', vatId: 'CZ25596641', country: 'CZ' },
    });
    const xml = ublXml({ ...SAMPLE, number: 'UBL-PIPE-1' });
    const up = await uploadRaw(env.app, owner.token, Buffer.from(xml), {
      contentType: 'application/xml',
      query: { filename: 'inv.xml' },
    });
    expect(up.statusCode).toBe(201);
    expect(up.json().status).not.toBe('stored');
    const doc = await settled(up.json().id);
    expect(['extracted', 'needs_review']).toContain(doc.status);
    expect(doc.issueDate).toBe('2024-03-14');
    expect(doc.retainUntil).toBe('2034-12-31');
    expect(doc.companyId).toBe(company.json().id);
    const result = await extraction(up.json().id);
    expect(result).toMatchObject({ version: 1, origin: 'engine', createdBy: { kind: 'worker' } });
    expect(result.result.fields).toMatchObject({
      invoiceNumber: { value: 'UBL-PIPE-1', source: 'xml' },
      'totals.gross': { value: '1210.00' },
      'seller.vatId': { value: 'DE136695976' },
      currency: { value: 'EUR' },
    });
    const { rows } = await env.adminQuery(
      `SELECT action, actor_kind FROM audit_events WHERE target_id = $1 ORDER BY ingest_id`,
      [up.json().id],
    );
    const actions = rows.map((r) => `${r.action}:${r.actor_kind}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'document.uploaded:user',
        'document.queued:user',
        'document.extracting:worker',
      ]),
    );
    expect(actions.some((a) => /^document\.(extracted|needs_review):worker$/.test(a))).toBe(true);
  });

  it('auto-assigns a document by buyer VAT ID only inside the uploader’s companies: a token limited to A never places one into B', async () => {
    const firm = await signup(env.app);
    const createCompany = async (name: string, vatId: string) =>
      (
        await env.app.inject({
          method: 'POST',
          url: '/v1/companies',
          headers: bearer(firm.token),
          payload: { name, vatId, country: 'CZ' },
        })
      ).json().id as string;
    const a = await createCompany('Client A', 'CZ11223344');
    const b = await createCompany('Client B', SAMPLE.buyer.vatId);
    const tokenFor = async (companyIds: string[]) =>
      (
        await env.app.inject({
          method: 'POST',
          url: '/v1/tokens',
          headers: bearer(firm.token),
          payload: { name: 'uploader', scopes: ['documents:read', 'documents:write'], companyIds },
        })
      ).json().token as string;
    const uploadAs = async (token: string, number: string) => {
      const up = await uploadRaw(env.app, token, Buffer.from(ublXml({ ...SAMPLE, number })), {
        contentType: 'application/xml',
      });
      expect(up.statusCode, up.body).toBe(201);
      const deadline = Date.now() + 30_000;
      for (;;) {
        const doc = (
          await env.app.inject({ url: `/v1/documents/${up.json().id}`, headers: bearer(firm.token) })
        ).json();
        if (!['stored', 'queued', 'extracting'].includes(doc.status)) return doc;
        if (Date.now() > deadline) throw new Error('not extracted in time');
        await new Promise((r) => setTimeout(r, 150));
      }
    };

    // The invoice names B's VAT ID as its buyer; the uploader may only reach A.
    const fromA = await uploadAs(await tokenFor([a]), 'SCOPE-A');
    expect(['extracted', 'needs_review']).toContain(fromA.status);
    expect(fromA.companyId).toBeNull();
    // Inside the restriction the assignment still happens.
    const fromB = await uploadAs(await tokenFor([a, b]), 'SCOPE-AB');
    expect(fromB.companyId).toBe(b);
  });

  it('extracts a text-layer PDF invoice', async () => {
    const pdf = Buffer.from(await textInvoicePdfBytes(englishLayout({ ...SAMPLE, number: 'PDF-PIPE-7' })));
    const up = await uploadRaw(env.app, owner.token, pdf, { contentType: 'application/pdf' });
    const doc = await settled(up.json().id);
    expect(['extracted', 'needs_review']).toContain(doc.status);
    const result = await extraction(up.json().id);
    expect(result.result.fields.invoiceNumber.value).toBe('PDF-PIPE-7');
    expect(result.result.fields['totals.gross'].value).toBe('1210.00');
    expect(result.result.fields.issueDate.value).toBe('2024-03-14');
  });

  it('extracts a photographed/scanned invoice image through OCR', async () => {
    const text = await textInvoicePdfBytes(englishLayout({ ...SAMPLE, number: 'IMG-PIPE-3' }));
    const { png } = await scannedPdfBytes(text, 200);
    const up = await uploadRaw(env.app, owner.token, Buffer.from(png), { contentType: 'image/png' });
    expect(up.json().contentType).toBe('image/png');
    const doc = await settled(up.json().id, 60_000);
    expect(['extracted', 'needs_review']).toContain(doc.status);
    const result = await extraction(up.json().id);
    expect(result.result.format).toBe('image');
    expect(result.result.fields.invoiceNumber).toMatchObject({ value: 'IMG-PIPE-3', source: 'ocr' });
    expect(result.result.fields['totals.gross'].value).toBe('1210.00');
    expect(result.result.fields.issueDate.value).toBe('2024-03-14');
  }, 90_000);

  it('marks an unreadable document failed with the reason, without retrying in vain', async () => {
    const broken = Buffer.from(
      '%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> this is not a real pdf at all',
    );
    const up = await uploadRaw(env.app, owner.token, broken, { contentType: 'application/pdf' });
    const doc = await settled(up.json().id);
    expect(doc.status).toBe('failed');
    const { rows } = await env.adminQuery('SELECT failure_reason FROM documents WHERE id = $1', [
      up.json().id,
    ]);
    expect(rows[0].failure_reason).toBeTruthy();
  });

  it('produces one version per run however often the job runs, and a new version on reprocess', async () => {
    const up = await uploadRaw(
      env.app,
      owner.token,
      Buffer.from(ublXml({ ...SAMPLE, number: 'UBL-PIPE-2' })),
      { contentType: 'application/xml' },
    );
    await settled(up.json().id);
    const { rows: before } = await env.adminQuery('SELECT processing_run_id FROM documents WHERE id = $1', [
      up.json().id,
    ]);
    // Run the same job again, as a retry after a crash would.
    const again = await env.container.pipeline.process(
      { tenantId: owner.tenantId, documentId: up.json().id, runId: before[0].processing_run_id },
      { attemptsMade: 1, opts: { attempts: 2 } },
    );
    expect(again.version).toBe(1);
    const re = await env.app.inject({
      method: 'POST',
      url: `/v1/documents/${up.json().id}/reprocess`,
      headers: bearer(owner.token),
    });
    expect(re.statusCode).toBe(202);
    await settled(up.json().id);
    expect((await extraction(up.json().id)).version).toBe(2);
    expect((await extraction(up.json().id, '?version=1')).version).toBe(1);
    const { rows } = await env.adminQuery(
      'SELECT count(*)::int AS n FROM extractions WHERE document_id = $1',
      [up.json().id],
    );
    expect(rows[0].n).toBe(2);
  });

  it('never loses a document when Redis is down at upload: the reconciler enqueues it later', async () => {
    const deadRedis = createRedis('redis://127.0.0.1:1');
    const deadQueue = createQueue({ redisUrl: 'redis://127.0.0.1:1', keyPrefix: 'dead' }, 'extraction');
    const c = env.container;
    const brokenPipeline = createExtractionPipeline({
      db: c.db,
      audit: c.audit,
      documents: c.documents,
      tenants: c.tenants,
      suppliers: c.suppliers,
      sharedLabels: c.sharedLabels,
      automation: c.automation,
      redis: deadRedis,
      clock: c.clock,
      queue: () => deadQueue as never,
      webhooks: c.webhookOutbox,
      settings: {
        timeoutMs: 10_000,
        attempts: 2,
        backoffMs: 50,
        keyPrefix: 'dead',
        storedGraceMs: 30_000,
        runningGraceMs: 600_000,
      },
    });
    // The upload hands its documents to the pipeline whose Redis is down.
    const uploads = createDocumentUpload({
      ...c,
      processing: { submit: brokenPipeline.submitRun },
      maxBytes: c.config.documents.maxBytes,
      segmentSize: c.config.documents.segmentBytes,
    });
    const app = await buildApp({ ...c, pipeline: brokenPipeline, uploads });
    const up = await uploadRaw(app, owner.token, Buffer.from(ublXml({ ...SAMPLE, number: 'UBL-OUTAGE-1' })), {
      contentType: 'application/xml',
    });
    await app.close();
    deadRedis.disconnect();
    await deadQueue.close().catch(() => undefined);
    expect(up.statusCode).toBe(201);
    expect(up.json().status).toBe('stored');
    env.clock.advance(60_000);
    const { enqueued } = await c.pipeline.reconcile();
    expect(enqueued).toBeGreaterThanOrEqual(1);
    const doc = await settled(up.json().id);
    expect(['extracted', 'needs_review']).toContain(doc.status);
  });

  it("answers 404 for another tenant's extraction and reprocess, and 403 without the permission", async () => {
    const other = await signup(env.app);
    const up = await uploadRaw(
      env.app,
      owner.token,
      Buffer.from(ublXml({ ...SAMPLE, number: 'UBL-ISO-1' })),
      { contentType: 'application/xml' },
    );
    expect(
      (
        await env.app.inject({
          url: `/v1/documents/${up.json().id}/extraction`,
          headers: bearer(other.token),
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (
        await env.app.inject({
          method: 'POST',
          url: `/v1/documents/${up.json().id}/reprocess`,
          headers: bearer(other.token),
        })
      ).statusCode,
    ).toBe(404);
  });
});
