/**
 * Streaming authenticated encryption for document content: AES-256-GCM over fixed-size segments,
 * in the style of Tink's AES-GCM-HKDF streaming AEAD and age's STREAM construction. Upload and
 * download run in constant memory (about one segment buffered), and a byte range of the plaintext
 * can be decrypted from just the segments that hold it.
 *
 * Format, version 1 (all integers big-endian):
 *
 *   header (32 bytes)
 *     0   4  magic "DKSA" (Doklad Segmented AEAD)
 *     4   1  format version = 0x01
 *     5   4  segment size S = plaintext bytes per segment (16 B .. 8 MiB; default 64 KiB)
 *     9  16  salt (random per stream)
 *    25   7  nonce prefix (random per stream)
 *   segment i, for i = 0 .. n-1 where n = max(1, ceil(L / S)) for a plaintext of L bytes
 *     AES-256-GCM ciphertext of plaintext bytes [i*S, min((i+1)*S, L)) || 16-byte tag
 *
 * Keys and nonces:
 *   - segment key = HKDF-SHA256(ikm = DEK, salt = header salt, info = "doklad/segmented-aead/v1"),
 *     so every stream has its own key even if a DEK were ever used twice;
 *   - nonce(i) = nonce prefix (7) || uint32(i) (4) || last flag (1: 0x01 for the final segment,
 *     0x00 otherwise), so a segment only authenticates at its own position and with its own
 *     "am I last" answer;
 *   - AAD of every segment = the 32 header bytes, so the header cannot be altered either.
 *
 * Every segment but the last holds exactly S plaintext bytes; the last holds 0..S bytes (0 only
 * when the whole plaintext is empty, which still yields a header and one empty final segment).
 * Truncation (the new last segment was sealed as not-last), dropping the last segment, appending
 * data (the real last segment is then opened as not-last), reordering (the index is in the nonce),
 * and any flipped bit all fail with `DecryptionError`. A decrypt stream releases a segment only
 * after its tag verified, but truncation can only be seen at the end of the stream: a consumer
 * must treat everything it received as void when the stream errors.
 *
 * Code layout: segmented-aead-format.ts (header, sizes, range math), segmented-aead-cipher.ts (key
 * derivation, sealing and opening one segment), and this file (the encrypt and decrypt streams).
 */
import { Transform } from 'node:stream';
import { releaseBuffer } from '../release-buffer.js';
import { assertDek, SegmentCipher } from './segmented-aead-cipher.js';
import {
  assertSegmentSize,
  buildHeader,
  DecryptionError,
  DEFAULT_SEGMENT_SIZE,
  HEADER_LENGTH,
  parseHeader,
  TAG_LENGTH,
  type SegmentRange,
  type StreamHeader,
} from './segmented-aead-format.js';

export {
  ciphertextLength,
  DecryptionError,
  DEFAULT_SEGMENT_SIZE,
  HEADER_LENGTH,
  MAX_SEGMENT_SIZE,
  MIN_SEGMENT_SIZE,
  parseHeader,
  plaintextLength,
  segmentRangeFor,
  TAG_LENGTH,
  type SegmentRange,
  type StreamHeader,
} from './segmented-aead-format.js';

/** Receives the encrypted form piece by piece. */
export type EmitCiphertext = (piece: Buffer) => void;

export interface EncryptorOptions {
  readonly segmentSize?: number;
  /**
   * The caller copies each piece during `emit` and keeps no reference: the encryptor then frees
   * each segment's ciphertext as soon as `emit` returns (see release-buffer.ts) instead of leaving
   * it to the garbage collector.
   */
  readonly piecesCopied?: boolean;
}

/**
 * The state machine behind `createEncryptStream`, for callers that push bytes themselves (the
 * upload writes ciphertext straight into blob blocks, with no stream stage in between). It holds
 * at most one plaintext segment, in one buffer allocated up front: a full segment is sealed only
 * once more input shows that it is not the last one. Input that already holds a whole segment
 * followed by more bytes is sealed in place, without that copy. The header is emitted with the
 * first call, each segment as two pieces, ciphertext then tag.
 */
export class SegmentEncryptor {
  private readonly header: StreamHeader;
  private readonly cipher: SegmentCipher;
  private readonly segmentSize: number;
  private readonly pending: Buffer;
  private filled = 0;
  private index = 0;
  private headerSent = false;
  private readonly piecesCopied: boolean;

