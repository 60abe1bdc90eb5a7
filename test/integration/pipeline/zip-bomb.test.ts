/**
 * Issue 13 end to end: an ISDOCX zip bomb passes the upload's type check (its first entry is the
 * invoice) and is refused by the worker at once, with a stable reason, and never retried.
 */
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers.js';
import { bearer, signup, type SignedUp } from '../../helpers/auth.js';
import { uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';
import { deflatedZeros, writeZip } from '../../helpers/zip-writer.js';
import { isdocXml } from '../../unit/extraction/fixtures/xml-fixtures.js';

const env = useTestEnv({ env: { EXTRACTION_ATTEMPTS: '3', EXTRACTION_BACKOFF_MS: '50' } });
let workers: RunningWorkers;
let owner: SignedUp;

beforeAll(async () => {
  workers = await startWorkers(env.container);
  owner = await signup(env.app);
});
afterAll(async () => workers?.close());

async function settled(id: string, timeoutMs = 30_000): Promise<{ status: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const doc = (await env.app.inject({ url: `/v1/documents/${id}`, headers: bearer(owner.token) })).json();
    if (!['stored', 'queued', 'extracting'].includes(doc.status)) return doc;
    if (Date.now() > deadline) throw new Error(`document ${id} still ${doc.status}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('ISDOCX zip bomb through the pipeline', () => {
  it('fails the document on the first attempt with the archive_limit_exceeded reason, never retried', async () => {
    const zeros = deflatedZeros(19);
    const crc = crc32(new Uint8Array(19 * 1024 * 1024));
    const bomb = writeZip([
      { name: 'invoice.isdoc', data: Buffer.from(isdocXml()) },
      ...Array.from({ length: 100 }, (_, i) => ({
        name: `attachments/${i}.isdoc`,
        compressed: zeros,
        declaredSize: 19 * 1024 * 1024,
        crc32: crc,
      })),
    ]);
    const up = await uploadRaw(env.app, owner.token, Buffer.from(bomb), {
      query: { filename: 'invoice.isdocx' },
    });
    expect(up.statusCode).toBe(201);
    expect(up.json().contentType).toBe('application/vnd.isdocx+zip');
    const doc = await settled(up.json().id);
    expect(doc.status).toBe('failed');
    expect(doc).toMatchObject({
      failureReason: 'archive_limit_exceeded: the archive has 101 entries; at most 64 are accepted',
    });
    const { rows } = await env.adminQuery(
      `SELECT count(*)::int AS n FROM audit_events WHERE target_id = $1 AND action = 'document.extracting'`,
      [up.json().id],
    );
    expect(rows[0].n).toBe(1);
  });
});
