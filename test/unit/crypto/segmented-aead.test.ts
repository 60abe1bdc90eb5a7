import { createHash, randomBytes, randomInt } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import {
  ciphertextLength,
  createDecryptStream,
  createEncryptStream,
  DecryptionError,
  DEFAULT_SEGMENT_SIZE,
  HEADER_LENGTH,
  parseHeader,
  plaintextLength,
  segmentRangeFor,
  TAG_LENGTH,
} from '../../../src/platform/crypto/segmented-aead.js';

const dek = randomBytes(32);

/** Splits bytes into randomly sized chunks, so segment boundaries never line up with writes. */
function* randomChunks(bytes: Buffer, maxChunk: number): Generator<Buffer> {
  for (let offset = 0; offset < bytes.length;) {
    const size = Math.min(randomInt(1, maxChunk + 1), bytes.length - offset);
    yield bytes.subarray(offset, offset + size);
    offset += size;
  }
}

async function encrypt(plain: Buffer, segmentSize?: number, maxChunk = 70_000): Promise<Buffer> {
  const opts = segmentSize === undefined ? {} : { segmentSize };
  return buffer(Readable.from(randomChunks(plain, maxChunk)).pipe(createEncryptStream(dek, opts)));
}

async function decrypt(cipher: Buffer, key = dek, maxChunk = 70_000): Promise<Buffer> {
  return buffer(Readable.from(randomChunks(cipher, maxChunk)).pipe(createDecryptStream(key)));
}

/** Splits a ciphertext into header and sealed segments (for the tampering tests). */
function segmentsOf(cipher: Buffer, segmentSize: number): { header: Buffer; segments: Buffer[] } {
  const segments: Buffer[] = [];
  for (let offset = HEADER_LENGTH; offset < cipher.length; offset += segmentSize + TAG_LENGTH) {
    segments.push(cipher.subarray(offset, offset + segmentSize + TAG_LENGTH));
  }
  return { header: cipher.subarray(0, HEADER_LENGTH), segments };
}

