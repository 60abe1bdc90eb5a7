import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import {
  createDecryptStream,
  createEncryptStream,
  DecryptionError,
  HEADER_LENGTH,
  parseHeader,
  segmentRangeFor,
  TAG_LENGTH,
} from '../../../src/platform/crypto/segmented-aead.js';

// The streams gather a segment that arrives in pieces into one buffer and work on a segment that
// lies inside one chunk in place; these tests cut the input at every offset around the boundaries.
const dek = randomBytes(32);
const SEGMENT = 64;
const SEALED = SEGMENT + TAG_LENGTH;

function through(stream: NodeJS.ReadWriteStream, chunks: Buffer[]): Promise<Buffer> {
  return buffer(Readable.from(chunks).pipe(stream));
}

/** Cuts `bytes` at the given offsets (sorted, within bounds). */
function cutAt(bytes: Buffer, ...offsets: number[]): Buffer[] {
  const points = [0, ...offsets.filter((o) => o > 0 && o < bytes.length), bytes.length];
  return points.slice(1).map((end, i) => bytes.subarray(points[i], end));
}

describe('segmented AEAD chunk boundaries', () => {
  // 0, 1, a full segment, a full segment +/- 1, several full segments and several +/- 1.
  const lengths = [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT - 1, 3 * SEGMENT, 3 * SEGMENT + 1];

  it('encrypts identically-decryptable output for a cut at every offset around each boundary', async () => {
    for (const length of lengths) {
      const plain = randomBytes(length);
      for (let boundary = 0; boundary <= length; boundary += SEGMENT) {
        for (let cut = boundary - 2; cut <= boundary + 2; cut++) {
          const cipher = await through(createEncryptStream(dek, { segmentSize: SEGMENT }), cutAt(plain, cut));
          const back = await through(createDecryptStream(dek), [cipher]);
          expect(back.equals(plain), `length ${length}, cut ${cut}`).toBe(true);
        }
      }
    }
  });

  it('encrypts chunks larger than a segment, and one byte at a time', async () => {
    for (const length of lengths) {
      const plain = randomBytes(length);
      const variants = [[plain], cutAt(plain, SEGMENT + 1), [...plain].map((b) => Buffer.from([b]))];
      for (const chunks of variants) {
        const cipher = await through(createEncryptStream(dek, { segmentSize: SEGMENT }), chunks);
        expect((await through(createDecryptStream(dek), [cipher])).equals(plain), `length ${length}`).toBe(
          true,
        );
      }
    }
  });

  it('decrypts with the ciphertext cut at every offset around each sealed-segment boundary', async () => {
    for (const length of lengths) {
      const plain = randomBytes(length);
      const cipher = await through(createEncryptStream(dek, { segmentSize: SEGMENT }), [plain]);
      const boundaries = [HEADER_LENGTH];
      for (let b = HEADER_LENGTH + SEALED; b < cipher.length; b += SEALED) boundaries.push(b);
      for (const boundary of boundaries) {
        for (let cut = boundary - 2; cut <= boundary + 2; cut++) {
          for (const second of [cut + 1, cut + SEALED, cut + SEALED + 1]) {
            const back = await through(createDecryptStream(dek), cutAt(cipher, cut, second));
            expect(back.equals(plain), `length ${length}, cuts ${cut}/${second}`).toBe(true);
          }
        }
      }
      const bytewise = [...cipher].map((b) => Buffer.from([b]));
      expect((await through(createDecryptStream(dek), bytewise)).equals(plain)).toBe(true);
    }
  });

  it('does not release a full final segment early: dropping it or appending to it fails', async () => {
    const plain = randomBytes(2 * SEGMENT);
    const cipher = await through(createEncryptStream(dek, { segmentSize: SEGMENT }), [plain]);
    const firstOnly = cipher.subarray(0, HEADER_LENGTH + SEALED);
    await expect(through(createDecryptStream(dek), [firstOnly])).rejects.toBeInstanceOf(DecryptionError);
    const extended = Buffer.concat([cipher, randomBytes(SEALED)]);
    for (const chunks of [[extended], cutAt(extended, cipher.length), cutAt(extended, cipher.length + 1)]) {
      await expect(through(createDecryptStream(dek), chunks)).rejects.toBeInstanceOf(DecryptionError);
    }
  });

  it('decrypts ranges fed as one chunk, cut around boundaries, or byte by byte', async () => {
    const total = 5 * SEGMENT; // the final segment is full-size
    const plain = randomBytes(total);
    const cipher = await through(createEncryptStream(dek, { segmentSize: SEGMENT }), [plain]);
    const header = cipher.subarray(0, HEADER_LENGTH);
    expect(parseHeader(header).segmentSize).toBe(SEGMENT);
    const ranges: [number, number][] = [
      [0, total - 1],
      [SEGMENT - 1, SEGMENT],
      [SEGMENT, 2 * SEGMENT - 1],
      [3 * SEGMENT + 5, total - 1],
      [total - 1, total - 1],
    ];
    for (const [start, end] of ranges) {
      const range = segmentRangeFor(start, end, { segmentSize: SEGMENT, plaintextLength: total });
      const slice = cipher.subarray(range.cipherOffset, range.cipherOffset + range.cipherLength);
      const feeds = [
        [slice],
        cutAt(slice, SEALED - 1),
        cutAt(slice, SEALED + 1),
        [...slice].map((b) => Buffer.from([b])),
      ];
      for (const chunks of feeds) {
        const got = await through(createDecryptStream(dek, { header, range }), chunks);
        expect(got.equals(plain.subarray(start, end + 1)), `${start}-${end}`).toBe(true);
      }
      const extended = Buffer.concat([slice, randomBytes(1)]);
      await expect(through(createDecryptStream(dek, { header, range }), [extended])).rejects.toBeInstanceOf(
        DecryptionError,
      );
    }
  });
});
