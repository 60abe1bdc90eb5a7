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
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Transform } from 'node:stream';

export const HEADER_LENGTH = 32;
export const TAG_LENGTH = 16;
export const DEFAULT_SEGMENT_SIZE = 64 * 1024;
export const MIN_SEGMENT_SIZE = 16;
/** Bounds what a decrypt stream buffers, even for a header that claims huge segments. */
export const MAX_SEGMENT_SIZE = 8 * 1024 * 1024;

const MAGIC = Buffer.from('DKSA', 'ascii');
const FORMAT_VERSION = 1;
const SALT_LENGTH = 16;
const NONCE_PREFIX_LENGTH = 7;
const DEK_LENGTH = 32;
const MAX_SEGMENTS = 2 ** 32;
const HKDF_INFO = Buffer.from('doklad/segmented-aead/v1', 'ascii');

/** The stream is not intact: wrong key, tampered, truncated, reordered or extended. */
export class DecryptionError extends Error {
  override name = 'DecryptionError';
}

export interface StreamHeader {
  readonly segmentSize: number;
  readonly salt: Buffer;
  readonly noncePrefix: Buffer;
  /** The 32 header bytes as stored (bound as AAD to every segment). */
  readonly bytes: Buffer;
}

/** Which ciphertext bytes to fetch for a plaintext byte range, and how to cut the result. */
export interface SegmentRange {
  /** Offset of the first needed segment in the ciphertext (header included). */
  readonly cipherOffset: number;
  readonly cipherLength: number;
  readonly firstSegmentIndex: number;
  readonly lastSegmentIndex: number;
  /** True when `lastSegmentIndex` is the final segment of the stream. */
  readonly includesFinalSegment: boolean;
  /** Plaintext bytes to drop from the start of the first segment. */
  readonly skipBytes: number;
  /** Plaintext bytes the range holds (`plainEndInclusive - plainStart + 1`). */
  readonly lengthBytes: number;
}

function assertSegmentSize(segmentSize: number): void {
  if (!Number.isInteger(segmentSize) || segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
    throw new RangeError(`Segment size must be an integer from ${MIN_SEGMENT_SIZE} to ${MAX_SEGMENT_SIZE}`);
  }
}

function assertDek(dek: Buffer): void {
  if (!Buffer.isBuffer(dek) || dek.length !== DEK_LENGTH) {
    throw new TypeError(`A data key must be ${DEK_LENGTH} bytes`);
  }
}

function buildHeader(segmentSize: number): StreamHeader {
  const bytes = Buffer.alloc(HEADER_LENGTH);
  MAGIC.copy(bytes, 0);
  bytes.writeUInt8(FORMAT_VERSION, 4);
  bytes.writeUInt32BE(segmentSize, 5);
  randomBytes(SALT_LENGTH + NONCE_PREFIX_LENGTH).copy(bytes, 9);
  return parseHeader(bytes);
}

/**
 * Reads and validates the 32-byte header of a stream (e.g. fetched with a ranged download before
 * a range decryption). Throws `DecryptionError` when it is not a version-1 Doklad stream.
 */
export function parseHeader(header: Buffer): StreamHeader {
  if (header.length !== HEADER_LENGTH || !header.subarray(0, 4).equals(MAGIC)) {
    throw new DecryptionError('Not a Doklad encrypted stream (bad header)');
  }
  if (header.readUInt8(4) !== FORMAT_VERSION) {
    throw new DecryptionError(`Unsupported encrypted stream version ${header.readUInt8(4)}`);
  }
  const segmentSize = header.readUInt32BE(5);
  if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
    throw new DecryptionError('Encrypted stream header has an invalid segment size');
  }
  const bytes = Buffer.from(header);
  return {
    segmentSize,
    salt: bytes.subarray(9, 9 + SALT_LENGTH),
    noncePrefix: bytes.subarray(9 + SALT_LENGTH, HEADER_LENGTH),
    bytes,
  };
}

/** Seals and opens the segments of one stream. */
class SegmentCipher {
  private readonly key: Buffer;

  constructor(
    dek: Buffer,
    private readonly header: StreamHeader,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', dek, header.salt, HKDF_INFO, 32));
  }

  private nonce(index: number, isLast: boolean): Buffer {
    if (index >= MAX_SEGMENTS) throw new RangeError('Encrypted stream exceeds the maximum segment count');
    const nonce = Buffer.alloc(12);
    this.header.noncePrefix.copy(nonce, 0);
    nonce.writeUInt32BE(index, NONCE_PREFIX_LENGTH);
    nonce.writeUInt8(isLast ? 1 : 0, 11);
    return nonce;
  }

