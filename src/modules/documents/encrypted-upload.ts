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
import type { BlobStore, BlobWriter } from '../../platform/storage/blob-store.js';
import { readHead } from '../../platform/streams.js';
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
  readonly wrappedKey: WrappedKey;
}

export interface EncryptedUploadTarget {
  readonly blobStore: BlobStore;
  readonly container: string;
  readonly blobName: string;
  readonly keyProvider: KeyProvider;
  readonly kekRef: string;
  readonly maxBytes: number;
  readonly segmentSize: number;
  /** The plaintext size when the client announced it (Content-Length); sizes the first buffer. */
  readonly expectedBytes?: number | undefined;
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
  ) {
    this.emit = (piece) => writer.write(piece); // created once, not per chunk
  }

  async write(chunk: Buffer): Promise<void> {
    this.sizeBytes += chunk.length;
    if (this.sizeBytes > this.maxBytes) {
      throw new PayloadTooLargeError(`The document is larger than the limit of ${this.maxBytes} bytes.`);
    }
    this.hash.update(chunk);
    this.encryptor.write(chunk, this.emit);
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

/**
 * Stores `source` encrypted at `target`. On any failure (type refused, too large, client gone,
 * storage down) nothing is left behind: the blob is deleted before the error is rethrown.
 */
export async function storeEncrypted(
  source: Readable,
  target: EncryptedUploadTarget,
): Promise<StoredContent> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head = await readHead(iterator, SNIFF_BYTES);
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
  const dek = randomBytes(32);
  try {
    const wrappedKey = await target.keyProvider.wrapKey(target.kekRef, dek);
    const sizeHint =
      target.expectedBytes !== undefined && target.expectedBytes <= target.maxBytes
        ? ciphertextLength(target.expectedBytes, target.segmentSize)
        : undefined;
    const writer = target.blobStore.openWriter(target.container, target.blobName, { sizeHint });
    const sink = new PlaintextSink(
      new SegmentEncryptor(dek, { segmentSize: target.segmentSize, piecesCopied: true }),
      writer,
      target.maxBytes,
    );
    try {
      for (const chunk of head.chunks) await sink.write(chunk);
      if (!head.done) {
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
          await sink.write(next.value);
        }
      }
      await sink.close();
    } catch (error) {
      await writer.abort();
      throw error;
    }
    return {
      sha256: sink.hash.digest('hex'),
      sizeBytes: sink.sizeBytes,
      type,
      segmentSize: target.segmentSize,
      wrappedKey,
    };
  } catch (error) {
    await target.blobStore.delete(target.container, target.blobName).catch(() => undefined);
    throw asStorageError(error);
  } finally {
    dek.fill(0);
  }
}

/** Blob storage failures become a 503 the client can retry; anything else passes through. */
export function asStorageError(error: unknown): unknown {
  return isStorageOutage(error)
    ? new ServiceUnavailableError('Document storage is unavailable; please retry shortly.')
    : error;
}
