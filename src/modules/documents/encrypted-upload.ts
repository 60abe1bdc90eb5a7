/**
 * The upload pipeline: bytes in, ciphertext in blob storage, in constant memory. On the way the
 * first bytes decide the type (allowlist), every byte is counted (the size limit ends the upload
 * the moment it is passed) and hashed (SHA-256 of the plaintext), and each document gets its own
 * random 256-bit data key, which leaves this function only wrapped by the tenant's KEK.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
  ValidationFailedError,
} from '../../core/errors.js';
import { ciphertextLength, SegmentEncryptor } from '../../platform/crypto/segmented-aead.js';
import type { KeyProvider, WrappedKey } from '../../platform/kms/key-provider.js';
import { releaseBuffer } from '../../platform/release-buffer.js';
import type { BlobStore, BlobWriter } from '../../platform/storage/blob-store.js';
import { readHead, type StreamHead } from '../../platform/streams.js';
import {
  ACCEPTED_CONTENT_TYPES,
  SNIFF_BYTES,
  sniffContentType,
  type SniffedType,
} from './content-sniffer.js';

export interface StoredContent {
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly type: SniffedType;
  readonly segmentSize: number;
}

export interface EncryptedUploadTarget {
  readonly blobStore: BlobStore;
  readonly container: string;
  readonly blobName: string;
  readonly keyProvider: KeyProvider;
  readonly kekRef: string;
  readonly maxBytes: number;
  readonly segmentSize: number;
  /**
   * The plaintext size, exact: a raw body's Content-Length, which Node enforces. It sizes the
   * first buffer and, for a blob of one block, selects the streamed Put Blob, which fails (storing
   * nothing) unless the body is exactly this long, so never pass an estimate.
   */
  readonly expectedBytes?: number | undefined;
  /**
   * The source's chunks are the upload's to free: nothing else holds them once read (a raw HTTP
   * request body, which Node copies out of the socket piece by piece). Each is then freed as soon
   * as it was hashed and encrypted (see release-buffer.ts) instead of at a later collection.
   */
  readonly releaseSourceChunks?: boolean | undefined;
}

/**
 * Counts, hashes and encrypts the plaintext in one pass over each chunk, writing the ciphertext
 * straight into the blob's block buffers: no stream stage and no extra copy between the request
 * and blob storage. Fails with 413 as soon as the total grows past `maxBytes`.
 */
class PlaintextSink {
  readonly hash = createHash('sha256');
  sizeBytes = 0;
  private readonly emit: (piece: Buffer) => void;

  constructor(
    private readonly encryptor: SegmentEncryptor,
    private readonly writer: BlobWriter,
    private readonly maxBytes: number,
    private readonly releaseChunks: boolean,
  ) {
    this.emit = (piece) => writer.write(piece); // created once, not per chunk
  }

  async write(chunk: Buffer): Promise<void> {
    this.sizeBytes += chunk.length;
    if (this.sizeBytes > this.maxBytes) {
      throw new PayloadTooLargeError(`The document is larger than the limit of ${this.maxBytes} bytes.`);
    }
    this.hash.update(chunk);
    this.encryptor.write(chunk, this.emit); // copies what it keeps
    if (this.releaseChunks) releaseBuffer(chunk);
    await this.writer.ready();
  }

  async close(): Promise<void> {
    this.encryptor.end(this.emit);
    await this.writer.close();
  }
}

