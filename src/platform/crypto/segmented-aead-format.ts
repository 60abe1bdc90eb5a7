/**
 * The version-1 segmented AEAD format (see segmented-aead.ts for the full description): sizes and
 * limits, the 32-byte header, and the arithmetic that maps plaintext lengths and byte ranges to
 * ciphertext lengths and segments. Nothing here touches a key.
 */
import { randomBytes } from 'node:crypto';

export const HEADER_LENGTH = 32;
export const TAG_LENGTH = 16;
export const DEFAULT_SEGMENT_SIZE = 64 * 1024;
export const MIN_SEGMENT_SIZE = 16;
/** Bounds what a decrypt stream buffers, even for a header that claims huge segments. */
export const MAX_SEGMENT_SIZE = 8 * 1024 * 1024;

const MAGIC = Buffer.from('DKSA', 'ascii');
const FORMAT_VERSION = 1;
const SALT_LENGTH = 16;
export const NONCE_PREFIX_LENGTH = 7;

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

export function assertSegmentSize(segmentSize: number): void {
  if (!Number.isInteger(segmentSize) || segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
    throw new RangeError(`Segment size must be an integer from ${MIN_SEGMENT_SIZE} to ${MAX_SEGMENT_SIZE}`);
  }
}

/** A fresh header (random salt and nonce prefix) for a new stream. */
export function buildHeader(segmentSize: number): StreamHeader {
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
