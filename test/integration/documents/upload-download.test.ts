import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { bearer, signup } from '../../helpers/auth.js';
import { listBlobNames, multipartBody, samplePdf, uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv({ env: { DOCUMENT_MAX_BYTES: String(110 * 1024 * 1024) } });
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const download = (token: string, id: string, headers: Record<string, string> = {}) =>
  env.app.inject({ url: `/v1/documents/${id}/content`, headers: { ...bearer(token), ...headers } });

describe('upload and download', () => {
  it.each([
    ['0 bytes', 0],
    ['1 byte past the sniff window', 4097],
    ['exactly one segment', 64 * 1024],
    ['one segment and a byte', 64 * 1024 + 1],
    ['3 MB', 3 * 1024 * 1024 + 17],
    ['100 MB', 100 * 1024 * 1024],
  ])(
    'round-trips %s byte for byte',
    async (_label, size) => {
      const owner = await signup(env.app);
      const bytes =
        size === 0
          ? Buffer.alloc(0)
          : Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(Math.max(0, size - 9))]).subarray(0, size);
      const contentType = size === 0 ? 'application/octet-stream' : 'application/pdf';
      const up = await uploadRaw(env.app, owner.token, bytes, {
        contentType,
        query: { filename: 'scan.pdf' },
      });
      if (size === 0) {
        // An empty upload is refused clearly; the storage format itself round-trips 0 bytes
        // (encryption-at-rest.test.ts).
        expect(up.statusCode).toBe(400);
        expect(up.json().detail).toBe('The document is empty.');
        return;
      }
      expect(up.statusCode, up.body).toBe(201);
      expect(up.json()).toMatchObject({
        size,
        sha256: sha256(bytes),
        contentType: 'application/pdf',
        status: 'queued',
      });
      const down = await download(owner.token, up.json().id);
      expect(down.statusCode).toBe(200);
      expect(down.rawPayload.length).toBe(size);
      expect(down.rawPayload.equals(bytes)).toBe(true);
    },
    120_000,
  );

  it('answers 201 with Location and the documented document shape', async () => {
    const owner = await signup(env.app);
    const pdf = samplePdf();
    const res = await uploadRaw(env.app, owner.token, pdf, {
      contentType: 'application/pdf',
      query: { filename: '../../etc/Faktura 2026/001.PDF', type: 'invoice', externalRef: 'ERP-42' },
    });
    expect(res.statusCode).toBe(201);
    const doc = res.json();
    expect(res.headers.location).toBe(`/v1/documents/${doc.id}`);
    expect(doc).toEqual({
      id: expect.any(String),
      status: 'queued',
      type: 'invoice',
      filename: '001.pdf',
      contentType: 'application/pdf',
      size: pdf.length,
      sha256: sha256(pdf),
      companyId: null,
      externalRef: 'ERP-42',
      issueDate: null,
      retainUntil: `${new Date().getUTCFullYear() + 10}-12-31`,
      legalHold: false,
      failureReason: null,
      trashedAt: null,
      purgeAfter: null,
      duplicateOf: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(
      (await env.app.inject({ url: `/v1/documents/${doc.id}`, headers: bearer(owner.token) })).json(),
    ).toEqual(doc);
  });

  it('accepts multipart uploads with metadata fields before or after the file', async () => {
    const owner = await signup(env.app);
    for (const fieldsAfter of [false, true]) {
      const body = multipartBody(
        { bytes: samplePdf(), filename: 'účtenka.pdf' },
        { type: 'receipt', externalRef: `r-${fieldsAfter}` },
        fieldsAfter,
      );
      const res = await env.app.inject({
        method: 'POST',
        url: '/v1/documents',
        headers: { ...bearer(owner.token), 'content-type': body.contentType },
        payload: body.payload,
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({
        type: 'receipt',
        externalRef: `r-${fieldsAfter}`,
        filename: 'účtenka.pdf',
      });
    }
    const bad = multipartBody({ bytes: samplePdf(), filename: 'x.pdf' }, { type: 'poem' });
    const res = await env.app.inject({
      method: 'POST',
      url: '/v1/documents',
      headers: { ...bearer(owner.token), 'content-type': bad.contentType },
      payload: bad.payload,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('body.type');
  });

  it('treats blank multipart fields as not given, as /docs and browser forms send them', async () => {
    const owner = await signup(env.app);
    const body = multipartBody(
      { bytes: samplePdf(), filename: 'blank.pdf', contentType: 'application/pdf' },
      { type: 'invoice', companyId: '', externalRef: '' },
    );
    const res = await env.app.inject({
      method: 'POST',
      url: '/v1/documents',
      headers: { ...bearer(owner.token), 'content-type': body.contentType },
      payload: body.payload,
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ type: 'invoice', companyId: null, externalRef: null });
  });

  it.each([
    ['PNG', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]), 'image/png'],
    ['JPEG', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]), 'image/jpeg'],
    ['TIFF', Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]), 'image/tiff'],
    [
      'XML',
      Buffer.from(
        '\ufeff<?xml version="1.0"?><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>',
      ),
      'application/xml',
    ],
    [
      'ISDOC',
      Buffer.from('<?xml version="1.0"?><Invoice xmlns="http://isdoc.cz/namespace/2013" version="6.0.1"/>'),
      'application/vnd.isdoc+xml',
    ],
  ])('decides %s from its bytes, whatever the declared type', async (_label, bytes, contentType) => {
    const owner = await signup(env.app);
    const res = await uploadRaw(env.app, owner.token, Buffer.concat([bytes, randomBytes(16)]), {
      contentType: 'application/octet-stream',
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().contentType).toBe(contentType);
  });

  it.each([
    ['an executable', Buffer.from('MZ\x90\x00 this program cannot be run in DOS mode')],
    [
      'a plain zip',
      Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(26), Buffer.from('evil.exe')]),
    ],
    [
      'HTML pretending to be a PDF',
      Buffer.from('<html><script>alert(1)</script></html>'.replace('<html>', '<!DOCTYPE html><html>')),
    ],
    ['XML with a DTD', Buffer.from('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')],
    [
      'HTML declared as XML',
      Buffer.from('<html><body><script>alert(1)</script></body></html>'),
      'application/xml',
    ],
    [
      'SVG declared as XML',
      Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
      'application/xml',
    ],
    [
      'XHTML declared as XML',
      Buffer.from('<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>'),
      'text/xml',
    ],
  ])('refuses %s with 415 and stores nothing', async (_label, bytes, contentType = 'application/pdf') => {
    const owner = await signup(env.app);
    const res = await uploadRaw(env.app, owner.token, bytes, { contentType });
    expect(res.statusCode).toBe(415);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const { rows } = await env.adminQuery('SELECT count(*)::int AS n FROM documents WHERE tenant_id = $1', [
      owner.tenantId,
    ]);
    expect(rows[0].n).toBe(0);
  });

  it.each([
    ['text/plain', 'just some text, not a document'],
    ['application/json', '{"invoiceNumber":"2024-001"}'],
    ['text/plain; charset=utf-8', 'plain text with a charset'],
    ['application/x-www-form-urlencoded', 'a=1&b=2'],
  ])(
    'refuses an upload declared as %s with 415 naming the accepted types, and stores nothing',
    async (contentType, text) => {
      const owner = await signup(env.app);
      const res = await uploadRaw(env.app, owner.token, Buffer.from(text), { contentType });
      expect(res.statusCode, res.body).toBe(415);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const problem = res.json();
      expect(problem.code).toBe('unsupported_media_type');
      expect(problem.detail).toContain('PDF');
      expect(problem.acceptedTypes).toEqual(expect.arrayContaining(['application/pdf', 'image/png']));
      const { rows } = await env.adminQuery('SELECT count(*)::int AS n FROM documents WHERE tenant_id = $1', [
        owner.tenantId,
      ]);
      expect(rows[0].n).toBe(0);
      const container = env.blobStore.containerFor(owner.tenantId);
      expect(await listBlobNames(env.config.blobs.connectionString, container)).toEqual([]);
    },
  );

  it('decides from the bytes, not the declared type: a PDF sent as text/plain is stored as a PDF', async () => {
    const owner = await signup(env.app);
    const res = await uploadRaw(env.app, owner.token, samplePdf(), { contentType: 'text/plain' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().contentType).toBe('application/pdf');
  });

  it('answers 413 past the size limit and leaves no document and no blob behind', async () => {
    const small = env.config.documents.maxBytes;
    const owner = await signup(env.app);
    const tooBig = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(small)]);
    const res = await uploadRaw(env.app, owner.token, tooBig, { contentType: 'application/pdf' });
    expect(res.statusCode).toBe(413);
    const { rows } = await env.adminQuery('SELECT count(*)::int AS n FROM documents WHERE tenant_id = $1', [
      owner.tenantId,
    ]);
    expect(rows[0].n).toBe(0);
    const container = env.blobStore.containerFor(owner.tenantId);
    expect(await listBlobNames(env.config.blobs.connectionString, container)).toEqual([]);
  }, 60_000);

  it('returns the first document, 200, when the same content is uploaded again', async () => {
    const owner = await signup(env.app);
    const pdf = samplePdf();
    const first = await uploadRaw(env.app, owner.token, pdf, {
      contentType: 'application/pdf',
      query: { filename: 'a.pdf' },
    });
    const again = await uploadRaw(env.app, owner.token, pdf, {
      contentType: 'application/pdf',
      query: { filename: 'b.pdf' },
    });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    const container = env.blobStore.containerFor(owner.tenantId);
    expect(await listBlobNames(env.config.blobs.connectionString, container)).toEqual([first.json().id]);
    const other = await signup(env.app);
    expect((await uploadRaw(env.app, other.token, pdf, { contentType: 'application/pdf' })).statusCode).toBe(
      201,
    );
  });

  it('stores one document for concurrent uploads of the same content', async () => {
    const owner = await signup(env.app);
    const pdf = samplePdf(undefined, 200_000);
    const results = await Promise.all(
      [1, 2, 3].map(() => uploadRaw(env.app, owner.token, pdf, { contentType: 'application/pdf' })),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 200, 201]);
    expect(new Set(results.map((r) => r.json().id)).size).toBe(1);
    // The duplicates enqueue nothing: one extraction job for the one document.
    const extraction = env.container.queues.all().find((q) => q.name === 'extraction');
    const jobs = await extraction!.getJobs(['waiting', 'prioritized', 'active', 'completed', 'failed']);
    expect(jobs.filter((job) => job.data.documentId === results[0]!.json().id)).toHaveLength(1);
  });

  it('honours Idempotency-Key and refuses reusing it for other content', async () => {
    const owner = await signup(env.app);
    const pdf = samplePdf();
    const headers = { 'idempotency-key': 'upload-7f3a' };
    const first = await uploadRaw(env.app, owner.token, pdf, { contentType: 'application/pdf', headers });
    const retry = await uploadRaw(env.app, owner.token, pdf, { contentType: 'application/pdf', headers });
    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(201);
    expect(retry.json().id).toBe(first.json().id);
    const misuse = await uploadRaw(env.app, owner.token, samplePdf(), {
      contentType: 'application/pdf',
      headers,
    });
    expect(misuse.statusCode).toBe(409);
    expect(misuse.json().code).toBe('idempotency_key_reused');
  });

  it('keys Idempotency-Key by principal and re-checks visibility on replay: a company-restricted token never gets another principal’s document', async () => {
    const owner = await signup(env.app);
    const createCompany = async (name: string) =>
      (
        await env.app.inject({
          method: 'POST',
          url: '/v1/companies',
          headers: bearer(owner.token),
          payload: { name, country: 'CZ' },
        })
      ).json().id as string;
    const a = await createCompany('Client A');
    const b = await createCompany('Client B');
    const agent = (
      await env.app.inject({
        method: 'POST',
        url: '/v1/tokens',
        headers: bearer(owner.token),
        payload: { name: 'ERP of A', scopes: ['documents:read', 'documents:write'], companyIds: [a] },
      })
    ).json().token as string;
    const pdf = samplePdf();
    const headers = { 'idempotency-key': 'shared-key-1' };
    const ownersUpload = await uploadRaw(env.app, owner.token, pdf, {
      contentType: 'application/pdf',
      query: { companyId: b, filename: 'owners-secret-name.pdf' },
      headers,
    });
    expect(ownersUpload.statusCode).toBe(201);
    const leaks = (body: string) =>
      [ownersUpload.json().id, b, 'owners-secret-name'].filter((secret) => body.includes(secret));

    // The same key by another principal is that principal's own key: the same content is then
    // only a duplicate outside its companies, and other content is a new document.
    const sameContent = await uploadRaw(env.app, agent, pdf, { contentType: 'application/pdf', headers });
    expect(sameContent.statusCode).toBe(409);
    expect(sameContent.json().code).toBe('duplicate_content');
    expect(leaks(sameContent.body)).toEqual([]);
    const otherContent = await uploadRaw(env.app, agent, samplePdf(), {
      contentType: 'application/pdf',
      query: { companyId: a },
      headers,
    });
    expect(otherContent.statusCode, otherContent.body).toBe(201);
    expect(otherContent.json().id).not.toBe(ownersUpload.json().id);

    // A replay of the agent's own key whose document has since left its companies answers 409
    // and names nothing of the document.
    const own = samplePdf();
    const ownHeaders = { 'idempotency-key': 'agent-key-2' };
    const first = await uploadRaw(env.app, agent, own, {
      contentType: 'application/pdf',
      query: { companyId: a },
      headers: ownHeaders,
    });
    expect(first.statusCode).toBe(201);
    const moved = await env.app.inject({
      method: 'PATCH',
      url: `/v1/documents/${first.json().id}`,
      headers: bearer(owner.token),
      payload: { companyId: b },
    });
    expect(moved.statusCode, moved.body).toBe(200);
    const replay = await uploadRaw(env.app, agent, own, {
      contentType: 'application/pdf',
      headers: ownHeaders,
    });
    expect(replay.statusCode).toBe(409);
    expect(replay.json().code).toBe('idempotency_key_unavailable');
    expect(replay.body).not.toContain(first.json().id);
    expect(replay.body).not.toContain(b);
  });

  it('serves exactly the asked bytes for Range requests, and 416 outside the document', async () => {
    const owner = await signup(env.app);
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(300_000)]);
    const id = (await uploadRaw(env.app, owner.token, pdf, { contentType: 'application/pdf' })).json().id;
    for (const [range, start, end] of [
      ['bytes=0-0', 0, 0],
      ['bytes=65530-65545', 65530, 65545],
      ['bytes=100000-', 100000, pdf.length - 1],
      ['bytes=-1000', pdf.length - 1000, pdf.length - 1],
      ['bytes=299000-999999', 299000, pdf.length - 1],
    ] as const) {
      const res = await download(owner.token, id, { range });
      expect(res.statusCode, range).toBe(206);
      expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${pdf.length}`);
      expect(res.rawPayload.equals(pdf.subarray(start, end + 1)), range).toBe(true);
    }
    expect((await download(owner.token, id, { range: `bytes=${pdf.length}-` })).statusCode).toBe(416);
  });

  it('sends a safe Content-Disposition, the ETag, and 304 for a matching If-None-Match', async () => {
    const owner = await signup(env.app);
    const pdf = samplePdf();
    const id = (
      await uploadRaw(env.app, owner.token, pdf, {
        contentType: 'application/pdf',
        query: { filename: 'Faktura "č.1"\r\nX-Evil: 1.pdf' },
      })
    ).json().id;
    const res = await download(owner.token, id);
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="[^"\r\n]+"; filename\*=UTF-8''/,
    );
    expect(res.headers['x-evil']).toBeUndefined();
    expect(res.headers.etag).toBe(`"${sha256(pdf)}"`);
    const cached = await download(owner.token, id, { 'if-none-match': `"${sha256(pdf)}"` });
    expect(cached.statusCode).toBe(304);
  });

  it('answers 410 content_unavailable, not 500, for a document whose blob is missing, and still audits the read', async () => {
    const owner = await signup(env.app);
    const uploaded = await uploadRaw(env.app, owner.token, samplePdf(), { contentType: 'application/pdf' });
    expect(uploaded.statusCode).toBe(201);
    const id = uploaded.json().id;
    const container = env.blobStore.containerFor(owner.tenantId);
    const names = await listBlobNames(env.config.blobs.connectionString, container);
    expect(names).toHaveLength(1);
    await env.blobStore.delete(container, names[0]!);

    const variants: Record<string, string>[] = [{}, { range: 'bytes=0-9' }];
    for (const headers of variants) {
      const res = await download(owner.token, id, headers);
      expect(res.statusCode, res.body).toBe(410);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ status: 410, code: 'content_unavailable' });
      expect(res.json().detail).not.toContain(container);
    }
    // The document itself still exists: only its content is gone.
    const meta = await env.app.inject({ url: `/v1/documents/${id}`, headers: bearer(owner.token) });
    expect(meta.statusCode).toBe(200);
    const { rows } = await env.adminQuery(
      `SELECT action FROM audit_events WHERE tenant_id = $1 AND target_id = $2 AND action = 'document.content_read'`,
      [owner.tenantId, id],
    );
    expect(rows).toHaveLength(2);
  });

  it('audits every upload and every read of content, and nothing for a refused range', async () => {
    const owner = await signup(env.app);
    const uploaded = await uploadRaw(env.app, owner.token, samplePdf(), { contentType: 'application/pdf' });
    // Stored and queued for extraction in one transaction: the answer already says so.
    expect(uploaded.json().status).toBe('queued');
    const id = uploaded.json().id;
    await download(owner.token, id);
    await download(owner.token, id, { range: 'bytes=0-9' });
    expect((await download(owner.token, id, { range: 'bytes=999999-' })).statusCode).toBe(416);
    const { rows } = await env.adminQuery(
      `SELECT action, payload FROM audit_events WHERE tenant_id = $1 AND target_id = $2 ORDER BY ingest_id`,
      [owner.tenantId, id],
    );
    expect(rows.map((r) => r.action)).toEqual([
      'document.uploaded',
      'document.queued',
      'document.content_read',
      'document.content_read',
    ]);
    expect(rows[3].payload.range).toBe('0-9');
  });

  it('round-trips over a real connection byte for byte, whole and by Range, with the sent buffer left intact and every header of the answer', async () => {
    // Over a socket (unlike inject) a one-block blob of announced size streams to storage as its
    // bytes arrive, in the pieces the connection delivers: what the client holds and gets must
    // not change.
    const owner = await signup(env.app);
    const address = await env.app.listen({ port: 0, host: '127.0.0.1' });
    const bytes = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(5 * 1024 * 1024 + 11)]);
    const sent = Buffer.from(bytes);
    const request = (method: string, path: string, headers: http.OutgoingHttpHeaders, body?: Buffer) =>
      new Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
        const req = http.request(new URL(path, address), {
          method,
          headers: { ...bearer(owner.token), ...headers },
        });
        req.once('error', reject);
        req.once('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.once('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }),
          );
        });
        req.end(body);
      });
    const up = await request(
      'POST',
      '/v1/documents?filename=big.pdf',
      { 'content-type': 'application/pdf', 'content-length': bytes.length },
      bytes,
    );
    expect(up.status).toBe(201);
    const document = JSON.parse(up.body.toString('utf8')) as {
      id: string;
      sha256: string;
      size: number;
    };
    expect(bytes.equals(sent)).toBe(true);
    expect(document.sha256).toBe(sha256(sent));
    expect(document.size).toBe(sent.length);
    const whole = await request('GET', `/v1/documents/${document.id}/content`, {});
    expect(whole.status).toBe(200);
    expect(whole.body.equals(sent)).toBe(true);
    // Over a socket the download writes its answer itself (to free each piece once sent): the
    // headers of the route, Fastify's request id and helmet's must all be there.
    expect(whole.headers).toMatchObject({
      'content-type': 'application/pdf',
      'content-length': String(sent.length),
      etag: `"${sha256(sent)}"`,
      'accept-ranges': 'bytes',
      'cache-control': 'private, no-store',
      'x-content-type-options': 'nosniff',
    });
    expect(whole.headers['x-request-id']).toEqual(expect.any(String));
    expect(whole.headers['content-disposition']).toContain('big.pdf');
    const part = await request('GET', `/v1/documents/${document.id}/content`, {
      range: 'bytes=65530-200000',
    });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 65530-200000/${sent.length}`);
    expect(part.body.equals(sent.subarray(65530, 200001))).toBe(true);
  }, 60_000);
});
