/**
 * Envelope encryption for small secrets at rest (TOTP seeds, webhook secrets): each secret gets
 * its own random data key, AES-256-GCM encrypts it, and the data key is stored only wrapped by a
 * KMS key. `context` (e.g. `totp:<user id>`) is bound as associated data, so a sealed value copied
 * to another row or purpose fails to open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeyProvider } from '../kms/key-provider.js';

export interface SecretBox {
  seal(plaintext: Buffer, context: string): Promise<string>;
  open(sealed: string, context: string): Promise<Buffer>;
}

interface SealedV1 {
  v: 1;
  keyRef: string;
  alg: string;
  wrappedDek: string;
  iv: string;
  ct: string;
  tag: string;
}

const aad = (context: string) => Buffer.from(`doklad-secret-box:v1:${context}`, 'utf8');

export function createSecretBox(provider: KeyProvider, keyRef: string): SecretBox {
  return {
    async seal(plaintext, context) {
      const dek = randomBytes(32);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', dek, iv).setAAD(aad(context));
      const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const wrapped = await provider.wrapKey(keyRef, dek);
      dek.fill(0);
      const sealed: SealedV1 = {
        v: 1,
        keyRef: wrapped.keyRef,
        alg: wrapped.algorithm,
        wrappedDek: wrapped.wrapped.toString('base64'),
        iv: iv.toString('base64'),
        ct: ct.toString('base64'),
        tag: cipher.getAuthTag().toString('base64'),
      };
      return JSON.stringify(sealed);
    },

    async open(sealed, context) {
      const parsed = JSON.parse(sealed) as SealedV1;
      if (parsed.v !== 1) throw new Error('Unsupported sealed secret version');
      const dek = await provider.unwrapKey(parsed.keyRef, Buffer.from(parsed.wrappedDek, 'base64'));
      try {
        const decipher = createDecipheriv('aes-256-gcm', dek, Buffer.from(parsed.iv, 'base64'))
          .setAAD(aad(context))
          .setAuthTag(Buffer.from(parsed.tag, 'base64'));
        return Buffer.concat([decipher.update(Buffer.from(parsed.ct, 'base64')), decipher.final()]);
      } finally {
        dek.fill(0);
      }
    },
  };
}