describe('segmented AES-256-GCM streams', () => {
  it.each([
    ['0 B', 0],
    ['1 B', 1],
    ['exactly one segment', DEFAULT_SEGMENT_SIZE],
    ['one segment + 1 B', DEFAULT_SEGMENT_SIZE + 1],
    ['several MB', 3 * 1024 * 1024 + 12_345],
  ])('round-trips %s with random input chunking, at the predicted ciphertext length', async (_, size) => {
    const plain = randomBytes(size);
    const cipher = await encrypt(plain);
    expect(cipher.length).toBe(ciphertextLength(size));
    expect(plaintextLength(cipher.length)).toBe(size);
    expect((await decrypt(cipher)).equals(plain)).toBe(true);
  });

  it('turns an empty plaintext into a header plus one empty, final segment', async () => {
    const cipher = await encrypt(Buffer.alloc(0));
    expect(cipher.length).toBe(HEADER_LENGTH + TAG_LENGTH);
    expect(parseHeader(cipher.subarray(0, HEADER_LENGTH)).segmentSize).toBe(DEFAULT_SEGMENT_SIZE);
  });

  it('never repeats a header (fresh salt and nonce prefix), so equal plaintexts encrypt differently', async () => {
    const plain = randomBytes(100);
    const [a, b] = await Promise.all([encrypt(plain), encrypt(plain)]);
    expect(a.subarray(0, HEADER_LENGTH).equals(b.subarray(0, HEADER_LENGTH))).toBe(false);
    expect(a.equals(b)).toBe(false);
  });

  it('rejects a flipped bit anywhere (header, ciphertext, tag) with DecryptionError', async () => {
    const cipher = await encrypt(randomBytes(1000), 256);
    const positions = [0, 4, 5, 8, 9, 31, HEADER_LENGTH, 300, 271, cipher.length - 1];
    for (let i = 0; i < 20; i++) positions.push(randomInt(0, cipher.length));
    for (const position of positions) {
      const damaged = Buffer.from(cipher);
      damaged[position] = (damaged[position] as number) ^ (1 << randomInt(0, 8));
      await expect(decrypt(damaged), `byte ${position}`).rejects.toBeInstanceOf(DecryptionError);
    }
  });

  it('detects truncation at any point, including dropping whole final segments', async () => {
    const cipher = await encrypt(randomBytes(1000), 256);
    const { segments } = segmentsOf(cipher, 256);
    const cuts = [0, 10, HEADER_LENGTH, HEADER_LENGTH + 15, cipher.length - 1, cipher.length - 16];
    cuts.push(cipher.length - (segments.at(-1) as Buffer).length); // exactly the last segment dropped
    cuts.push(HEADER_LENGTH + 2 * (256 + TAG_LENGTH)); // two segments dropped, on a boundary
    for (let i = 0; i < 10; i++) cuts.push(randomInt(0, cipher.length));
    for (const cut of cuts) {
      await expect(decrypt(cipher.subarray(0, cut)), `cut at ${cut}`).rejects.toBeInstanceOf(DecryptionError);
    }
  });

  it('detects swapped segments and appended segments or bytes', async () => {
    const cipher = await encrypt(randomBytes(1000), 256);
    const { header, segments } = segmentsOf(cipher, 256);
    const [s0, s1, s2, s3] = segments as [Buffer, Buffer, Buffer, Buffer];
    const other = segmentsOf(await encrypt(randomBytes(1000), 256), 256).segments;
    const variants = [
      Buffer.concat([header, s1, s0, s2, s3]),
      Buffer.concat([header, s0, s1, s2, s3, s3]),
      Buffer.concat([header, s0, s1, s2, s3, other[3] as Buffer]),
      Buffer.concat([cipher, Buffer.from([0])]),
      Buffer.concat([cipher, randomBytes(272)]),
      Buffer.concat([header, s0, other[1] as Buffer, s2, s3]),
    ];
    for (const variant of variants) await expect(decrypt(variant)).rejects.toBeInstanceOf(DecryptionError);
  });

  it('rejects the wrong key and a non-Doklad stream with DecryptionError', async () => {
    const cipher = await encrypt(randomBytes(500));
    await expect(decrypt(cipher, randomBytes(32))).rejects.toBeInstanceOf(DecryptionError);
    await expect(decrypt(randomBytes(500))).rejects.toBeInstanceOf(DecryptionError);
  });

  it('refuses keys that are not 32 bytes and absurd segment sizes', () => {
    expect(() => createEncryptStream(randomBytes(16))).toThrow(TypeError);
    expect(() => createEncryptStream(dek, { segmentSize: 8 })).toThrow(RangeError);
    expect(() => createEncryptStream(dek, { segmentSize: 64 * 1024 * 1024 })).toThrow(RangeError);
  });
});

