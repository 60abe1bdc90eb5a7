/**
 * Sign-in throttling (ASVS V2.2.1), kept in Redis so every API replica shares it.
 *
 * - Per account and source: after `maxFailures` failed attempts from one IP, the account is locked
 *   for that IP for `baseLockSeconds`, doubling with every further failure up to `maxLockSeconds`.
 *   Someone failing on purpose from their own address locks only themselves out: the owner, from
 *   anywhere else, still signs in.
 * - Per account, from every source (the backstop against guessing spread over many addresses):
 *   after `accountMaxFailures` failures within the hour the account is locked everywhere, growing
 *   the same way. Whenever a lock of the account begins, the owner is told (`onAccountLocked`, at
 *   most once an hour), and a successful password reset clears every lock of the account.
 *   Keyed by a hash of the email, so unknown emails lock exactly like real accounts.
 * - Per person, for the second factor: failed TOTP and recovery codes are counted per user across
 *   challenges, step-ups and sources, with the same growing lock. A correct password opens a new
 *   challenge but never resets this count, so codes cannot be guessed five at a time forever.
 * - Per IP: at most `ipMaxFailures` failures per 15 minutes, whatever the accounts.
 *
 * When Redis is unreachable sign-in is refused (503) rather than left unthrottled.
 */
import { createHash } from 'node:crypto';
import { ServiceUnavailableError, TooManyRequestsError } from '../../core/errors.js';
import { loginFailures, loginLockouts } from '../../platform/metrics.js';
import type { Redis } from '../../platform/redis.js';

export interface LoginThrottleOptions {
  readonly keyPrefix: string;
  readonly maxFailures: number;
  readonly accountMaxFailures: number;
  readonly baseLockSeconds: number;
  readonly maxLockSeconds: number;
  readonly ipMaxFailures: number;
}

/** Whose lock began: the account of an email (password) or a person's second factor. */
export type LockedAccount = { readonly email: string } | { readonly userId: string };

const FAILURE_MEMORY_SECONDS = 60 * 60;
const IP_WINDOW_SECONDS = 15 * 60;
const NOTICE_INTERVAL_SECONDS = 60 * 60;

export interface LoginThrottle {
  /** Throws 429 while the account is locked for this IP or everywhere, or the IP is. */
  assertAllowed(email: string, ip: string): Promise<void>;
  recordFailure(email: string, ip: string): Promise<void>;
  /** Forgets this source's failures (the account-wide count decays on its own). */
  recordSuccess(email: string, ip: string): Promise<void>;
  /** Forgets every failure and lock of the account, from every source (a successful reset). */
  clearAccount(email: string): Promise<void>;
  /** Throws 429 while the person's second factor or the IP is locked out. */
  assertSecondFactorAllowed(userId: string, ip: string): Promise<void>;
  recordSecondFactorFailure(userId: string, ip: string): Promise<void>;
  recordSecondFactorSuccess(userId: string): Promise<void>;
}

export function createLoginThrottle(
  redis: Redis,
  options: LoginThrottleOptions,
  /** Called (not awaited) when a lock of an account begins, at most once an hour per account. */
  onAccountLocked: (account: LockedAccount) => void = () => undefined,
): LoginThrottle {
  const account = (email: string) =>
    `${options.keyPrefix}:login:acct:${createHash('sha256').update(email).digest('hex')}`;
  const source = (email: string, ip: string) => `${account(email)}:src:${ip}`;
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

  async function assertUnlocked(keys: readonly string[], ip: string, detail: string) {
    const [ipFailures, ...locksMs] = await Promise.all([
      redis.get(ipKey(ip)),
      ...keys.map((key) => redis.pttl(`${key}:lock`)),
    ]);
    const lockMs = Math.max(0, ...(locksMs as number[]));
    if (lockMs > 0) throw new TooManyRequestsError(detail, Math.ceil(lockMs / 1000));
    if (Number(ipFailures ?? 0) >= options.ipMaxFailures) {
      const ttl = await redis.ttl(ipKey(ip));
      throw new TooManyRequestsError('Too many failed sign-in attempts from this address.', Math.max(ttl, 1));
    }
  }

  /** Counts a failure against `key`; from `threshold` on, (re)locks it, growing. True: a lock began. */
  async function countFailure(key: string, threshold: number): Promise<boolean> {
    const failures = await redis.incr(`${key}:failures`);
    await redis.expire(`${key}:failures`, FAILURE_MEMORY_SECONDS);
    if (failures < threshold) return false;
    const lockSeconds = Math.min(
      options.baseLockSeconds * 2 ** (failures - threshold),
      options.maxLockSeconds,
    );
    await redis.set(`${key}:lock`, '1', 'EX', lockSeconds);
    return failures === threshold;
  }

  async function countIpFailure(ip: string) {
    if ((await redis.incr(ipKey(ip))) === 1) await redis.expire(ipKey(ip), IP_WINDOW_SECONDS);
  }

  /** Tells the owner a lock began, unless they were told within the hour. */
  async function notifyLocked(noticeKey: string, locked: LockedAccount) {
    const first = await redis.set(`${noticeKey}:noticed`, '1', 'EX', NOTICE_INTERVAL_SECONDS, 'NX');
    if (first === 'OK') onAccountLocked(locked);
  }

  const forget = (key: string) => redis.del(`${key}:failures`, `${key}:lock`);

  return {
    assertAllowed: (email, ip) =>
      guarded(() =>
        assertUnlocked(
          [source(email, ip), account(email)],
          ip,
          'Too many failed sign-in attempts. Try again later.',
        ),
      ),

    recordFailure: (email, ip) =>
      guarded(async () => {
        // The sources are remembered so that a reset can clear each of their locks.
        await redis.sadd(`${account(email)}:sources`, ip);
        await redis.expire(`${account(email)}:sources`, FAILURE_MEMORY_SECONDS);
        loginFailures.inc({ factor: 'password' });
        const sourceLocked = await countFailure(source(email, ip), options.maxFailures);
        const accountLocked = await countFailure(account(email), options.accountMaxFailures);
        await countIpFailure(ip);
        if (sourceLocked) loginLockouts.inc({ scope: 'source' });
        if (accountLocked) loginLockouts.inc({ scope: 'account' });
        if (sourceLocked || accountLocked) await notifyLocked(account(email), { email });
      }),

    recordSuccess: (email, ip) => guarded(() => forget(source(email, ip)).then(() => undefined)),

    clearAccount: (email) =>
      guarded(async () => {
        const sources = await redis.smembers(`${account(email)}:sources`);
        const keys = [account(email), ...sources.map((ip) => source(email, ip))];
        await redis.del(
          `${account(email)}:sources`,
          ...keys.flatMap((key) => [`${key}:failures`, `${key}:lock`]),
        );
      }),

    assertSecondFactorAllowed: (userId, ip) =>
      guarded(() =>
        assertUnlocked(
          [secondFactor(userId)],
          ip,
          'Too many wrong two-factor codes for this account. Try again later.',
        ),
      ),

    recordSecondFactorFailure: (userId, ip) =>
      guarded(async () => {
        loginFailures.inc({ factor: 'second_factor' });
        const locked = await countFailure(secondFactor(userId), options.maxFailures);
        await countIpFailure(ip);
        if (locked) loginLockouts.inc({ scope: 'second_factor' });
        if (locked) await notifyLocked(secondFactor(userId), { userId });
      }),

    recordSecondFactorSuccess: (userId) => guarded(() => forget(secondFactor(userId)).then(() => undefined)),
  };
}
