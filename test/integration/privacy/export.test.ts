/**
 * Issue 14, Must show 3: a firm's data export. The archive holds every original byte for byte
 * (SHA-256 of each entry equals the document's), every extraction version, companies, members
 * without secrets, the retention policy and the chained audit log with its checkpoints. It is
 * stored encrypted, downloaded once through a link that expires, and every step is audited.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bearer, signup, type SignedUp } from '../../helpers/auth.js';
import { samplePdf, uploadRaw } from '../../helpers/documents.js';
import { readTar, type TarEntry } from '../../helpers/tar-reader.js';
import { useTestEnv } from '../../helpers/test-env.js';
import { SAMPLE, type FixtureInvoice } from '../../unit/extraction/fixtures/invoice-model.js';
import { germanLayout, textInvoicePdfBytes } from '../../unit/extraction/fixtures/pdf-fixtures.js';
import { ublXml } from '../../unit/extraction/fixtures/xml-fixtures.js';

const env = useTestEnv();
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function firmWithDocuments(owner: SignedUp) {
  const uploads = [
    { bytes: samplePdf('export-1', 200_000), contentType: 'application/pdf' },
    { bytes: samplePdf('export-2'), contentType: 'application/pdf' },
    { bytes: Buffer.from(ublXml({ ...SAMPLE, number: 'EXP-7' })), contentType: 'application/xml' },
  ];
  const documents: { id: string; sha256: string; bytes: Buffer }[] = [];
  for (const upload of uploads) {
    const res = await uploadRaw(env.app, owner.token, upload.bytes, { contentType: upload.contentType });
    expect(res.statusCode, res.body).toBe(201);
    documents.push({ id: res.json().id, sha256: res.json().sha256, bytes: upload.bytes });
  }
  // Two extraction versions of the XML invoice: the engine's, then a correction.
  const xml = documents[2]!;
  const { rows } = await env.adminQuery('SELECT processing_run_id FROM documents WHERE id = $1', [xml.id]);
  await env.container.pipeline.process(
    { tenantId: owner.tenantId, documentId: xml.id, runId: rows[0].processing_run_id },
    { attemptsMade: 0, opts: { attempts: 1 } },
  );
  const corrected = await env.app.inject({
    method: 'PATCH',
    url: `/v1/documents/${xml.id}/extraction`,
    headers: bearer(owner.token),
    payload: { fields: { currency: 'EUR' } },
  });
  expect(corrected.statusCode, corrected.body).toBe(200);
  const company = await env.app.inject({
    method: 'POST',
    url: '/v1/companies',
    headers: bearer(owner.token),
    payload: { name: 'Export Client a.s.', country: 'CZ' },
  });
  expect(company.statusCode).toBe(201);
  return documents;
}

async function exportAndDownload(
  owner: SignedUp,
): Promise<{ exportId: string; archive: Buffer; url: string }> {
  const started = await env.app.inject({
    method: 'POST',
    url: '/v1/tenant/exports',
    headers: bearer(owner.token),
  });
  expect(started.statusCode, started.body).toBe(202);
  const exportId = started.json().id as string;
  expect(started.headers.location).toBe(`/v1/tenant/exports/${exportId}`);
  expect(started.json().status).toBe('queued');
  // The worker's job, run here.
  await env.container.exports.buildExport({ tenantId: owner.tenantId, exportId });
  const link = await env.app.inject({
    method: 'POST',
    url: `/v1/tenant/exports/${exportId}/download-link`,
    headers: bearer(owner.token),
  });
  expect(link.statusCode, link.body).toBe(200);
  const download = await env.app.inject({ url: link.json().url, headers: bearer(owner.token) });
  expect(download.statusCode, download.body.slice(0, 200)).toBe(200);
  expect(download.headers['content-type']).toBe('application/x-tar');
  return { exportId, archive: download.rawPayload, url: link.json().url };
}

const entry = (entries: TarEntry[], name: string) => {
  const found = entries.find((e) => e.name === name);
  if (!found) throw new Error(`no ${name} in the archive: ${entries.map((e) => e.name).join(', ')}`);
  return found;
};

describe('tenant data export', () => {
  it('holds every original byte for byte, every extraction version, companies, members without secrets, the policy and the audit log', async () => {
    const owner = await signup(env.app);
    const documents = await firmWithDocuments(owner);
    const { exportId, archive } = await exportAndDownload(owner);

    const status = await env.app.inject({
      url: `/v1/tenant/exports/${exportId}`,
      headers: bearer(owner.token),
    });
    expect(status.json()).toMatchObject({
      status: 'ready',
      progress: { documentsDone: 3, documentsTotal: 3 },
      sizeBytes: archive.length,
      sha256: sha256(archive),
      downloadedAt: expect.any(String),
    });

    const entries = readTar(archive);
    for (const doc of documents) {
      const original = entries.find((e) => e.name.startsWith(`documents/${doc.id}/original.`));
      expect(original, doc.id).toBeDefined();
      expect(sha256(original!.content)).toBe(doc.sha256);
      expect(original!.content.equals(doc.bytes)).toBe(true);
      expect(
        JSON.parse(entry(entries, `documents/${doc.id}/document.json`).content.toString()),
      ).toMatchObject({
        id: doc.id,
        sha256: doc.sha256,
      });
    }
    const versions = JSON.parse(
      entry(entries, `documents/${documents[2]!.id}/extractions.json`).content.toString(),
    );
    expect(versions.map((v: { version: number; origin: string }) => v.version)).toEqual([1, 2]);
    expect(versions[1].result.fields.currency.value).toBe('EUR');
    const { rows: stored } = await env.adminQuery(
      'SELECT count(*)::int AS n FROM extractions WHERE document_id = $1',
      [documents[2]!.id],
    );
    expect(versions).toHaveLength(stored[0].n);

    const members = entry(entries, 'members.json').content.toString();
    expect(JSON.parse(members)).toEqual([
      {
        userId: owner.userId,
        name: 'Olga Owner',
        email: owner.email,
        role: 'owner',
        memberSince: expect.any(String),
      },
    ]);
    expect(members).not.toMatch(/password|secret|token_hash|argon2/i);
    expect(JSON.parse(entry(entries, 'companies.json').content.toString())[0]).toMatchObject({
      name: 'Export Client a.s.',
    });
    expect(JSON.parse(entry(entries, 'retention-policy.json').content.toString())).toEqual({
      defaultYears: 10,
      typeYears: {},
    });

    // The audit log: one event per line with every field its hash covers, linked in order.
    const lines = entry(entries, 'audit/events-000001.jsonl')
      .content.toString()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((e: { seq: string }) => e.seq)).toEqual(
      lines.map((_: unknown, i: number) => String(i + 1)),
    );
    for (let i = 1; i < lines.length; i++) expect(lines[i].prevHash).toBe(lines[i - 1].hash);
    expect(lines.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['document.uploaded', 'export.requested', 'document.content_read']),
    );
    const checkpoints = JSON.parse(entry(entries, 'audit/checkpoints.json').content.toString());
    expect(checkpoints).toMatchObject({
      keyId: env.container.signer.keyId,
      publicKeyPem: expect.stringMatching(/PUBLIC KEY/),
    });

    // At rest the archive is ciphertext under the tenant's key, like any document.
    const blob = await env.blobStore.download(
      env.blobStore.containerFor(owner.tenantId),
      `exports/${exportId}.tar`,
    );
    const chunks: Buffer[] = [];
    for await (const chunk of blob) chunks.push(chunk as Buffer);
    const cipher = Buffer.concat(chunks);
    expect(cipher.includes(Buffer.from('export-1'))).toBe(false);
    expect(cipher.includes(Buffer.from(owner.email))).toBe(false);

    // Each step is in the firm's audit trail.
    const { rows } = await env.adminQuery(
      `SELECT action FROM audit_events WHERE tenant_id = $1 AND target_id = $2 ORDER BY ingest_id`,
      [owner.tenantId, exportId],
    );
    expect(rows.map((r) => r.action)).toEqual([
      'export.requested',
      'export.completed',
      'export.link_created',
      'export.downloaded',
    ]);
  });

  it("holds the firm's supplier profiles and the words kept for learning, and not another firm's", async () => {
    /** A text PDF of the supplier, read by the engine and corrected once: a profile and a text layer. */
    async function taughtSupplier(owner: SignedUp, invoice: FixtureInvoice) {
      const bytes = Buffer.from(await textInvoicePdfBytes(germanLayout(invoice)));
      const up = await uploadRaw(env.app, owner.token, bytes, { contentType: 'application/pdf' });
      expect(up.statusCode, up.body).toBe(201);
      const id = up.json().id as string;
      const { rows } = await env.adminQuery('SELECT processing_run_id FROM documents WHERE id = $1', [id]);
      await env.container.pipeline.process(
        { tenantId: owner.tenantId, documentId: id, runId: rows[0].processing_run_id },
        { attemptsMade: 0, opts: { attempts: 1 } },
      );
      const corrected = await env.app.inject({
        method: 'PATCH',
        url: `/v1/documents/${id}/extraction`,
        headers: bearer(owner.token),
        // A value printed on the page (the footer's payment reference), so its place is learned.
        payload: { fields: { invoiceNumber: '20240042' } },
      });
      expect(corrected.statusCode, corrected.body).toBe(200);
      const profiles = await env.adminQuery('SELECT id FROM supplier_profiles WHERE tenant_id = $1', [
        owner.tenantId,
      ]);
      expect(profiles.rows).toHaveLength(1);
      return { documentId: id, profileId: profiles.rows[0].id as string };
    }
    const owner = await signup(env.app);
    const other = await signup(env.app);
    const ours = await taughtSupplier(owner, SAMPLE);
    const theirs = await taughtSupplier(other, {
      ...SAMPLE,
      seller: { ...SAMPLE.seller, name: 'Andere Lieferant AG', vatId: 'DE811907980' },
    });

    const entries = readTar((await exportAndDownload(owner)).archive);
    const profiles = entry(entries, 'supplier-profiles/profiles-000001.jsonl')
      .content.toString()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(profiles).toEqual([
      expect.objectContaining({
        id: ours.profileId,
        name: SAMPLE.seller.name,
        vatId: SAMPLE.seller.vatId,
        corrections: 1,
        hints: [expect.objectContaining({ field: 'invoiceNumber', pattern: '9' })],
      }),
    ]);
    const layer = JSON.parse(
      entry(entries, `documents/${ours.documentId}/text-layer.json`).content.toString(),
    );
    expect(layer.layer.units).toBe('pt');
    expect(layer.layer.words.map((w: unknown[]) => w[5])).toContain('Rechnungsdatum:');
    // Nothing of the other firm: not its profile, not its document's words, not its supplier.
    const everything = Buffer.concat(entries.map((e) => e.content)).toString('latin1');
    expect(everything).not.toContain(theirs.profileId);
    expect(everything).not.toContain(theirs.documentId);
    expect(everything).not.toContain('Andere Lieferant');
  });

  it('downloads once per link, and not after the link expired', async () => {
    const owner = await signup(env.app);
    await uploadRaw(env.app, owner.token, samplePdf(), { contentType: 'application/pdf' });
    const { exportId, url } = await exportAndDownload(owner);
    const again = await env.app.inject({ url, headers: bearer(owner.token) });
    expect([again.statusCode, again.json().code]).toEqual([409, 'export_link_invalid']);
    // After the download, no new link either: each export is downloaded once.
    const link = await env.app.inject({
      method: 'POST',
      url: `/v1/tenant/exports/${exportId}/download-link`,
      headers: bearer(owner.token),
    });
    expect([link.statusCode, link.json().code]).toEqual([409, 'export_downloaded']);

    const second = await env.app.inject({
      method: 'POST',
      url: '/v1/tenant/exports',
      headers: bearer(owner.token),
    });
    await env.container.exports.buildExport({ tenantId: owner.tenantId, exportId: second.json().id });
    const fresh = await env.app.inject({
      method: 'POST',
      url: `/v1/tenant/exports/${second.json().id}/download-link`,
      headers: bearer(owner.token),
    });
    env.clock.advance(16 * 60_000);
    const late = await env.app.inject({ url: fresh.json().url, headers: bearer(owner.token) });
    expect([late.statusCode, late.json().code]).toEqual([409, 'export_link_invalid']);
  });

  it("never shows one firm another firm's export, nor lets its link work there", async () => {
    const a = await signup(env.app);
    const b = await signup(env.app);
    const started = await env.app.inject({
      method: 'POST',
      url: '/v1/tenant/exports',
      headers: bearer(a.token),
    });
    const id = started.json().id as string;
    await env.container.exports.buildExport({ tenantId: a.tenantId, exportId: id });
    const link = await env.app.inject({
      method: 'POST',
      url: `/v1/tenant/exports/${id}/download-link`,
      headers: bearer(a.token),
    });
    for (const res of [
      await env.app.inject({ url: `/v1/tenant/exports/${id}`, headers: bearer(b.token) }),
      await env.app.inject({
        method: 'POST',
        url: `/v1/tenant/exports/${id}/download-link`,
        headers: bearer(b.token),
      }),
      await env.app.inject({ url: link.json().url, headers: bearer(b.token) }),
    ]) {
      expect([res.statusCode, res.json().code]).toEqual([404, 'not_found']);
    }
    // The link is still unused for its own firm.
    expect((await env.app.inject({ url: link.json().url, headers: bearer(a.token) })).statusCode).toBe(200);
  });

  it('answers malformed input with 400 and a link for an unfinished export with 409', async () => {
    const owner = await signup(env.app);
    for (const url of ['/v1/tenant/exports/not-a-uuid', `/v1/tenant/exports/${owner.tenantId}/archive`]) {
      const res = await env.app.inject({ url, headers: bearer(owner.token) });
      expect([res.statusCode, res.json().code]).toEqual([400, 'validation_failed']);
    }
    const started = await env.app.inject({
      method: 'POST',
      url: '/v1/tenant/exports',
      headers: bearer(owner.token),
    });
    const early = await env.app.inject({
      method: 'POST',
      url: `/v1/tenant/exports/${started.json().id}/download-link`,
      headers: bearer(owner.token),
    });
    expect([early.statusCode, early.json().code]).toEqual([409, 'export_not_ready']);
  });

  it('still works while the firm is being closed: taking the data out is what the grace period is for', async () => {
    const owner = await signup(env.app);
    const { rows } = await env.adminQuery('SELECT name FROM tenants WHERE id = $1', [owner.tenantId]);
    const closing = await env.app.inject({
      method: 'POST',
      url: '/v1/tenant/offboarding',
      headers: bearer(owner.token),
      payload: { confirmName: rows[0].name },
    });
    expect(closing.statusCode).toBe(202);
    const { archive } = await exportAndDownload(owner);
    expect(readTar(archive).map((e) => e.name)).toContain('manifest.json');
  });
});