describe('range decryption', () => {
  async function decryptRange(cipher: Buffer, start: number, end: number, total: number): Promise<Buffer> {
    const header = cipher.subarray(0, HEADER_LENGTH);
    const range = segmentRangeFor(start, end, {
      segmentSize: parseHeader(header).segmentSize,
      plaintextLength: total,
    });
    const slice = cipher.subarray(range.cipherOffset, range.cipherOffset + range.cipherLength);
    expect(slice.length).toBe(range.cipherLength);
    return buffer(Readable.from(randomChunks(slice, 300)).pipe(createDecryptStream(dek, { header, range })));
  }

  it('returns exactly the requested bytes for many random ranges, fetching only their segments', async () => {
    for (const total of [1, 256, 257, 5000]) {
      const plain = randomBytes(total);
      const cipher = await encrypt(plain, 256, 1000);
      const ranges: [number, number][] = [
        [0, total - 1],
        [total - 1, total - 1],
        [0, 0],
      ];
      for (let i = 0; i < 40; i++) {
        const start = randomInt(0, total);
        ranges.push([start, randomInt(start, Math.min(total, start + 1200))]);
      }
      for (const [start, end] of ranges) {
        const got = await decryptRange(cipher, start, end, total);
        expect(got.equals(plain.subarray(start, end + 1)), `${total}: ${start}-${end}`).toBe(true);
      }
    }
  });

  it('maps a range inside one middle segment to just that segment', () => {
    const range = segmentRangeFor(70_000, 70_009, { segmentSize: 65_536, plaintextLength: 1_000_000 });
    expect(range).toEqual({
      cipherOffset: HEADER_LENGTH + 65_552,
      cipherLength: 65_552,
      firstSegmentIndex: 1,
      lastSegmentIndex: 1,
      includesFinalSegment: false,
      skipBytes: 70_000 - 65_536,
      lengthBytes: 10,
    });
    expect(() => segmentRangeFor(5, 4, { segmentSize: 65_536, plaintextLength: 10 })).toThrow(RangeError);
    expect(() => segmentRangeFor(0, 10, { segmentSize: 65_536, plaintextLength: 10 })).toThrow(RangeError);
  });

  it('rejects a range whose segments were truncated, extended or taken from elsewhere', async () => {
    const cipher = await encrypt(randomBytes(2000), 256);
    const header = cipher.subarray(0, HEADER_LENGTH);
    const range = segmentRangeFor(300, 900, { segmentSize: 256, plaintextLength: 2000 });
    const slice = cipher.subarray(range.cipherOffset, range.cipherOffset + range.cipherLength);
    const shifted = cipher.subarray(range.cipherOffset + 272, range.cipherOffset + 272 + range.cipherLength);
    const tail = segmentRangeFor(1900, 1999, { segmentSize: 256, plaintextLength: 2000 });
    const tailSlice = cipher.subarray(tail.cipherOffset, tail.cipherOffset + tail.cipherLength);
    const attempts: [Buffer, typeof range][] = [
      [slice.subarray(0, slice.length - 1), range],
      [Buffer.concat([slice, Buffer.from([1])]), range],
      [shifted, range],
      [tailSlice.subarray(0, tailSlice.length - TAG_LENGTH - 10), tail],
    ];
    for (const [bytes, r] of attempts) {
      const stream = Readable.from([bytes]).pipe(createDecryptStream(dek, { header, range: r }));
      await expect(buffer(stream)).rejects.toBeInstanceOf(DecryptionError);
    }
  });
});

describe('constant memory', () => {
  it('encrypts and decrypts 64 MB from a lazy generator with bounded bytes in flight', async () => {
    const totalBytes = 64 * 1024 * 1024;
    const chunkBytes = 48 * 1024;
    let produced = 0;
    let consumed = 0;
    let peakInFlight = 0;
    const source = createHash('sha256');
    const sink = createHash('sha256');
    async function* generate(): AsyncGenerator<Buffer> {
      const chunk = randomBytes(chunkBytes);
      while (produced < totalBytes) {
        const next = chunk.subarray(0, Math.min(chunkBytes, totalBytes - produced));
        next[0] = produced & 0xff; // vary the content a little
        source.update(next);
        produced += next.length;
        peakInFlight = Math.max(peakInFlight, produced - consumed);
        yield next;
      }
    }
    const consume = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        sink.update(chunk);
        consumed += chunk.length;
        callback();
      },
    });
    await pipeline(Readable.from(generate()), createEncryptStream(dek), createDecryptStream(dek), consume);
    expect(consumed).toBe(totalBytes);
    expect(sink.digest('hex')).toBe(source.digest('hex'));
    // Stream buffers (a few highWaterMarks) plus one segment per stage; far below 64 MB.
    expect(peakInFlight).toBeLessThan(1024 * 1024);
  });
});