/** True for errors that mean blob storage is unreachable or failing (answered as 503). */
export function isStorageOutage(error: unknown): boolean {
  const e = error as { code?: string; name?: string; statusCode?: number } | null;
  return Boolean(
    e &&
    (e.name === 'RestError' ||
      ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND'].includes(e.code ?? '')),
  );
}

/** What `receiveEncrypted` read, and the write of its last block still under way. */
export interface ReceivedContent {
  readonly stored: StoredContent;
  /**
   * The data key wrapped by the tenant's KEK. The KMS call runs while the bytes stream and may
   * outlast them (a key vault is a network round trip away): await it only where the wrapped key
   * is stored, so that the transaction's first statements need not wait for it.
   */
  readonly wrappedKey: Promise<WrappedKey>;
  /**
   * Settles once the blob is durable (its last block or its single Put committed); rejects with a
   * storage error (503), the blob then deleted. Await it before committing anything that points
   * at the blob: until then the content may not exist.
   */
  readonly durable: Promise<void>;
}

/** The type the first bytes show, or the refusal (400 empty, 415 not an accepted type). */
function sniffHead(source: Readable, head: StreamHead): SniffedType {
  if (head.length === 0)
    throw new ValidationFailedError('The document is empty.', [{ field: 'body', message: 'is empty' }]);
  const type = sniffContentType(Buffer.concat(head.chunks, head.length));
  if (!type) {
    source.resume(); // let the rest of the body flow past so the connection can answer
    throw new UnsupportedMediaTypeError(
      'Only PDF, PNG, JPEG, TIFF, XML (incl. ISDOC) and ISDOCX documents are accepted; the type is ' +
        'decided from the content, whatever the Content-Type says.',
      ACCEPTED_CONTENT_TYPES,
    );
  }
  return type;
}

/**
 * Reads `source` to its end, hashing and encrypting it into blob storage at `target`, and returns
 * as soon as the last byte was read: the final write to blob storage (for most documents the only
 * one, a single Put) goes on in `durable`, and the data key's wrapping in `wrappedKey`, so the
 * caller can do its database work meanwhile. On any failure before that
 * (type refused, too large, client gone, storage down) nothing is left behind: the blob is deleted
 * before the error is rethrown.
 */
export async function receiveEncrypted(
  source: Readable,
  target: EncryptedUploadTarget,
): Promise<ReceivedContent> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  // With the size announced, the ciphertext's size is certain, and a blob of one block streams
  // to storage as it is encrypted: its Put starts now, while the first bytes are sniffed, and
  // is aborted (storing nothing) if they are refused.
  const cipherBytes =
    target.expectedBytes !== undefined && target.expectedBytes <= target.maxBytes
      ? ciphertextLength(target.expectedBytes, target.segmentSize)
      : undefined;
  const writer = target.blobStore.openWriter(target.container, target.blobName, {
    sizeHint: cipherBytes,
    exactBytes: cipherBytes,
  });
  let type: SniffedType;
  let head: StreamHead;
  try {
    head = await readHead(iterator, SNIFF_BYTES);
    type = sniffHead(source, head);
  } catch (error) {
    await writer.abort();
    throw asStorageError(error);
  }
  const dek = randomBytes(32);
  // The segment key is derived from the DEK here, before the KMS sees it.
  const encryptor = new SegmentEncryptor(dek, { segmentSize: target.segmentSize, piecesCopied: true });
  // The KMS reads the key while wrapping it: wiped only once that settled, however the upload ends.
  const wrappedKey = target.keyProvider.wrapKey(target.kekRef, dek).finally(() => dek.fill(0));
  wrappedKey.catch(() => undefined); // awaited by the caller; never an unhandled rejection meanwhile
  const deleteBlob = () => target.blobStore.delete(target.container, target.blobName).catch(() => undefined);
  try {
    const sink = new PlaintextSink(encryptor, writer, target.maxBytes, target.releaseSourceChunks ?? false);
    let durable: Promise<void>;
    try {
      for (const chunk of head.chunks) await sink.write(chunk);
      if (!head.done) {
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
          await sink.write(next.value);
        }
      }
      durable = sink.close();
    } catch (error) {
      await writer.abort();
      throw error;
    }
    const settled = durable.catch(async (error: unknown) => {
      await deleteBlob();
      throw asStorageError(error);
    });
    settled.catch(() => undefined); // awaited by the caller; never an unhandled rejection meanwhile
    return {
      stored: {
        sha256: sink.hash.digest('hex'),
        sizeBytes: sink.sizeBytes,
        type,
        segmentSize: target.segmentSize,
      },
      wrappedKey,
      durable: settled,
    };
  } catch (error) {
    await deleteBlob();
    throw asStorageError(error);
  }
}

/** Blob storage failures become a 503 the client can retry; anything else passes through. */
export function asStorageError(error: unknown): unknown {
  return isStorageOutage(error)
    ? new ServiceUnavailableError('Document storage is unavailable; please retry shortly.')
    : error;
}
