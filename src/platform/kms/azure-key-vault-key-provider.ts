/**
 * Production key provider over Azure Key Vault. Each tenant's KEK is an RSA key
 * (`doklad-tenant-<tenant id>`, 3072 bits by default) created with only the wrapKey/unwrapKey
 * operations; DEKs are wrapped with RSA-OAEP-256, inside the vault for unwrap (the private key
 * never leaves it).
 *
 * The key reference is the key's versioned id (`https://<vault>/keys/<name>/<version>`): a wrapped
 * DEK must be unwrapped by exactly the key version that wrapped it, and a versioned id keeps
 * working after the tenant key is rotated to a new version. References are checked against the
 * configured vault before use, so a reference read from the database can never send our token
 * to another host.
 */
import type { TokenCredential } from '@azure/identity';
import {
  CryptographyClient,
  KeyClient,
  parseKeyVaultKeyIdentifier,
  type KeyClientOptions,
} from '@azure/keyvault-keys';
import {
  assertDekSize,
  KeyDestroyedError,
  KeyNotFoundError,
  KeyUnwrapError,
  type KeyProvider,
} from './key-provider.js';
import { LruMap } from '../../core/lru-map.js';

export const AZURE_WRAP_ALGORITHM = 'RSA-OAEP-256';

export interface AzureKeyVaultKeyProviderOptions {
  /** e.g. `https://doklad-prod.vault.azure.net` */
  readonly vaultUrl: string;
  /** `DefaultAzureCredential` in production. */
  readonly credential: TokenCredential;
  /** Passed to the SDK clients (retry, TLS trust, challenge verification for tests). */
  readonly clientOptions?: KeyClientOptions;
  readonly keySizeBits?: 3072 | 4096;
  /** How often to poll for a key deletion to finish (SDK default 2 s). */
  readonly deletePollIntervalMs?: number;
}

/** Cached CryptographyClients: each holds a completed auth handshake and the key's public part. */
const MAX_CACHED_CLIENTS = 256;

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export class AzureKeyVaultKeyProvider implements KeyProvider {
  private readonly keys: KeyClient;
  private readonly vaultOrigin: string;
  private readonly cryptoClients = new LruMap<string, CryptographyClient>(MAX_CACHED_CLIENTS);

  constructor(private readonly options: AzureKeyVaultKeyProviderOptions) {
    this.vaultOrigin = new URL(options.vaultUrl).origin;
    this.keys = new KeyClient(options.vaultUrl, options.credential, { ...options.clientOptions });
  }

  /** Creates (or, if the name exists, adds a new version to) the tenant's RSA KEK. */
  async createTenantKey(tenantId: string): Promise<{ keyRef: string }> {
    if (!/^[0-9a-zA-Z-]{1,100}$/.test(tenantId)) {
      throw new TypeError('A tenant id must be letters, digits and dashes');
    }
    const key = await this.keys.createRsaKey(`doklad-tenant-${tenantId.toLowerCase()}`, {
      keySize: this.options.keySizeBits ?? 3072,
      keyOps: ['wrapKey', 'unwrapKey'],
      tags: { app: 'doklad', purpose: 'tenant-kek' },
    });
    if (!key.id) throw new Error('Key Vault returned a key without an id');
    return { keyRef: key.id };
  }

  async wrapKey(keyRef: string, dek: Buffer) {
    assertDekSize(dek);
    const { name } = this.parseKeyRef(keyRef);
    const result = await this.withKeyErrors(name, () =>
      this.cryptoClient(keyRef).wrapKey(AZURE_WRAP_ALGORITHM, dek),
    );
    return {
      wrapped: Buffer.from(result.result),
      keyRef: result.keyID ?? keyRef,
      algorithm: AZURE_WRAP_ALGORITHM,
    };
  }

  async unwrapKey(keyRef: string, wrapped: Buffer): Promise<Buffer> {
    const { name } = this.parseKeyRef(keyRef);
    const result = await this.withKeyErrors(name, () =>
      this.cryptoClient(keyRef).unwrapKey(AZURE_WRAP_ALGORITHM, wrapped),
    );
    return Buffer.from(result.result);
  }

  /**
   * Deletes the tenant key (every version) and then purges it, so not even a vault administrator
   * can recover it. A vault with purge protection refuses the purge (403); the key then stays
   * soft-deleted, unusable, until the vault's retention period removes it.
   */
  async destroyTenantKey(keyRef: string): Promise<void> {
    const { name } = this.parseKeyRef(keyRef);
    for (const [ref] of this.cryptoClients.entries()) {
      if (this.parseKeyRef(ref).name === name) this.cryptoClients.delete(ref);
    }
    try {
      const poller = await this.keys.beginDeleteKey(name, {
        intervalInMs: this.options.deletePollIntervalMs,
      });
      await poller.pollUntilDone();
    } catch (error) {
      // Already deleted (by an earlier, interrupted destroy): go on to the purge.
      if (statusOf(error) !== 404) throw error;
    }
    try {
      await this.keys.purgeDeletedKey(name);
    } catch (error) {
      if (statusOf(error) !== 403 && statusOf(error) !== 404) throw error;
    }
  }

  private parseKeyRef(keyRef: string): { name: string } {
    try {
      const id = parseKeyVaultKeyIdentifier(keyRef);
      if (new URL(id.vaultUrl).origin === this.vaultOrigin && id.version) return { name: id.name };
    } catch {
      // Not a key identifier at all: reported below like a foreign one.
    }
    throw new KeyNotFoundError('Not a versioned key id of the configured Key Vault');
  }

  private cryptoClient(keyRef: string): CryptographyClient {
    let client = this.cryptoClients.get(keyRef);
    if (!client) {
      client = new CryptographyClient(keyRef, this.options.credential, { ...this.options.clientOptions });
      this.cryptoClients.set(keyRef, client);
    }
    return client;
  }

  /** Maps Key Vault's answers to the provider's typed errors. */
  private async withKeyErrors<T>(name: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) throw await this.missingKeyError(name);
      if (status === 400) throw new KeyUnwrapError(`Key Vault rejected the operation on key ${name}`);
      throw error;
    }
  }

  /**
   * A soft-deleted key is reported as destroyed. A purged key cannot be told apart from one that
   * never existed, so it is reported as not found (the base class of `KeyDestroyedError`).
   */
  private async missingKeyError(name: string): Promise<KeyNotFoundError> {
    try {
      await this.keys.getDeletedKey(name);
      return new KeyDestroyedError(`Key ${name} was destroyed`);
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      return new KeyNotFoundError(`Key ${name} does not exist in the vault`);
    }
  }
}
