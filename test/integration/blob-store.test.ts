import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, inject, it } from 'vitest';
import { BlobNotFoundError, createBlobStore } from '../../src/platform/storage/blob-store.js';
import { azuriteConnectionString } from '../../src/platform/storage/azurite-process.js';

const services = inject('services');
const store = createBlobStore(services.blobConnectionString, `b${randomBytes(3).toString('hex')}`);
const container = store.containerFor('7f1c2b3a-0000-4000-8000-000000000001');

describe('blob store adapter (Azurite)', () => {
  it('names a container per tenant from the tenant id only', () => {
    expect(container).toMatch(/^b[0-9a-f]{6}-7f1c2b3a-0000-4000-8000-000000000001$/);
  });

  it('streams a multi-block blob up and down byte for byte, and serves byte ranges', async () => {
    await store.ensureContainer(container);
    await store.ensureContainer(container); // idempotent
    const bytes = randomBytes(9 * 1024 * 1024 + 123);
    await store.upload(container, 'a/blob.bin', Readable.from([bytes]));
    expect(await store.exists(container, 'a/blob.bin')).toBe(true);
    expect((await buffer(await store.download(container, 'a/blob.bin'))).equals(bytes)).toBe(true);
    const range = await buffer(
      await store.download(container, 'a/blob.bin', { offset: 5_000_000, count: 1000 }),
    );
    expect(range.equals(bytes.subarray(5_000_000, 5_001_000))).toBe(true);
  });

  it('deletes blobs and reports missing ones clearly', async () => {
    await store.ensureContainer(container);
    await store.upload(container, 'gone.bin', Readable.from([Buffer.from('x')]));
    expect(await store.delete(container, 'gone.bin')).toBe(true);
    expect(await store.delete(container, 'gone.bin')).toBe(false);
    await expect(store.download(container, 'gone.bin')).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it('answers ping true when reachable and false when not', async () => {
    expect(await store.ping()).toBe(true);
    expect(await createBlobStore(azuriteConnectionString(1), 'x').ping()).toBe(false);
  });
});