  seal(plaintext: Buffer, index: number, isLast: boolean): Buffer {
    const cipher = createCipheriv('aes-256-gcm', this.key, this.nonce(index, isLast));
    cipher.setAAD(this.header.bytes);
    return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  }

  open(sealed: Buffer, index: number, isLast: boolean): Buffer {
    if (sealed.length < TAG_LENGTH) throw new DecryptionError('Encrypted stream is truncated');
    const decipher = createDecipheriv('aes-256-gcm', this.key, this.nonce(index, isLast));
    decipher.setAAD(this.header.bytes);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
    try {
      return Buffer.concat([
        decipher.update(sealed.subarray(0, sealed.length - TAG_LENGTH)),
        decipher.final(),
      ]);
    } catch {
      // One message for every cause: which check failed says nothing useful to the caller.
      throw new DecryptionError(`Encrypted stream segment ${index} failed authentication`);
    }
  }
}

/**
 * Returns a Transform that encrypts its input into the segmented format, header first. It holds
 * at most one plaintext segment: a full segment is sealed only once more input shows that it is
 * not the last one.
 */
export function createEncryptStream(dek: Buffer, opts: { segmentSize?: number } = {}): Transform {
  assertDek(dek);
  const segmentSize = opts.segmentSize ?? DEFAULT_SEGMENT_SIZE;
  assertSegmentSize(segmentSize);
  const header = buildHeader(segmentSize);
  const cipher = new SegmentCipher(dek, header);
  const pending = Buffer.alloc(segmentSize);
  let filled = 0;
  let index = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        for (let offset = 0; offset < chunk.length;) {
          if (filled === segmentSize) {
            this.push(cipher.seal(pending, index++, false));
            filled = 0;
          }
          const copied = chunk.copy(pending, filled, offset);
          filled += copied;
          offset += copied;
        }
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback) {
      this.push(cipher.seal(pending.subarray(0, filled), index, true));
      callback();
    },
  });
  stream.push(header.bytes);
  return stream;
}

/** A FIFO of buffers that hands out exact-length slices, copying each byte at most once. */
class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  take(count: number): Buffer {
    const parts: Buffer[] = [];
    let needed = count;
    while (needed > 0) {
      const head = this.chunks[0] as Buffer;
      if (head.length <= needed) {
        parts.push(head);
        this.chunks.shift();
        needed -= head.length;
      } else {
        parts.push(head.subarray(0, needed));
        this.chunks[0] = head.subarray(needed);
        needed = 0;
      }
    }
    this.length -= count;
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, count);
  }
}

export interface DecryptRangeOptions {
  /** The stream's 32 header bytes, fetched separately; the input then starts at a segment. */
  readonly header: Buffer;
  /** From `segmentRangeFor`: which segments the input holds and which plaintext bytes to emit. */
  readonly range: SegmentRange;
}

/**
 * Returns a Transform that decrypts the segmented format. Without options its input is a whole
 * stream, header first. With `{ header, range }` its input is exactly the ciphertext bytes
 * `range.cipherOffset .. + range.cipherLength` and it emits exactly the requested plaintext bytes.
 * Any damage makes the stream fail with `DecryptionError`.
 */
