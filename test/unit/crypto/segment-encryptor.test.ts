import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { createDecryptStream, SegmentEncryptor } from '../../../src/platform/crypto/segmented-aead.js';
import { releaseBuffer } from '../../../src/platform/release-buffer.js';

const dek = randomBytes(32);

/** Runs the push-style encryptor the way the upload does: every piece copied during `emit`. */
function encryptCopying(chunks: Buffer[], segmentSize: number): Buffer {
  const encryptor = new SegmentEncryptor(dek, { segmentSize, piecesCopied: true });
  const copies: Buffer[] = [];
  const emit = (piece: Buffer) => copies.push(Buffer.from(piece));
  for (const chunk of chunks) encryptor.write(chunk, emit);
  encryptor.end(emit);
  return Buffer.concat(copies);
}

describe('SegmentEncryptor that frees each segment after emitting it', () => {
  it('produces a stream the decryptor opens byte for byte, for chunks of every shape', async () => {
    for (const length of [0, 1, 63, 64, 65, 1_000, 4_096]) {
      const plain = randomBytes(length);
      const chunkings = [[plain], [plain.subarray(0, 7), plain.subarray(7)], [...chunksOf(plain, 13)]];
      for (const chunks of chunkings) {
        const sealed = encryptCopying(chunks, 64);
        const opened = await buffer(Readable.from([sealed]).pipe(createDecryptStream(dek)));
        expect(opened.equals(plain)).toBe(true);
      }
    }
  });

  it('frees each ciphertext right after emit and leaves header and tags alone', () => {
    const encryptor = new SegmentEncryptor(dek, { segmentSize: 64 * 1024, piecesCopied: true });
    const kept: Buffer[] = [];
    encryptor.write(randomBytes(200 * 1024), (piece) => kept.push(piece));
    // 200 KiB seal three full segments now (the fourth waits for more input): header, then
    // ciphertext and tag per segment. What the contract forbids (keeping a piece) shows the effect.
    expect(kept.length).toBe(1 + 3 * 2);
    expect(kept[0]?.length).toBe(32);
    const ciphertexts = kept.filter((_, i) => i % 2 === 1);
    const tags = kept.filter((_, i) => i > 0 && i % 2 === 0);
    expect(ciphertexts.map((piece) => piece.buffer.byteLength)).toEqual([0, 0, 0]);
    expect(tags.map((tag) => tag.length)).toEqual([16, 16, 16]);
  });
});

describe('releaseBuffer', () => {
  it('detaches a Buffer that owns its whole ArrayBuffer', () => {
    const owned = Buffer.allocUnsafeSlow(64 * 1024);
    releaseBuffer(owned);
    expect(owned.buffer.byteLength).toBe(0);
  });

  it('leaves views into a larger ArrayBuffer alone (pool slices, subarrays)', () => {
    const pooled = Buffer.from('short'); // from Node's shared pool
    releaseBuffer(pooled);
    expect(pooled.toString()).toBe('short');
    const whole = Buffer.alloc(1024, 1);
    const view = whole.subarray(10, 20);
    releaseBuffer(view);
    expect(whole.buffer.byteLength).toBe(1024);
    expect(view[0]).toBe(1);
  });
});

function* chunksOf(bytes: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}
