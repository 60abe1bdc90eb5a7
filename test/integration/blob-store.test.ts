import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { BlobServiceClient } from '@azure/storage-blob';
import { describe, expect, inject, it } from 'vitest';
import { BlobNotFoundError, createBlobStore } from '../../src/platform/storage/blob-store.js';
import { azuriteConnectionString } from '../../scripts/dev-services/azurite-process.js';

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

  it('stores a small body with one Put Blob and a large one in staged blocks', async () => {
    await store.ensureContainer(container);
    const service = BlobServiceClient.fromConnectionString(services.blobConnectionString);
    const committedBlocks = async (name: string) =>
      (await service.getContainerClient(container).getBlockBlobClient(name).getBlockList('committed'))
        .committedBlocks ?? [];
    // Many small chunks adding up to just under the single-put limit, as a stream delivers them.
    const small = randomBytes(4 * 1024 * 1024 - 10);
    const chunks = Array.from({ length: 64 }, (_, i) => small.subarray(i * 65_536, (i + 1) * 65_536));
    await store.upload(container, 'small.bin', Readable.from(chunks));
    expect((await buffer(await store.download(container, 'small.bin'))).equals(small)).toBe(true);
    expect(await committedBlocks('small.bin')).toEqual([]); // Put Blob: no block list
    const large = randomBytes(4 * 1024 * 1024 + 70_000);
    await store.upload(
      container,
      'large.bin',
      Readable.from([large.subarray(0, 65_536), large.subarray(65_536)]),
    );
    expect((await buffer(await store.download(container, 'large.bin'))).equals(large)).toBe(true);
    expect((await committedBlocks('large.bin')).length).toBe(2);
  });

  it('stores nothing when the body fails before its end', async () => {
    await store.ensureContainer(container);
    const failing = Readable.from(
      (async function* () {
        yield randomBytes(1000);
        throw new Error('client went away');
      })(),
    );
    await expect(store.upload(container, 'broken.bin', failing)).rejects.toThrow('client went away');
    expect(await store.exists(container, 'broken.bin')).toBe(false);
  });

  it('streams a blob of announced size as one Put Blob, and stores nothing if it is aborted or comes out short', async () => {
    await store.ensureContainer(container);
    const service = BlobServiceClient.fromConnectionString(services.blobConnectionString);
    const bytes = randomBytes(1024 * 1024 + 5);
    const writer = store.openWriter(container, 'streamed.bin', { exactBytes: bytes.length });
    for (let offset = 0; offset < bytes.length; offset += 65_552) {
      writer.write(bytes.subarray(offset, offset + 65_552));
      await writer.ready();
    }
    await writer.close();
    expect((await buffer(await store.download(container, 'streamed.bin'))).equals(bytes)).toBe(true);
    const blocks = await service
      .getContainerClient(container)
      .getBlockBlobClient('streamed.bin')
      .getBlockList('committed');
    expect(blocks.committedBlocks ?? []).toEqual([]); // one Put Blob

    const aborted = store.openWriter(container, 'aborted.bin', { exactBytes: 300_000 });
    aborted.write(randomBytes(200_000));
    await aborted.ready();
    await aborted.abort();
    expect(await store.exists(container, 'aborted.bin')).toBe(false);

    const short = store.openWriter(container, 'short.bin', { exactBytes: 300_000 });
    short.write(randomBytes(299_999));
    await expect(short.close()).rejects.toThrow('not the 300000 announced');
    expect(await store.exists(container, 'short.bin')).toBe(false);

    const long = store.openWriter(container, 'long.bin', { exactBytes: 10 });
    expect(() => long.write(randomBytes(11))).toThrow('larger than the 10 bytes announced');
    await long.abort();
    expect(await store.exists(container, 'long.bin')).toBe(false);
  });

  it('deletes blobs and reports missing ones clearly', async () => {
    await store.ensureContainer(container);
    await store.upload(container, 'gone.bin', Readable.from([Buffer.from('x')]));
    expect(await store.delete(container, 'gone.bin')).toBe(true);
    expect(await store.delete(container, 'gone.bin')).toBe(false);
    await expect(store.download(container, 'gone.bin')).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it('lists a container’s blobs with their last-modified time, and nothing for a missing container', async () => {
    const own = store.containerFor('7f1c2b3a-0000-4000-8000-000000000002');
    await store.ensureContainer(own);
    const before = Date.now() - 2_000;
    await store.upload(own, 'one', Readable.from([Buffer.from('1')]));
    await store.upload(own, 'two', Readable.from([Buffer.from('2')]));
    const listed = [];
    for await (const blob of store.list(own)) listed.push(blob);
    expect(listed.map((b) => b.name).sort()).toEqual(['one', 'two']);
    for (const blob of listed) expect(blob.lastModified.getTime()).toBeGreaterThan(before);
    const missing = [];
    for await (const blob of store.list(store.containerFor('7f1c2b3a-0000-4000-8000-00000000dead')))
      missing.push(blob);
    expect(missing).toEqual([]);
  });

  it('answers ping true when reachable and false when not', async () => {
    expect(await store.ping()).toBe(true);
    expect(await createBlobStore(azuriteConnectionString(1), 'x').ping()).toBe(false);
  });
});
