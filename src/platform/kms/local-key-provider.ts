/**
 * Development key provider: a KMS in a directory. Each tenant KEK is a random 256-bit key, stored
 * only wrapped (AES-256-GCM, AAD = key reference) under a 32-byte master key from configuration.
 * DEKs are wrapped with AES-256-GCM under the KEK ("A256GCM-local"; output nonce || ciphertext ||
 * tag). Crypto-shredding here is only as strong as the absence of old copies of the key
 * directory, which is why production uses Azure Key Vault.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KekStore } from './kek-store.js';
import {
  assertDekSize,
  KeyDestroyedError,
  KeyNotFoundError,
  KeyUnwrapError,
  type KeyProvider,
} from './key-provider.js';

export const LOCAL_WRAP_ALGORITHM = 'A256GCM-local';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  return Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** Returns undefined when the tag does not verify. */
function open(key: Buffer, sealed: Buffer, aad: string): Buffer | undefined {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_BYTES));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    return undefined;
  }
}

/** Decodes the base64 master key from configuration; throws unless it is exactly 32 bytes. */
export function parseMasterKey(base64: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== KEY_BYTES || key.toString('base64') !== base64.trim()) {
    throw new TypeError(`The local KMS master key must be ${KEY_BYTES} bytes, base64-encoded`);
  }
  return key;
}

export interface LocalKeyProviderOptions {
  /** 32 bytes; see `parseMasterKey`. */
  readonly masterKey: Buffer;
  readonly store: KekStore;
}

/** Creates the development `KeyProvider` over a `KekStore`. */
export function createLocalKeyProvider(options: LocalKeyProviderOptions): KeyProvider {
  const { masterKey, store } = options;
  if (masterKey.length !== KEY_BYTES) throw new TypeError(`The master key must be ${KEY_BYTES} bytes`);

  async function loadKek(keyRef: string): Promise<Buffer> {
    const stored = await store.get(keyRef);
    if (stored.state === 'missing') throw new KeyNotFoundError(`Key ${keyRef} does not exist`);
    if (stored.state === 'destroyed') throw new KeyDestroyedError(`Key ${keyRef} was destroyed`);
    const kek = open(masterKey, stored.wrapped, keyRef);
    // A KEK that does not open means a different master key or a damaged file: a setup problem,
    // deliberately not a KeyNotFoundError, so it is never mistaken for an erased tenant.
    if (!kek) throw new Error(`The master key cannot open key ${keyRef} (wrong master key or damaged file)`);
    return kek;
  }

  return {
    async createTenantKey(tenantId) {
      const id = tenantId.toLowerCase();
      if (!/^[a-z0-9-]{1,64}$/.test(id))
        throw new TypeError('A tenant id must be letters, digits and dashes');
      const keyRef = `kek-${id}-${randomBytes(4).toString('hex')}`;
      await store.put(keyRef, seal(masterKey, randomBytes(KEY_BYTES), keyRef));
      return { keyRef };
    },
    async wrapKey(keyRef, dek) {
      assertDekSize(dek);
      const kek = await loadKek(keyRef);
      return { wrapped: seal(kek, dek, `dek:${keyRef}`), keyRef, algorithm: LOCAL_WRAP_ALGORITHM };
    },
    async unwrapKey(keyRef, wrapped) {
      const dek = open(await loadKek(keyRef), wrapped, `dek:${keyRef}`);
      if (!dek) throw new KeyUnwrapError(`The wrapped key does not unwrap under key ${keyRef}`);
      return dek;
    },
    async destroyTenantKey(keyRef) {
      await store.delete(keyRef);
    },
  };
}
