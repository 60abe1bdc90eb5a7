import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AZURE_WRAP_ALGORITHM,
  AzureKeyVaultKeyProvider,
} from '../../../src/platform/kms/azure-key-vault-key-provider.js';
import {
  KeyDestroyedError,
  KeyNotFoundError,
  KeyUnwrapError,
} from '../../../src/platform/kms/key-provider.js';
import {
  createStaticTokenCredential,
  startKeyVaultContractServer,
  type KeyVaultContractServer,
} from '../../helpers/key-vault-contract-server.js';

// These tests drive the real @azure/keyvault-keys SDK against a local HTTPS server that
// implements the Key Vault REST contract (not against Azure).
let server: KeyVaultContractServer;

beforeAll(async () => {
  server = await startKeyVaultContractServer();
});
afterAll(async () => {
  await server?.close();
});

function createProvider(token = server.token) {
  const credential = createStaticTokenCredential(token);
  const provider = new AzureKeyVaultKeyProvider({
    vaultUrl: server.vaultUrl,
    credential,
    // The vault is 127.0.0.1, not *.vault.azure.net, and its certificate is self-signed: trust it
    // for these clients only, and accept a challenge resource that does not match the host.
    clientOptions: {
      disableChallengeResourceVerification: true,
      tlsOptions: { ca: server.caPem },
      retryOptions: { maxRetries: 0 },
    },
    deletePollIntervalMs: 10,
  });
  return { provider, credential };
}

describe('Azure Key Vault key provider (real SDK, Key Vault contract server)', () => {
  it('creates a per-tenant RSA key and wraps/unwraps a DEK with RSA-OAEP-256 inside the vault', async () => {
    const { provider } = createProvider();
    const tenantId = randomUUID();
    const { keyRef } = await provider.createTenantKey(tenantId);
    expect(keyRef).toMatch(new RegExp(`^${server.vaultUrl}/keys/doklad-tenant-${tenantId}/[0-9a-f]{32}$`));

    const dek = randomBytes(32);
    const wrapped = await provider.wrapKey(keyRef, dek);
    expect(wrapped).toMatchObject({ keyRef, algorithm: AZURE_WRAP_ALGORITHM });
    expect(wrapped.wrapped.length).toBe(3072 / 8);
    expect((await provider.unwrapKey(keyRef, wrapped.wrapped)).equals(dek)).toBe(true);
    // A fresh provider (another process) unwraps it too: nothing but the vault holds key material.
    expect((await createProvider().provider.unwrapKey(keyRef, wrapped.wrapped)).equals(dek)).toBe(true);

    const paths = server.requests.filter((r) => r.hasToken).map((r) => `${r.method} ${r.path}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        `POST /keys/doklad-tenant-${tenantId}/create`,
        `POST ${new URL(keyRef).pathname}/wrapkey`,
        `POST ${new URL(keyRef).pathname}/unwrapkey`,
      ]),
    );
  });

  it('completes the bearer challenge: the token-less first request gets 401 + WWW-Authenticate, the retry carries the token for the challenged scope and tenant', async () => {
    const { provider, credential } = createProvider();
    const before = server.requests.length;
    await provider.createTenantKey(randomUUID());
    const seen = server.requests.slice(before);
    expect(seen[0]).toMatchObject({ method: 'POST', hasToken: false, status: 401 });
    expect(seen[0]?.wwwAuthenticate).toBe(
      `Bearer authorization="https://login.microsoftonline.com/${server.aadTenantId}", resource="https://vault.azure.net"`,
    );
    expect(seen[1]).toMatchObject({ method: 'POST', hasToken: true, status: 200 });
    expect(seen.every((r) => r.apiVersion !== null)).toBe(true);
    expect(credential.calls).toContainEqual({
      scopes: ['https://vault.azure.net/.default'],
      tenantId: server.aadTenantId,
    });
  });

  it('verifies TLS: without trusting the test certificate the SDK refuses to talk to the vault', async () => {
    const provider = new AzureKeyVaultKeyProvider({
      vaultUrl: server.vaultUrl,
      credential: createStaticTokenCredential(server.token),
      clientOptions: { disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } },
    });
    const before = server.requests.length;
    await expect(provider.createTenantKey(randomUUID())).rejects.toThrow(/self[- ]signed|certificate/i);
    expect(server.requests.length).toBe(before);
  });

  it('is refused when its credential yields a token the vault does not accept', async () => {
    const { provider } = createProvider('not-the-right-token');
    await expect(provider.createTenantKey(randomUUID())).rejects.toMatchObject({ statusCode: 401 });
  });

  it('cannot unwrap after the tenant key is destroyed and purged (crypto-shredding)', async () => {
    const { provider } = createProvider();
    const { keyRef } = await provider.createTenantKey(randomUUID());
    const { wrapped } = await provider.wrapKey(keyRef, randomBytes(32));
    await provider.destroyTenantKey(keyRef);
    await provider.destroyTenantKey(keyRef); // idempotent
    await expect(provider.unwrapKey(keyRef, wrapped)).rejects.toBeInstanceOf(KeyNotFoundError);
    await expect(createProvider().provider.unwrapKey(keyRef, wrapped)).rejects.toBeInstanceOf(
      KeyNotFoundError,
    );
    const name = new URL(keyRef).pathname.split('/')[2];
    expect(server.requests).toContainEqual(
      expect.objectContaining({ method: 'DELETE', path: `/deletedkeys/${name}`, status: 204 }),
    );
  });

  it('tolerates a vault that forbids purging: the key stays soft-deleted and reports KeyDestroyedError', async () => {
    const { provider } = createProvider();
    const { keyRef } = await provider.createTenantKey(randomUUID());
    const { wrapped } = await provider.wrapKey(keyRef, randomBytes(32));
    server.purgeAllowed = false;
    try {
      await provider.destroyTenantKey(keyRef);
    } finally {
      server.purgeAllowed = true;
    }
    await expect(provider.unwrapKey(keyRef, wrapped)).rejects.toBeInstanceOf(KeyDestroyedError);
    await expect(provider.wrapKey(keyRef, randomBytes(32))).rejects.toBeInstanceOf(KeyDestroyedError);
  });

  it('reports an unknown key, a foreign vault and an unversioned reference as KeyNotFoundError', async () => {
    const { provider } = createProvider();
    const unknown = `${server.vaultUrl}/keys/doklad-tenant-${randomUUID()}/${'0'.repeat(32)}`;
    const wrapped = randomBytes(384);
    await expect(provider.unwrapKey(unknown, wrapped)).rejects.toBeInstanceOf(KeyNotFoundError);
    await expect(provider.unwrapKey(unknown, wrapped)).rejects.not.toBeInstanceOf(KeyDestroyedError);
    const before = server.requests.length;
    for (const ref of [
      `https://evil.example/keys/doklad-tenant-x/${'0'.repeat(32)}`,
      `${server.vaultUrl}/keys/doklad-tenant-x`,
      'doklad-tenant-x',
    ]) {
      await expect(provider.unwrapKey(ref, wrapped)).rejects.toBeInstanceOf(KeyNotFoundError);
    }
    expect(server.requests.length).toBe(before); // rejected before any request was made
  });

  it('rejects a damaged wrapped DEK with KeyUnwrapError', async () => {
    const { provider } = createProvider();
    const { keyRef } = await provider.createTenantKey(randomUUID());
    const { wrapped } = await provider.wrapKey(keyRef, randomBytes(32));
    wrapped[10] = (wrapped[10] as number) ^ 1;
    await expect(provider.unwrapKey(keyRef, wrapped)).rejects.toBeInstanceOf(KeyUnwrapError);
  });
});
