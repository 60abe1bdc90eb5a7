/**
 * The keyed part of the segmented AEAD format (see segmented-aead.ts): one `SegmentCipher` per
 * stream derives the stream's segment key once, as a `KeyObject` that every segment reuses, and
 * seals or opens single segments with AES-256-GCM under nonce(i, last) and the header as AAD.
 */
import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import {
  DecryptionError,
  NONCE_PREFIX_LENGTH,
  TAG_LENGTH,
  type StreamHeader,
} from './segmented-aead-format.js';

const DEK_LENGTH = 32;
const KEY_LENGTH = 32;
const NONCE_LENGTH = 12;
const MAX_SEGMENTS = 2 ** 32;
const HKDF_INFO = Buffer.from('doklad/segmented-aead/v1', 'ascii');

export function assertDek(dek: Buffer): void {
  if (!Buffer.isBuffer(dek) || dek.length !== DEK_LENGTH) {
    throw new TypeError(`A data key must be ${DEK_LENGTH} bytes`);
  }
}

/** Seals and opens the segments of one stream. */
export class SegmentCipher {
  private readonly key: KeyObject;
  /** Reused for every segment: OpenSSL copies the IV while the cipher is created. */
  private readonly nonce = Buffer.alloc(NONCE_LENGTH);

  constructor(
    dek: Buffer,
    private readonly header: StreamHeader,
  ) {
    const raw = new Uint8Array(hkdfSync('sha256', dek, header.salt, HKDF_INFO, KEY_LENGTH));
    this.key = createSecretKey(raw);
    raw.fill(0);
    header.noncePrefix.copy(this.nonce, 0);
  }

  private nonceFor(index: number, isLast: boolean): Buffer {
    if (index >= MAX_SEGMENTS) throw new RangeError('Encrypted stream exceeds the maximum segment count');
    this.nonce.writeUInt32BE(index, NONCE_PREFIX_LENGTH);
    this.nonce[NONCE_LENGTH - 1] = isLast ? 1 : 0;
    return this.nonce;
  }

  /**
   * Encrypts one segment. Returns the ciphertext and the tag as two buffers (stored back to back)
   * so that neither is copied again. `plaintext` is only read during the call and may be reused.
   */
  seal(plaintext: Buffer, index: number, isLast: boolean): [ciphertext: Buffer, tag: Buffer] {
    const cipher = createCipheriv('aes-256-gcm', this.key, this.nonceFor(index, isLast));
    cipher.setAAD(this.header.bytes);
    const ciphertext = cipher.update(plaintext);
    cipher.final(); // GCM emits everything from update(); final() only computes the tag
    return [ciphertext, cipher.getAuthTag()];
  }

  /**
   * Decrypts and verifies one sealed segment (ciphertext || tag). The plaintext is returned only
   * once the tag verified; `sealed` is only read during the call and may be reused.
   */
  open(sealed: Buffer, index: number, isLast: boolean): Buffer {
    if (sealed.length < TAG_LENGTH) throw new DecryptionError('Encrypted stream is truncated');
    const decipher = createDecipheriv('aes-256-gcm', this.key, this.nonceFor(index, isLast));
    decipher.setAAD(this.header.bytes);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
    try {
      const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG_LENGTH));
      decipher.final();
      return plaintext;
    } catch {
      // One message for every cause: which check failed says nothing useful to the caller.
      throw new DecryptionError(`Encrypted stream segment ${index} failed authentication`);
    }
  }
}