export function createDecryptStream(dek: Buffer, opts?: DecryptRangeOptions): Transform {
  assertDek(dek);
  const decryptor = new SegmentDecryptor(dek, opts);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        decryptor.write(chunk, (plain) => this.push(plain));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback) {
      try {
        decryptor.end((plain) => this.push(plain));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/** The state machine behind `createDecryptStream`. */
class SegmentDecryptor {
  private readonly queue = new ByteQueue();
  private cipher: SegmentCipher | undefined;
  private segmentSize = 0;
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
    this.segmentSize = header.segmentSize;
  }

  write(chunk: Buffer, emit: (plain: Buffer) => void): void {
    this.queue.push(chunk);
    if (!this.cipher) {
      if (this.queue.length < HEADER_LENGTH) return;
      this.start(parseHeader(this.queue.take(HEADER_LENGTH)));
    }
    const sealedSize = this.segmentSize + TAG_LENGTH;
    while (this.queue.length >= sealedSize && this.hasFullSegmentQueued(sealedSize)) {
      this.openNext(this.queue.take(sealedSize), false, emit);
    }
    if (this.endIndex !== undefined && this.index > this.endIndex && this.queue.length > 0) {
      throw new DecryptionError('Encrypted range holds more data than expected');
    }
  }

  /** Whether the queued full-size segment is known not to be the final one, so it can go now. */
  private hasFullSegmentQueued(sealedSize: number): boolean {
    if (this.endIndex === undefined) return this.queue.length > sealedSize;
    return this.index < this.endIndex || (this.index === this.endIndex && !this.endIsFinal);
  }

  end(emit: (plain: Buffer) => void): void {
    if (!this.cipher) throw new DecryptionError('Encrypted stream is truncated (incomplete header)');
    const expectsFinal = this.endIndex === undefined || (this.endIsFinal && this.index === this.endIndex);
    if (expectsFinal) {
      if (this.queue.length < TAG_LENGTH) throw new DecryptionError('Encrypted stream is truncated');
      this.openNext(this.queue.take(this.queue.length), true, emit);
    } else if (this.endIndex !== undefined && this.index <= this.endIndex) {
      throw new DecryptionError('Encrypted range is truncated');
    }
    if (Number.isFinite(this.remaining) && this.remaining > 0) {
      throw new DecryptionError('Encrypted range is shorter than requested');
    }
  }

  private openNext(sealed: Buffer, isLast: boolean, emit: (plain: Buffer) => void): void {
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

function segmentCount(plaintextLength: number, segmentSize: number): number {
  return Math.max(1, Math.ceil(plaintextLength / segmentSize));
}

/** Size of the encrypted form of `plaintextLength` bytes (header and one tag per segment). */
export function ciphertextLength(plaintextLength: number, segmentSize = DEFAULT_SEGMENT_SIZE): number {
  assertSegmentSize(segmentSize);
  if (!Number.isSafeInteger(plaintextLength) || plaintextLength < 0) {
    throw new RangeError('Plaintext length must be a non-negative integer');
  }
  return HEADER_LENGTH + plaintextLength + TAG_LENGTH * segmentCount(plaintextLength, segmentSize);
}

/**
 * Plaintext size of an encrypted blob of `cipherLength` bytes. Throws `DecryptionError` for a
 * length no stream can have (a truncated or padded blob).
 */
export function plaintextLength(cipherLength: number, segmentSize = DEFAULT_SEGMENT_SIZE): number {
  assertSegmentSize(segmentSize);
  const body = cipherLength - HEADER_LENGTH;
  const sealedSize = segmentSize + TAG_LENGTH;
  const fullSegments = Math.floor(Math.max(0, body - 1) / sealedSize);
  const lastSealed = body - fullSegments * sealedSize;
  if (body < TAG_LENGTH || lastSealed < TAG_LENGTH) {
    throw new DecryptionError('Encrypted blob has an impossible length');
  }
  return fullSegments * segmentSize + lastSealed - TAG_LENGTH;
}

/**
 * Maps the plaintext byte range `plainStart..plainEndInclusive` (as in an HTTP Range header) to
 * the ciphertext segments that hold it. Fetch `cipherLength` bytes at `cipherOffset`, then pipe
 * them through `createDecryptStream(dek, { header, range })`.
 */
export function segmentRangeFor(
  plainStart: number,
  plainEndInclusive: number,
  stream: { segmentSize: number; plaintextLength: number },
): SegmentRange {
  const { segmentSize, plaintextLength: total } = stream;
  assertSegmentSize(segmentSize);
  if (
    !Number.isSafeInteger(plainStart) ||
    !Number.isSafeInteger(plainEndInclusive) ||
    plainStart < 0 ||
    plainEndInclusive < plainStart ||
    plainEndInclusive >= total
  ) {
    throw new RangeError(`Byte range ${plainStart}-${plainEndInclusive} is outside 0-${total - 1}`);
  }
  const sealedSize = segmentSize + TAG_LENGTH;
  const finalIndex = segmentCount(total, segmentSize) - 1;
  const first = Math.floor(plainStart / segmentSize);
  const last = Math.floor(plainEndInclusive / segmentSize);
  const lastSealed = last === finalIndex ? total - last * segmentSize + TAG_LENGTH : sealedSize;
  return {
    cipherOffset: HEADER_LENGTH + first * sealedSize,
    cipherLength: (last - first) * sealedSize + lastSealed,
    firstSegmentIndex: first,
    lastSegmentIndex: last,
    includesFinalSegment: last === finalIndex,
    skipBytes: plainStart - first * segmentSize,
    lengthBytes: plainEndInclusive - plainStart + 1,
  };
}
