/**
 * Sign-in throttling (ASVS V2.2.1), kept in Redis so every API replica shares it.
 *
 * - Per account: after `maxFailures` failed attempts the account is locked for `baseLockSeconds`,
 *   doubling with every further failure up to `maxLockSeconds`. Keyed by a hash of the email, so
 *   unknown emails lock exactly like real accounts and the lock reveals nothing.
 * - Per person, for the second factor: failed TOTP and recovery codes are counted per user across
 *   challenges, step-ups and sources, with the same growing lock. A correct password opens a new
 *   challenge but never resets this count, so codes cannot be guessed five at a time forever.
 * - Per IP: at most `ipMaxFailures` failures per 15 minutes, whatever the accounts.
 *
 * When Redis is unreachable sign-in is refused (503) rather than left unthrottled.
 */
import { createHash } from 'node:crypto';
import { ServiceUnavailableError, TooManyRequestsError } from '../../core/errors.js';
import type { Redis } from '../../platform/redis.js';

export interface LoginThrottleOptions {
  readonly keyPrefix: string;
  readonly maxFailures: number;
  readonly baseLockSeconds: number;
  readonly maxLockSeconds: number;
  readonly ipMaxFailures: number;
}

const FAILURE_MEMORY_SECONDS = 60 * 60;
const IP_WINDOW_SECONDS = 15 * 60;

export interface LoginThrottle {
  /** Throws 429 while the account or the IP is locked out. */
  assertAllowed(email: string, ip: string): Promise<void>;
  recordFailure(email: string, ip: string): Promise<void>;
  recordSuccess(email: string): Promise<void>;
  /** Throws 429 while the person's second factor or the IP is locked out. */
  assertSecondFactorAllowed(userId: string, ip: string): Promise<void>;
  recordSecondFactorFailure(userId: string, ip: string): Promise<void>;
  recordSecondFactorSuccess(userId: string): Promise<void>;
}

export function createLoginThrottle(redis: Redis, options: LoginThrottleOptions): LoginThrottle {
  const account = (email: string) =>
    `${options.keyPrefix}:login:acct:${createHash('sha256').update(email).digest('hex')}`;
  const secondFactor = (userId: string) => `${options.keyPrefix}:login:mfa:${userId}`;
  const ipKey = (ip: string) => `${options.keyPrefix}:login:ip:${ip}`;

  async function guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof TooManyRequestsError) throw error;
      throw new ServiceUnavailableError('Sign-in is temporarily unavailable. Please try again shortly.');
    }
  }

  async function assertUnlocked(key: string, ip: string, detail: string) {
    const [lockMs, ipFailures] = await Promise.all([redis.pttl(`${key}:lock`), redis.get(ipKey(ip))]);
    if (lockMs > 0) throw new TooManyRequestsError(detail, Math.ceil(lockMs / 1000));
    if (Number(ipFailures ?? 0) >= options.ipMaxFailures) {
      const ttl = await redis.ttl(ipKey(ip));
      throw new TooManyRequestsError('Too many failed sign-in attempts from this address.', Math.max(ttl, 1));
    }
  }

  /** Counts a failure against `key` and the IP; from `maxFailures` on, (re)locks `key`, growing. */
  async function countFailure(key: string, ip: string) {
    const failures = await redis.incr(`${key}:failures`);
    await redis.expire(`${key}:failures`, FAILURE_MEMORY_SECONDS);
    const ipCount = await redis.incr(ipKey(ip));
    if (ipCount === 1) await redis.expire(ipKey(ip), IP_WINDOW_SECONDS);
    if (failures >= options.maxFailures) {
      const lockSeconds = Math.min(
        options.baseLockSeconds * 2 ** (failures - options.maxFailures),
        options.maxLockSeconds,
      );
      await redis.set(`${key}:lock`, '1', 'EX', lockSeconds);
    }
  }

  const forget = (key: string) => redis.del(`${key}:failures`, `${key}:lock`);

  return {
    assertAllowed: (email, ip) =>
      guarded(() => assertUnlocked(account(email), ip, 'Too many failed sign-in attempts. Try again later.')),
    recordFailure: (email, ip) => guarded(() => countFailure(account(email), ip)),
    recordSuccess: (email) => guarded(() => forget(account(email)).then(() => undefined)),

    assertSecondFactorAllowed: (userId, ip) =>
      guarded(() =>
        assertUnlocked(
          secondFactor(userId),
          ip,
          'Too many wrong two-factor codes for this account. Try again later.',
        ),
      ),
    recordSecondFactorFailure: (userId, ip) => guarded(() => countFailure(secondFactor(userId), ip)),
    recordSecondFactorSuccess: (userId) => guarded(() => forget(secondFactor(userId)).then(() => undefined)),
  };
}
