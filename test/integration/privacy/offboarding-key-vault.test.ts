/**
 * Crypto-shredding with the production KMS client: a firm whose KEK lives in (the contract double
 * of) Azure Key Vault is closed and purged; the purge deletes and purges its key in the vault, and
 * a DEK wrapped before can no longer be unwrapped by anyone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureKeyVaultKeyProvider } from '../../../src/platform/kms/azure-key-vault-key-provider.js';
import { KeyNotFoundError } from '../../../src/platform/kms/key-provider.js';
import { bearer, signup } from '../../helpers/auth.js';
import { samplePdf, uploadRaw } from '../../helpers/documents.js';
import {
  createStaticTokenCredential,
  startKeyVaultContractServer,
  type KeyVaultContractServer,
} from '../../helpers/key-vault-contract-server.js';
import { useTestEnv } from '../../helpers/test-env.js';

let vault: KeyVaultContractServer;
const provider = () =>
  new AzureKeyVaultKeyProvider({
    vaultUrl: vault.vaultUrl,
    credential: createStaticTokenCredential(vault.token),
    // A 127.0.0.1 vault with a self-signed certificate: trusted for these clients only.
    clientOptions: {
      disableChallengeResourceVerification: true,
      tlsOptions: { ca: vault.caPem },
      retryOptions: { maxRetries: 0 },
    },
    deletePollIntervalMs: 10,
  });
// Registered before the environment's own hook, so the vault is up when the container is built.
beforeAll(async () => {
  vault = await startKeyVaultContractServer();
});
const env = useTestEnv({ keyProvider: provider });
afterAll(async () => {
  await vault?.close();
});

describe('offboarding with Azure Key Vault', () => {
  it('deletes and purges the tenant key in the vault, so an old wrapped DEK never unwraps again', async () => {
    const owner = await signup(env.app);
    const upload = await uploadRaw(env.app, owner.token, samplePdf(), { contentType: 'application/pdf' });
    expect(upload.statusCode, upload.body).toBe(201);
    const { rows } = await env.adminQuery(
      'SELECT key_ref, wrapped_dek FROM document_keys WHERE tenant_id = $1',
      [owner.tenantId],
    );
    const { key_ref: keyRef, wrapped_dek: wrapped } = rows[0];
    expect(keyRef).toMatch(new RegExp(`^${vault.vaultUrl}/keys/doklad-tenant-${owner.tenantId}/`));
    await expect(provider().unwrapKey(keyRef, wrapped)).resolves.toHaveLength(32);

    const { rows: names } = await env.adminQuery('SELECT name FROM tenants WHERE id = $1', [owner.tenantId]);
    const asked = await env.app.inject({
      method: 'POST',
      url: '/v1/tenant/offboarding',
      headers: bearer(owner.token),
      payload: { confirmName: names[0].name },
    });
    expect(asked.statusCode, asked.body).toBe(202);
    env.clock.advance(31 * 24 * 60 * 60 * 1000);
    expect(await env.container.offboarding.purgeDue()).toEqual({ tenants: 1, purged: 1 });

    // A fresh client (another process, a restored backup's worker) cannot unwrap it either.
    await expect(provider().unwrapKey(keyRef, wrapped)).rejects.toBeInstanceOf(KeyNotFoundError);
    const name = `doklad-tenant-${owner.tenantId}`;
    expect(vault.requests).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ method: 'DELETE', path: `/keys/${name}`, status: 200 }),
        expect.objectContaining({ method: 'DELETE', path: `/deletedkeys/${name}`, status: 204 }),
      ]),
    );
  });
});
