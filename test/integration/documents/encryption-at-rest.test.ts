import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import {
  createDecryptStream,
  createEncryptStream,
  HEADER_LENGTH,
  TAG_LENGTH,
} from '../../../src/platform/crypto/segmented-aead.js';
import { azuriteConnectionString } from '../../../scripts/dev-services/azurite-process.js';
import { bearer, signup } from '../../helpers/auth.js';
import { listBlobNames, uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();
const SEGMENT = 64 * 1024;

/** The test app on a real port, started once for the tests that need a connection. */
let listening: string | undefined;
const listen = async () => (listening ??= await env.app.listen({ port: 0, host: '127.0.0.1' }));

/** A document whose plaintext is a recognisable phrase repeated: easy to look for in ciphertext. */
function recognisablePdf(): Buffer {
  return Buffer.from(
    `%PDF-1.7\n${'FAKTURA 2026-0042 Dodavatel ACME s.r.o. IBAN CZ6508000000192000145399\n'.repeat(4000)}`,
  );
}

async function storedDocument() {
  const owner = await signup(env.app);
  const plaintext = recognisablePdf();
  const doc = (await uploadRaw(env.app, owner.token, plaintext, { contentType: 'application/pdf' })).json();
  const container = env.blobStore.containerFor(owner.tenantId);
  const ciphertext = await buffer(await env.blobStore.download(container, doc.id));
  const { rows } = await env.adminQuery(
    'SELECT wrapped_dek, key_ref FROM document_keys WHERE document_id = $1',
    [doc.id],
  );
  const dek = await env.container.keyProvider.unwrapKey(rows[0].key_ref, rows[0].wrapped_dek);
  return { owner, doc, plaintext, container, ciphertext, dek };
}

async function decrypt(dek: Buffer, ciphertext: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(Readable.from([ciphertext]), createDecryptStream(dek), async (source) => {
    for await (const chunk of source) chunks.push(chunk as Buffer);
  });
  return Buffer.concat(chunks);
}

describe('encryption at rest', () => {
  it('keeps only ciphertext in blob storage: no plaintext fragment appears in the raw blob', async () => {
    const { ciphertext, plaintext, dek } = await storedDocument();
    expect(ciphertext.length).toBeGreaterThan(plaintext.length);
    for (const fragment of ['FAKTURA', 'ACME', 'CZ6508000000192000145399', '%PDF']) {
      expect(ciphertext.includes(Buffer.from(fragment))).toBe(false);
    }
    expect((await decrypt(dek, ciphertext)).equals(plaintext)).toBe(true);
  });

  it('stores the data key only wrapped by the tenant key', async () => {
    const { doc, owner } = await storedDocument();
    const { rows } = await env.adminQuery(
      'SELECT k.wrapped_dek, k.key_ref, k.algorithm, t.kek_ref FROM document_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.document_id = $1',
      [doc.id],
    );
    expect(rows[0].algorithm).toBe('A256GCM-local');
    expect(rows[0].key_ref).toBe(rows[0].kek_ref);
    expect(rows[0].key_ref).toContain(owner.tenantId);
    expect(rows[0].wrapped_dek.length).toBeGreaterThan(32);
  });

  it.each([
    [
      'one flipped byte',
      (c: Buffer) => {
        const t = Buffer.from(c);
        t[HEADER_LENGTH + 1000] = t[HEADER_LENGTH + 1000]! ^ 0x01;
        return t;
      },
    ],
    [
      'the last segment dropped',
      (c: Buffer) => {
        const full = SEGMENT + TAG_LENGTH;
        const segments = Math.ceil((c.length - HEADER_LENGTH) / full);
        return c.subarray(0, HEADER_LENGTH + (segments - 1) * full);
      },
    ],
    [
      'two segments swapped',
      (c: Buffer) => {
        const full = SEGMENT + TAG_LENGTH;
        const a = c.subarray(HEADER_LENGTH, HEADER_LENGTH + full);
        const b = c.subarray(HEADER_LENGTH + full, HEADER_LENGTH + 2 * full);
        return Buffer.concat([c.subarray(0, HEADER_LENGTH), b, a, c.subarray(HEADER_LENGTH + 2 * full)]);
      },
    ],
  ])(
    'refuses to decrypt the raw blob with %s, and the API never serves the altered bytes',
    async (_label, tamper) => {
      const { ciphertext, dek, container, doc, owner, plaintext } = await storedDocument();
      const tampered = tamper(ciphertext);
      await expect(decrypt(dek, tampered)).rejects.toThrow(
        /DecryptionError|not intact|authenticate|segment/i,
      );
      await env.blobStore.upload(container, doc.id, Readable.from([tampered]));
      const res = await env.app
        .inject({ url: `/v1/documents/${doc.id}/content`, headers: bearer(owner.token) })
        .catch((e: Error) => e);
      if (!(res instanceof Error)) expect(res.rawPayload.equals(plaintext)).toBe(false);
    },
  );

  it.each([
    ['its first segment', HEADER_LENGTH + 10],
    ['its third segment, after the first two were sent', HEADER_LENGTH + 2 * (SEGMENT + TAG_LENGTH) + 10],
  ])(
    'over a real connection, a blob altered in %s is never served: an error, or a response cut short of its length',
    async (_label, at) => {
      const { ciphertext, container, doc, owner, plaintext } = await storedDocument();
      const tampered = Buffer.from(ciphertext);
      tampered[at] = tampered[at]! ^ 0x01;
      await env.blobStore.upload(container, doc.id, Readable.from([tampered]));
      const address = await listen();
      const got = await new Promise<{ status: number; length: number; body: Buffer; complete: boolean }>(
        (resolve) => {
          http.get(`${address}/v1/documents/${doc.id}/content`, { headers: bearer(owner.token) }, (res) => {
            const chunks: Buffer[] = [];
            const done = (complete: boolean) =>
              resolve({
                status: res.statusCode ?? 0,
                length: Number(res.headers['content-length'] ?? -1),
                body: Buffer.concat(chunks),
                complete,
              });
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.once('end', () => done(res.complete));
            res.once('error', () => done(false));
          });
        },
      );
      if (got.status === 200) {
        // The pieces that were sent had verified: what arrived is the start of the document, and
        // the connection ended before the altered segment.
        expect(got.complete).toBe(false);
        expect(got.body.length).toBeLessThan(got.length);
        expect(got.body.equals(plaintext.subarray(0, got.body.length))).toBe(true);
      } else {
        expect(got.status).toBeGreaterThanOrEqual(500);
        expect(got.body.includes(Buffer.from('FAKTURA'))).toBe(false);
      }
      if (at < HEADER_LENGTH + SEGMENT) expect(got.status).not.toBe(200);
    },
  );

  it('round-trips a 0-byte plaintext through the storage format and Azurite', async () => {
    const dek = randomBytes(32);
    const container = `${env.config.blobs.containerPrefix}-zero`;
    await env.blobStore.ensureContainer(container);
    await pipeline(Readable.from([Buffer.alloc(0)]), createEncryptStream(dek), (encrypted) =>
      env.blobStore.upload(container, 'empty', Readable.from(encrypted)),
    );
    const stored = await buffer(await env.blobStore.download(container, 'empty'));
    expect(stored.length).toBe(HEADER_LENGTH + TAG_LENGTH);
    expect((await decrypt(dek, stored)).length).toBe(0);
  });
});

describe('failure safety', () => {
  it.each([
    ['staged in blocks (20 MB announced)', 20 * 1024 * 1024, 3 * 1024 * 1024],
    ['streamed as one Put Blob (2 MB announced)', 2 * 1024 * 1024, 1024 * 1024],
  ])(
    'leaves no document row and no blob when the client disconnects mid-upload, %s',
    async (_label, announced, sent) => {
      const owner = await signup(env.app);
      const address = await listen();
      const { port } = new URL(address);
      await new Promise<void>((resolve) => {
        const req = http.request({
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/v1/documents',
          headers: {
            ...bearer(owner.token),
            'content-type': 'application/pdf',
            'content-length': String(announced),
          },
        });
        req.on('error', () => resolve());
        req.write(Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(sent)]));
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 300);
      });
      await new Promise((r) => setTimeout(r, 1500));
      const { rows } = await env.adminQuery('SELECT count(*)::int AS n FROM documents WHERE tenant_id = $1', [
        owner.tenantId,
      ]);
      expect(rows[0].n).toBe(0);
      const container = env.blobStore.containerFor(owner.tenantId);
      expect(await listBlobNames(env.config.blobs.connectionString, container)).toEqual([]);
    },
    30_000,
  );
});

describe('blob storage down', () => {
  const down = useTestEnv({ env: { AZURE_STORAGE_CONNECTION_STRING: azuriteConnectionString(1) } });

  it('answers upload with 503 and /readyz names blob storage, storing nothing', async () => {
    const owner = await signup(down.app);
    const res = await uploadRaw(down.app, owner.token, recognisablePdf(), { contentType: 'application/pdf' });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('service_unavailable');
    const ready = await down.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks).toMatchObject({ database: 'up', redis: 'up', blobStorage: 'down' });
    const { rows } = await down.adminQuery('SELECT count(*)::int AS n FROM documents');
    expect(rows[0].n).toBe(0);
  }, 60_000);
});
