/**
 * Writes one block blob from bytes pushed by the caller, in constant memory and without stream
 * stages: bytes are copied once, into block buffers that are reused for the whole blob, and each
 * full block is staged while the next one fills. A blob that fits in one block is stored with a
 * single Put Blob (half the round trips, and it appears atomically); a larger one is committed as
 * a block list at the end, so a reader never sees a partial blob either way.
 *
 * Why not the SDK's `uploadStream`: it wraps the source in further streams and buffers of its own,
 * which cost CPU and short-lived allocations per megabyte (see docs/operations.md, storage).
 */
import { PassThrough, Readable } from 'node:stream';
import type { BlockBlobClient } from '@azure/storage-blob';
import { releaseBuffer } from '../release-buffer.js';

/** Block size of large blobs, and the most one blob holds in memory per block in flight. */
export const BLOCK_BYTES = 4 * 1024 * 1024;
/** Blocks staged at once per blob: enough to keep the connection busy while the next one fills. */
export const STAGE_CONCURRENCY = 4;
/** The first buffer of a blob of unknown size: most documents are far smaller than a block. */
const INITIAL_BYTES = 256 * 1024;

export interface BlobWriter {
  /** Copies `bytes` in; the caller may reuse them afterwards. Call `ready()` before the next write. */
  write(bytes: Buffer): void;
  /** Resolves once fewer than `STAGE_CONCURRENCY` blocks are in flight (backpressure). */
  ready(): Promise<void>;
  /** Stores what is left and commits the blob. */
  close(): Promise<void>;
  /** Gives up: waits for blocks in flight (staged blocks that are never committed expire). */
  abort(): Promise<void>;
}

/**
 * A blob whose exact size is known up front and fits one block is sent as one streamed Put Blob
 * that starts at once, so its bytes travel while the rest still arrives instead of after it
 * (small uploads are latency-bound). The pieces are copied into chunks of this size on the way.
 */
const STREAM_CHUNK_BYTES = 256 * 1024;
const NO_BYTES = Buffer.alloc(0);

export function openBlockWriter(client: BlockBlobClient, sizeHint?: number, exactBytes?: number): BlobWriter {
  if (
    exactBytes !== undefined &&
    Number.isSafeInteger(exactBytes) &&
    exactBytes > 0 &&
    exactBytes <= BLOCK_BYTES
  ) {
    return openStreamedPut(client, exactBytes);
  }
  return openStagedWriter(client, sizeHint);
}

/**
 * One Put Blob whose body streams as it is written. Put Blob is atomic: a request that is
 * aborted or sends fewer bytes than announced creates no blob. A streamed body cannot be sent
 * twice, so a failed attempt fails the write (the caller answers 503) instead of being retried.
 */
function openStreamedPut(client: BlockBlobClient, exactBytes: number): BlobWriter {
  const body = new PassThrough({ highWaterMark: STREAM_CHUNK_BYTES });
  const aborted = new AbortController();
  let attempts = 0;
  let written = 0;
  let failure: unknown;
  let current = Buffer.allocUnsafe(Math.min(STREAM_CHUNK_BYTES, exactBytes));
  let filled = 0;
  const put = client
    .upload(
      () => {
        attempts += 1;
        if (attempts === 1) return body;
        return new Readable({
          read() {
            this.destroy(new Error('A streamed Put Blob cannot be retried'));
          },
        });
      },
      exactBytes,
      { abortSignal: aborted.signal },
    )
    .then(
      () => undefined,
      (error: unknown) => {
        failure ??= error;
        body.destroy();
      },
    );

  const flush = (): void => {
    if (filled === 0) return;
    body.write(current.subarray(0, filled));
    written += filled;
    // Once the last byte is out nothing more fits (write refuses it): no further chunk.
    current =
      written < exactBytes
        ? Buffer.allocUnsafe(Math.min(STREAM_CHUNK_BYTES, exactBytes - written))
        : NO_BYTES;
    filled = 0;
  };
  const throwIfFailed = (): void => {
    if (failure !== undefined) throw failure;
  };

  return {
    write(bytes) {
      throwIfFailed();
      if (written + filled + bytes.length > exactBytes) {
        throw new RangeError(`The blob is larger than the ${exactBytes} bytes announced`);
      }
      let offset = 0;
      while (offset < bytes.length) {
        if (filled === current.length) flush();
        const copied = bytes.copy(current, filled, offset);
        filled += copied;
        offset += copied;
      }
    },
    async ready() {
      throwIfFailed();
      if (body.writableNeedDrain) {
        await new Promise<void>((resolve) => {
          body.once('drain', resolve);
          body.once('close', resolve);
        });
      }
      throwIfFailed();
    },
    async close() {
      throwIfFailed();
      flush();
      if (written !== exactBytes) {
        aborted.abort();
        await put;
        throw new RangeError(`The blob holds ${written} bytes, not the ${exactBytes} announced`);
      }
      body.end();
      await put;
      throwIfFailed();
    },
    async abort() {
      aborted.abort();
      body.destroy();
      await put;
    },
  };
}

