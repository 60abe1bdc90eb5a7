/** Builds the configured KeyProvider: Azure Key Vault in production, the local provider in development. */
import { randomBytes } from 'node:crypto';
import { DefaultAzureCredential } from '@azure/identity';
import type { Config } from '../config.js';
import { readOrCreateKeyFile } from '../crypto/key-file.js';
import { AzureKeyVaultKeyProvider } from './azure-key-vault-key-provider.js';
import { createFileKekStore } from './kek-store.js';
import type { KeyProvider } from './key-provider.js';
import { createLocalKeyProvider, parseMasterKey } from './local-key-provider.js';

export async function createKeyProvider(kms: Config['kms']): Promise<KeyProvider> {
  if (kms.provider === 'azure-key-vault') {
    return new AzureKeyVaultKeyProvider({
      vaultUrl: kms.azureKeyVaultUrl!,
      credential: new DefaultAzureCredential(),
    });
  }
  const masterKey =
    kms.localMasterKey ??
    (await readOrCreateKeyFile(kms.localMasterKeyFile, {
      create: kms.localMasterKeyCreate,
      generate: () => randomBytes(32).toString('base64'),
      settingHint: 'Set LOCAL_KMS_MASTER_KEY, or LOCAL_KMS_MASTER_KEY_CREATE=true for development.',
    }));
  return createLocalKeyProvider({
    masterKey: parseMasterKey(masterKey.trim()),
    store: createFileKekStore(kms.localKeyDir),
  });
}
