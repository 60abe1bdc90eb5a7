/**
 * The key-encryption side of envelope encryption. Every tenant has one key-encryption key (KEK)
 * inside a KMS; per-document data keys (DEKs) are wrapped by it and only the wrapped form is
 * stored. The KEK never leaves the KMS (Azure Key Vault) or leaves it only wrapped under a master
 * key (the local development provider). Destroying a tenant's KEK makes every DEK wrapped by it,
 * and so every copy of that tenant's content, unreadable: crypto-shredding.
 */

export interface WrappedKey {
  readonly wrapped: Buffer;
  /** The exact key (version) that wrapped the DEK; store it next to `wrapped`. */
  readonly keyRef: string;
  /** Names the wrapping scheme, e.g. `A256GCM-local` or `RSA-OAEP-256`; store it too. */
  readonly algorithm: string;
}

export interface KeyProvider {
  /** Creates a new KEK for a tenant and returns the reference to store for it. */
  createTenantKey(tenantId: string): Promise<{ keyRef: string }>;
  /** Wraps a DEK (16-64 bytes) under the KEK named by `keyRef`. */
  wrapKey(keyRef: string, dek: Buffer): Promise<WrappedKey>;
  /**
   * Unwraps a DEK. Rejects with `KeyDestroyedError` after `destroyTenantKey`, `KeyNotFoundError`
   * for a reference this provider does not know, and `KeyUnwrapError` for a damaged wrapped key.
   */
  unwrapKey(keyRef: string, wrapped: Buffer): Promise<Buffer>;
  /** Destroys the KEK for good (all its versions). Idempotent. */
  destroyTenantKey(keyRef: string): Promise<void>;
}

/** The KEK does not exist (or is not this provider's). Messages name the reference, never key material. */
export class KeyNotFoundError extends Error {
  override name = 'KeyNotFoundError';
}

/**
 * The KEK existed and was destroyed on purpose. A subclass of `KeyNotFoundError` so that code
 * which only asks "is the key usable" needs one check; code that cares (purge jobs, support
 * tooling) can tell an erased tenant from a misconfiguration.
 */
export class KeyDestroyedError extends KeyNotFoundError {
  override name = 'KeyDestroyedError';
}

/** The wrapped DEK does not unwrap under this KEK (damaged, or wrapped by another key). */
export class KeyUnwrapError extends Error {
  override name = 'KeyUnwrapError';
}

export const MIN_DEK_BYTES = 16;
export const MAX_DEK_BYTES = 64;

/** Rejects values that are not plausible data keys before they reach a KMS. */
export function assertDekSize(dek: Buffer): void {
  if (!Buffer.isBuffer(dek) || dek.length < MIN_DEK_BYTES || dek.length > MAX_DEK_BYTES) {
    throw new TypeError(`A data key to wrap must be ${MIN_DEK_BYTES}-${MAX_DEK_BYTES} bytes`);
  }
}
