/**
 * Streams a document's plaintext out of blob storage: the whole of it, or one byte range, for which
 * only the encrypted segments that hold the range are fetched. Decryption verifies every segment;
 * a damaged stream errors instead of yielding altered bytes.
 */
import { pipeline, type Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { RangeNotSatisfiableError } from '../../core/errors.js';
import { createDecryptStream, HEADER_LENGTH, segmentRangeFor } from '../../platform/crypto/segmented-aead.js';
import type { BlobStore } from '../../platform/storage/blob-store.js';

/** An inclusive byte range as in `Range: bytes=start-end`; `end` undefined means "to the end". */
export interface ByteRange {
  readonly start?: number | undefined;
  readonly end?: number | undefined;
  /** `bytes=-N`: the last N bytes. */
  readonly suffixLength?: number | undefined;
}

export interface OpenedContent {
  readonly stream: Readable;
  readonly contentLength: number;
  /** Set for a partial response. */
  readonly range?: { readonly start: number; readonly end: number; readonly total: number } | undefined;
}

export interface StoredBlob {
  readonly blobStore: BlobStore;
  readonly container: string;
  readonly blobName: string;
  /** Or the KMS call that unwraps it: the blob request then goes out while it runs. */
  readonly dek: Buffer | Promise<Buffer>;
  readonly segmentSize: number;
  readonly sizeBytes: number;
}

/** Resolves a requested range against the size; throws 416 when it cannot be satisfied. */
export function resolveRange(range: ByteRange, size: number): { start: number; end: number } {
  if (size === 0) throw new RangeNotSatisfiableError(size);
  if (range.suffixLength !== undefined) {
    if (range.suffixLength <= 0) throw new RangeNotSatisfiableError(size);
    return { start: Math.max(0, size - range.suffixLength), end: size - 1 };
  }
  const start = range.start ?? 0;
  const end = Math.min(range.end ?? size - 1, size - 1);
  if (start >= size || start > end) throw new RangeNotSatisfiableError(size);
  return { start, end };
}

/** Pipes and returns the decrypting end; an error anywhere (blob or decryption) destroys it. */
function decrypting(cipher: Readable, decrypt: ReturnType<typeof createDecryptStream>): Readable {
  return pipeline(cipher, decrypt, () => undefined);
}

/**
 * The blob stream and the data key, fetched at once: neither waits for the other. A stream that
 * arrived for a key that did not is destroyed, and the key's error is the answer.
 */
async function withKey(
  cipher: Promise<Readable>,
  dek: Buffer | Promise<Buffer>,
): Promise<{ cipher: Readable; dek: Buffer }> {
  const [stream, key] = await Promise.allSettled([cipher, dek]);
  if (key.status === 'rejected') {
    if (stream.status === 'fulfilled') stream.value.destroy();
    throw key.reason;
  }
  if (stream.status === 'rejected') throw stream.reason;
  return { cipher: stream.value, dek: key.value };
}

/** Opens the whole content, or the inclusive plaintext range `range` (from `resolveRange`). */
export async function openDecryptedContent(
  blob: StoredBlob,
  range?: { readonly start: number; readonly end: number },
): Promise<OpenedContent> {
  const { blobStore, container, blobName } = blob;
  if (!range) {
    const { cipher, dek } = await withKey(blobStore.download(container, blobName), blob.dek);
    return {
      stream: decrypting(cipher, createDecryptStream(dek, undefined, { inputOwned: true })),
      contentLength: blob.sizeBytes,
    };
  }
  const { start, end } = range;
  const segments = segmentRangeFor(start, end, {
    segmentSize: blob.segmentSize,
    plaintextLength: blob.sizeBytes,
  });
  // The header and the segments are two ranged reads, sent together.
  const header = blobStore
    .download(container, blobName, { offset: 0, count: HEADER_LENGTH })
    .then((stream) => buffer(stream));
  header.catch(() => undefined); // awaited below, after the segments' request
  const { cipher, dek } = await withKey(
    blobStore.download(container, blobName, { offset: segments.cipherOffset, count: segments.cipherLength }),
    blob.dek,
  );
  let headerBytes: Buffer;
  try {
    headerBytes = await header;
  } catch (error) {
    cipher.destroy();
    throw error;
  }
  const stream = decrypting(
    cipher,
    createDecryptStream(dek, { header: headerBytes, range: segments }, { inputOwned: true }),
  );
  return { stream, contentLength: end - start + 1, range: { start, end, total: blob.sizeBytes } };
}
