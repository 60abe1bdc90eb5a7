/**
 * Pending second-factor sign-ins: after a correct password, a short-lived challenge token stands
 * for "this user, this tenant, password verified". It is kept in Redis under its hash for five
 * minutes and allows five attempts.
 */
import { ServiceUnavailableError } from '../../core/errors.js';
import { generateToken, hashToken } from '../../platform/crypto/tokens.js';
import type { Redis } from '../../platform/redis.js';

const TTL_SECONDS = 5 * 60;
const MAX_ATTEMPTS = 5;

export interface PendingSignIn {
  readonly userId: string;
  readonly tenantId: string;
}

export interface MfaChallenges {
  create(pending: PendingSignIn): Promise<string>;
  /** The pending sign-in, counting one attempt; null when unknown, expired or out of attempts. */
  attempt(challengeToken: string): Promise<PendingSignIn | null>;
  finish(challengeToken: string): Promise<void>;
}

export function createMfaChallenges(redis: Redis, keyPrefix: string): MfaChallenges {
  const key = (token: string) => `${keyPrefix}:mfa-challenge:${hashToken(token)}`;
  const unavailable = () =>
    new ServiceUnavailableError('Sign-in is temporarily unavailable. Please try again shortly.');
  return {
    async create(pending) {
      const token = generateToken('mfa_');
      await redis
        .multi()
        .hset(key(token), { userId: pending.userId, tenantId: pending.tenantId, attempts: '0' })
        .expire(key(token), TTL_SECONDS)
        .exec()
        .catch(() => Promise.reject(unavailable()));
      return token;
    },
    async attempt(challengeToken) {
      if (challengeToken.length > 128) return null;
      const k = key(challengeToken);
      try {
        const fields = await redis.hgetall(k);
        if (!fields.userId || !fields.tenantId) return null;
        if ((await redis.hincrby(k, 'attempts', 1)) > MAX_ATTEMPTS) {
          await redis.del(k);
          return null;
        }
        return { userId: fields.userId, tenantId: fields.tenantId };
      } catch {
        throw unavailable();
      }
    },
    async finish(challengeToken) {
      await redis.del(key(challengeToken)).catch(() => undefined);
    },
  };
}
