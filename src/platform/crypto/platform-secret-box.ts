/**
 * A SecretBox under a platform-level KMS key (for secrets that belong to people, who are not bound
 * to one tenant). The key is created in the KMS on first use and its reference kept in
 * `platform_keys`; concurrent first uses agree on one key through the table's primary key.
 */
import type { Db } from '../db/db.js';
import type { KeyProvider } from '../kms/key-provider.js';
import { createSecretBox, type SecretBox } from './secret-box.js';

export function createPlatformSecretBox(db: Db, provider: KeyProvider, purpose: string): SecretBox {
  let keyRef: Promise<string> | undefined;

  async function ensureKeyRef(): Promise<string> {
    const existing = await db.prisma.platformKey.findUnique({ where: { purpose } });
    if (existing) return existing.keyRef;
    const created = await provider.createTenantKey(`platform-${purpose}`);
    await db.prisma.platformKey.createMany({
      data: [{ purpose, keyRef: created.keyRef }],
      skipDuplicates: true,
    });
    const winner = await db.prisma.platformKey.findUniqueOrThrow({ where: { purpose } });
    // Another process created the key first: ours was never used, so destroy it.
    if (winner.keyRef !== created.keyRef) await provider.destroyTenantKey(created.keyRef);
    return winner.keyRef;
  }

  const box = async () => {
    keyRef ??= ensureKeyRef().catch((error: unknown) => {
      keyRef = undefined;
      throw error;
    });
    return createSecretBox(provider, await keyRef);
  };

  return {
    seal: async (plaintext, context) => (await box()).seal(plaintext, context),
    open: async (sealed, context) => (await box()).open(sealed, context),
  };
}
