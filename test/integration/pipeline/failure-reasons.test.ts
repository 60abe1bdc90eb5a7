/**
 * Issue 13, finding 13: a failure reason (API `failureReason`, `document.failed` webhooks) is a
 * stable code and a safe message. Engine refusals keep their own message; anything else (a failed
 * insert, a missing blob) is `internal_error`, its details only in the worker's log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL_FAILURE_REASON } from '../../../src/modules/extractions/extractions.failures.js';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers.js';
import { bearer, signup, type SignedUp } from '../../helpers/auth.js';
import { uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';
import { SAMPLE } from '../../unit/extraction/fixtures/invoice-model.js';
import { ublXml } from '../../unit/extraction/fixtures/xml-fixtures.js';

const env = useTestEnv({
  env: {
    EXTRACTION_ATTEMPTS: '2',
    EXTRACTION_BACKOFF_MS: '50',
    WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOK_ATTEMPTS: '1',
  },
});
let workers: RunningWorkers;
let owner: SignedUp;

beforeAll(async () => {
  owner = await signup(env.app);
  // Nothing listens there: the delivery row keeps the event payload, which is what is checked.
  const hook = await env.app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: bearer(owner.token),
    payload: { url: 'http://127.0.0.1:9/hook', events: ['document.failed'] },
  });
  expect(hook.statusCode, hook.body).toBe(201);
  workers = await startWorkers(env.container);
});
afterAll(async () => workers?.close());

async function failed(id: string, timeoutMs = 30_000): Promise<{ status: string; failureReason: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const doc = (await env.app.inject({ url: `/v1/documents/${id}`, headers: bearer(owner.token) })).json();
    if (!['stored', 'queued', 'extracting'].includes(doc.status)) return doc;
    if (Date.now() > deadline) throw new Error(`document ${id} still ${doc.status}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function webhookReason(documentId: string): Promise<string | undefined> {
  const { rows } = await env.adminQuery(
    `SELECT payload FROM webhook_deliveries WHERE event_type = 'document.failed' AND payload->'data'->>'documentId' = $1`,
    [documentId],
  );
  return rows[0]?.payload.data.reason;
}

/** What must never reach a client: Prisma's query context, source paths, blob container names. */
const INTERNALS = /prisma|invocation|\.ts:\d+|\.js:\d+|node_modules|\/src\/|container|tenant-|blob/i;

describe('failure reasons', () => {
  it('fails an XML invoice with a NUL byte in its text cleanly as invalid_xml, in the API and the webhook', async () => {
    const xml = ublXml({ ...SAMPLE, number: 'NUL-1' }).replace('NUL-1', 'NUL\u0000-1');
    const up = await uploadRaw(env.app, owner.token, Buffer.from(xml), { contentType: 'application/xml' });
    expect(up.statusCode, up.body).toBe(201);
    const doc = await failed(up.json().id);
    expect(doc).toMatchObject({
      status: 'failed',
      failureReason: expect.stringMatching(
        /^invalid_xml: XML is not well-formed: U\+0000 is not an XML character \(line \d+\)$/,
      ),
    });
    await expect.poll(() => webhookReason(up.json().id)).toBe(doc.failureReason);
  });

  it('stores an internal error as internal_error, without query context, paths or container names', async () => {
    const up = await uploadRaw(env.app, owner.token, Buffer.from(ublXml({ ...SAMPLE, number: 'GONE-1' })), {
      contentType: 'application/xml',
    });
    expect(up.statusCode, up.body).toBe(201);
    // The ciphertext disappears from storage: the blob store's error names the container.
    await env.blobStore.delete(env.blobStore.containerFor(owner.tenantId), up.json().id);
    const doc = await failed(up.json().id);
    expect(doc).toMatchObject({ status: 'failed', failureReason: INTERNAL_FAILURE_REASON });
    await expect.poll(() => webhookReason(up.json().id)).toBe(INTERNAL_FAILURE_REASON);
    const { rows } = await env.adminQuery('SELECT failure_reason FROM documents WHERE id = $1', [
      up.json().id,
    ]);
    expect(rows[0].failure_reason).not.toMatch(INTERNALS);
  });

  it('shows a raw internal message stored before reasons were sanitised as internal_error', async () => {
    const up = await uploadRaw(env.app, owner.token, Buffer.from(ublXml({ ...SAMPLE, number: 'OLD-1' })), {
      contentType: 'application/xml',
    });
    await failed(up.json().id).catch(() => undefined);
    await env.adminQuery(`UPDATE documents SET status = 'failed', failure_reason = $2 WHERE id = $1`, [
      up.json().id,
      'Invalid `prisma.extraction.create()` invocation in /srv/app/src/modules/extractions/extractions.repo.ts:88:5',
    ]);
    const doc = (
      await env.app.inject({ url: `/v1/documents/${up.json().id}`, headers: bearer(owner.token) })
    ).json();
    expect(doc.failureReason).toBe(INTERNAL_FAILURE_REASON);
  });
});
