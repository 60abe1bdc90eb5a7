/**
 * argon2id password hashing. Parameters come from configuration and may only be at or above
 * OWASP's minimum (19 MiB, 2 iterations, 1 lane); a stored hash made with other parameters is
 * reported by `needsRehash`, so sign-in can upgrade it.
 */
import argon2, { type HashOptions } from 'argon2';

export interface Argon2Parameters {
  readonly memoryKiB: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  needsRehash(hash: string): boolean;
  /**
   * Spends the same time as a real verification and returns false. Used for unknown accounts so
   * that response timing does not tell whether an email is registered.
   */
  verifyAgainstDummy(password: string): Promise<false>;
}

export async function createPasswordHasher(params: Argon2Parameters): Promise<PasswordHasher> {
  const options: HashOptions & { raw?: false } = {
    type: argon2.argon2id,
    memoryCost: params.memoryKiB,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
  };
  const dummyHash = await argon2.hash('not a password anyone has', options);
  return {
    hash: (password) => argon2.hash(password, options),
    async verify(hash, password) {
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false;
      }
    },
    needsRehash: (hash) => argon2.needsRehash(hash, options),
    async verifyAgainstDummy(password) {
      await argon2.verify(dummyHash, password);
      return false;
    },
  };
}