function openStagedWriter(client: BlockBlobClient, sizeHint?: number): BlobWriter {
  const free: Buffer[] = [];
  const blockIds: string[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let current: Buffer = Buffer.allocUnsafe(firstBufferSize(sizeHint));
  let filled = 0;

  const take = (): Buffer => free.pop() ?? Buffer.allocUnsafe(BLOCK_BYTES);

  /** Stages `current` as the next block and moves on to a free buffer. */
  const stageCurrent = (): void => {
    const block = current;
    const length = filled;
    const id = blockId(blockIds.length);
    blockIds.push(id);
    const staging = client
      .stageBlock(id, block.subarray(0, length), length)
      .then(
        () => {
          if (block.length === BLOCK_BYTES) free.push(block);
        },
        (error: unknown) => {
          failure ??= error;
        },
      )
      .finally(() => inFlight.delete(staging));
    inFlight.add(staging);
    current = take();
    filled = 0;
  };

  /** A first buffer smaller than a block grows into a full one once a blob turns out larger. */
  const grow = (needed: number): void => {
    const larger = Buffer.allocUnsafe(Math.min(BLOCK_BYTES, Math.max(needed, current.length * 4)));
    current.copy(larger, 0, 0, filled);
    current = larger;
  };

  const throwIfFailed = (): void => {
    if (failure !== undefined) throw failure;
  };

  /**
   * Once nothing is in flight the block buffers are freed at once (release-buffer.ts): left to
   * the garbage collector, a large upload's 16-20 MB of them count towards the next collection.
   */
  const releaseBlocks = (): void => {
    for (const block of free.splice(0)) releaseBuffer(block);
    releaseBuffer(current);
  };

  return {
    write(bytes) {
      throwIfFailed();
      let offset = 0;
      while (offset < bytes.length) {
        if (filled === current.length) {
          if (current.length < BLOCK_BYTES) grow(filled + bytes.length - offset);
          else stageCurrent();
        }
        const copied = bytes.copy(current, filled, offset, offset + current.length - filled);
        filled += copied;
        offset += copied;
      }
    },
    async ready() {
      while (inFlight.size >= STAGE_CONCURRENCY) await Promise.race(inFlight);
      throwIfFailed();
    },
    async close() {
      throwIfFailed();
      if (blockIds.length === 0) {
        // A factory-free Buffer body: the SDK can send it again when it retries the request.
        await client.upload(current.subarray(0, filled), filled);
        releaseBlocks();
        return;
      }
      if (filled > 0) stageCurrent();
      await Promise.all(inFlight);
      throwIfFailed();
      await client.commitBlockList(blockIds);
      releaseBlocks();
    },
    async abort() {
      await Promise.allSettled(inFlight);
      releaseBlocks();
    },
  };
}

function firstBufferSize(sizeHint: number | undefined): number {
  if (sizeHint === undefined || !Number.isFinite(sizeHint) || sizeHint <= 0) return INITIAL_BYTES;
  return Math.min(BLOCK_BYTES, Math.ceil(sizeHint));
}

/** Block ids must all have the same length within a blob: a zero-padded counter, base64. */
function blockId(index: number): string {
  return Buffer.from(index.toString().padStart(8, '0'), 'ascii').toString('base64');
}