  constructor(dek: Buffer, opts: EncryptorOptions = {}) {
    assertDek(dek);
    this.piecesCopied = opts.piecesCopied ?? false;
    this.segmentSize = opts.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    assertSegmentSize(this.segmentSize);
    this.header = buildHeader(this.segmentSize);
    this.cipher = new SegmentCipher(dek, this.header);
    this.pending = Buffer.allocUnsafe(this.segmentSize);
  }

  write(chunk: Buffer, emit: EmitCiphertext): void {
    this.sendHeader(emit);
    const { segmentSize, pending } = this;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.filled === segmentSize) {
        this.seal(pending, false, emit); // more input follows, so the held segment is not the last
        this.filled = 0;
      }
      if (this.filled === 0 && chunk.length - offset > segmentSize) {
        this.seal(chunk.subarray(offset, offset + segmentSize), false, emit);
        offset += segmentSize;
        continue;
      }
      const copied = chunk.copy(pending, this.filled, offset, offset + segmentSize - this.filled);
      this.filled += copied;
      offset += copied;
    }
  }

  /** Seals the held bytes as the final segment. Call once, after the last `write`. */
  end(emit: EmitCiphertext): void {
    this.sendHeader(emit);
    this.seal(this.pending.subarray(0, this.filled), true, emit);
    this.filled = 0;
  }

  private sendHeader(emit: EmitCiphertext): void {
    if (this.headerSent) return;
    this.headerSent = true;
    emit(this.header.bytes);
  }

  private seal(plaintext: Buffer, isLast: boolean, emit: EmitCiphertext): void {
    const [ciphertext, tag] = this.cipher.seal(plaintext, this.index++, isLast);
    emit(ciphertext);
    emit(tag);
    if (this.piecesCopied) releaseBuffer(ciphertext);
  }
}

