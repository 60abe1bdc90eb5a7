/**
 * /readyz looks past reachability: a blob store that lost the documents PostgreSQL lists (wiped,
 * swapped, an in-memory emulator restarted) is reported, since every download would fail.
 */
import { describe, expect, it } from 'vitest';
import { signup } from '../helpers/auth.js';
import { listBlobNames, samplePdf, uploadRaw } from '../helpers/documents.js';
import { useTestEnv } from '../helpers/test-env.js';

const env = useTestEnv();

async function readiness() {
  const res = await env.app.inject({ url: '/readyz' });
  return { status: res.statusCode, body: res.json() };
}

describe('readiness of the blob contents', () => {
  it('is up with no documents, up while blobs are there, and down once a tenant lost its blobs', async () => {
    expect((await readiness()).body.checks.blobContents).toBe('up');

    const owner = await signup(env.app);
    const uploaded = await uploadRaw(env.app, owner.token, samplePdf(), { contentType: 'application/pdf' });
    expect(uploaded.statusCode).toBe(201);
    env.clock.advance(60_000);
    expect(await readiness()).toEqual({
      status: 200,
      body: {
        status: 'ready',
        checks: { database: 'up', redis: 'up', blobStorage: 'up', blobContents: 'up' },
      },
    });

    // The store answers, but what the database lists is gone: exactly the restarted dev stack.
    const container = env.blobStore.containerFor(owner.tenantId);
    for (const name of await listBlobNames(env.config.blobs.connectionString, container))
      await env.blobStore.delete(container, name);
    // The verdict is cached (probes every second cost nothing) until it is due again.
    expect((await readiness()).status).toBe(200);
    env.clock.advance(60_000);
    expect(await readiness()).toEqual({
      status: 503,
      body: {
        status: 'not_ready',
        checks: { database: 'up', redis: 'up', blobStorage: 'up', blobContents: 'down' },
      },
    });
  });
});
