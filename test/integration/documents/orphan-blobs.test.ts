/**
 * The orphan blob sweep against Azurite: a blob no document row names (an API killed mid-upload)
 * is deleted once older than the grace period; a fresh one, and every blob that has a row, stay.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { bearer, signup } from '../../helpers/auth.js';
import { listBlobNames, samplePdf, uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';

const GRACE_MS = 1_500;
const env = useTestEnv({ env: { ORPHAN_BLOB_GRACE_MS: String(GRACE_MS) } });

describe('orphan blob sweep', () => {
  it('deletes a blob without a document row once older than the grace, and keeps fresh orphans and every blob with a row', async () => {
    const owner = await signup(env.app);
    const store = env.blobStore;
    const container = store.containerFor(owner.tenantId);
    const upload = async () => {
      const res = await uploadRaw(env.app, owner.token, samplePdf(), { contentType: 'application/pdf' });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().id as string;
    };
    const kept = await upload();
    const trashed = await upload();
    const trash = await env.app.inject({
      method: 'DELETE',
      url: `/v1/documents/${trashed}`,
      headers: bearer(owner.token),
      payload: { reason: 'test' },
    });
    expect(trash.statusCode, trash.body).toBe(200);
    // What an API killed between storing the blob and committing its row leaves behind.
    const oldOrphan = randomUUID();
    await store.upload(container, oldOrphan, Readable.from([randomBytes(1024)]));
    await sleep(GRACE_MS + 1_100); // last-modified times have one-second resolution
    const freshOrphan = randomUUID();
    await store.upload(container, freshOrphan, Readable.from([randomBytes(1024)]));

    const report = await env.container.orphanBlobs.sweepOrphanBlobs();
    expect(report.deleted).toBe(1);
    const names = await listBlobNames(env.config.blobs.connectionString, container);
    expect(names.sort()).toEqual([kept, trashed, freshOrphan].sort());
    const { rows } = await env.adminQuery(
      `SELECT target_id FROM audit_events WHERE tenant_id = $1 AND action = 'blob.orphan_deleted'`,
      [owner.tenantId],
    );
    expect(rows.map((r) => r.target_id)).toEqual([oldOrphan]);
    expect((await env.container.orphanBlobs.sweepOrphanBlobs()).deleted).toBe(0);
  });
});