/** Returns a Transform that encrypts its input into the segmented format (see `SegmentEncryptor`). */
export function createEncryptStream(dek: Buffer, opts: { segmentSize?: number } = {}): Transform {
  const encryptor = new SegmentEncryptor(dek, opts);
  const emit: EmitCiphertext = (piece) => stream.push(piece); // created once per stream, not per chunk
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        encryptor.write(chunk, emit);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback) {
      try {
        encryptor.end(emit);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  return stream;
}

export interface DecryptRangeOptions {
  /** The stream's 32 header bytes, fetched separately; the input then starts at a segment. */
  readonly header: Buffer;
  /** From `segmentRangeFor`: which segments the input holds and which plaintext bytes to emit. */
  readonly range: SegmentRange;
}

export interface DecryptOwnership {
  /**
   * Nothing but this stream holds the chunks written to it (each its own buffer, as blob
   * downloads deliver them): each is then freed once decrypted (see release-buffer.ts) instead of
   * at a later collection.
   */
  readonly inputOwned?: boolean;
}

/**
 * Returns a Transform that decrypts the segmented format. Without options its input is a whole
 * stream, header first. With `{ header, range }` its input is exactly the ciphertext bytes
 * `range.cipherOffset .. + range.cipherLength` and it emits exactly the requested plaintext bytes.
 * Any damage makes the stream fail with `DecryptionError`. It holds at most one sealed segment.
 */
export function createDecryptStream(
  dek: Buffer,
  opts?: DecryptRangeOptions,
  ownership: DecryptOwnership = {},
): Transform {
  assertDek(dek);
  const decryptor = new SegmentDecryptor(dek, opts);
  const emit: Emit = (plain) => stream.push(plain); // created once per stream, not per chunk
  const releaseInput = ownership.inputOwned ?? false;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        decryptor.write(chunk, emit); // copies what it keeps
        if (releaseInput) releaseBuffer(chunk);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback) {
      try {
        decryptor.end(emit);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  return stream;
}

type Emit = (plain: Buffer) => void;

/**
 * The state machine behind `createDecryptStream`. A sealed segment that arrives split over several
 * chunks is gathered in one buffer allocated once per stream; one that lies inside a single chunk
 * is opened in place.
 */
class SegmentDecryptor {
  private cipher: SegmentCipher | undefined;
  private readonly headerBytes = Buffer.alloc(HEADER_LENGTH);
  private headerFilled = 0;
  private sealedSize = 0;
  /** The segment being gathered: `filled` bytes of at most `sealedSize`. */
  private pending = Buffer.alloc(0);
  private filled = 0;
  private index: number;
  /** Last segment index the input may hold; undefined for a whole stream (not known up front). */
  private readonly endIndex: number | undefined;
  private readonly endIsFinal: boolean;
  private skip: number;
  private remaining: number;

  constructor(
    private readonly dek: Buffer,
    opts: DecryptRangeOptions | undefined,
  ) {
    this.index = opts?.range.firstSegmentIndex ?? 0;
    this.endIndex = opts?.range.lastSegmentIndex;
    this.endIsFinal = opts?.range.includesFinalSegment ?? true;
    this.skip = opts?.range.skipBytes ?? 0;
    this.remaining = opts?.range.lengthBytes ?? Number.POSITIVE_INFINITY;
    if (opts) this.start(parseHeader(opts.header));
  }

  private start(header: StreamHeader): void {
    this.cipher = new SegmentCipher(this.dek, header);
    this.sealedSize = header.segmentSize + TAG_LENGTH;
    this.pending = Buffer.allocUnsafe(this.sealedSize);
  }

  /** Takes header bytes from `chunk`; returns how many it used. */
  private readHeader(chunk: Buffer): number {
    const copied = chunk.copy(this.headerBytes, this.headerFilled, 0, HEADER_LENGTH - this.headerFilled);
    this.headerFilled += copied;
    if (this.headerFilled === HEADER_LENGTH) this.start(parseHeader(this.headerBytes));
    return copied;
  }

  /**
   * Whether a full-size segment at the current index may be opened as not-last before any later
   * byte arrived: only in a range that is known to go on past it.
   */
  private knownNotLast(): boolean {
    if (this.endIndex === undefined) return false;
    return this.index < this.endIndex || (this.index === this.endIndex && !this.endIsFinal);
  }

  write(chunk: Buffer, emit: Emit): void {
    let offset = this.cipher ? 0 : this.readHeader(chunk);
    const sealedSize = this.sealedSize;
    while (offset < chunk.length) {
      if (this.endIndex !== undefined && this.index > this.endIndex) {
        throw new DecryptionError('Encrypted range holds more data than expected');
      }
      if (this.filled === sealedSize) {
        // A full segment was held back to learn whether it is the last; more input says it is not.
        if (this.endIndex !== undefined)
          throw new DecryptionError('Encrypted range holds more data than expected');
        this.openNext(this.pending, false, emit);
        this.filled = 0;
      }
      const available = chunk.length - offset;
      if (
        this.filled === 0 &&
        (available > sealedSize || (available === sealedSize && this.knownNotLast()))
      ) {
        this.openNext(chunk.subarray(offset, offset + sealedSize), false, emit);
        offset += sealedSize;
        continue;
      }
      const copied = chunk.copy(this.pending, this.filled, offset, offset + sealedSize - this.filled);
      this.filled += copied;
      offset += copied;
      if (this.filled === sealedSize && this.knownNotLast()) {
        this.openNext(this.pending, false, emit);
        this.filled = 0;
      }
    }
  }

  end(emit: Emit): void {
    if (!this.cipher) throw new DecryptionError('Encrypted stream is truncated (incomplete header)');
    const expectsFinal = this.endIndex === undefined || (this.endIsFinal && this.index === this.endIndex);
    if (expectsFinal) {
      if (this.filled < TAG_LENGTH) throw new DecryptionError('Encrypted stream is truncated');
      this.openNext(this.pending.subarray(0, this.filled), true, emit);
      this.filled = 0;
    } else if (this.endIndex !== undefined && this.index <= this.endIndex) {
      throw new DecryptionError('Encrypted range is truncated');
    }
    if (Number.isFinite(this.remaining) && this.remaining > 0) {
      throw new DecryptionError('Encrypted range is shorter than requested');
    }
  }

  private openNext(sealed: Buffer, isLast: boolean, emit: Emit): void {
    let plain = (this.cipher as SegmentCipher).open(sealed, this.index++, isLast);
    if (this.skip > 0) {
      const dropped = Math.min(this.skip, plain.length);
      plain = plain.subarray(dropped);
      this.skip -= dropped;
    }
    if (plain.length > this.remaining) plain = plain.subarray(0, this.remaining);
    this.remaining -= plain.length;
    if (plain.length > 0) emit(plain);
  }
}
