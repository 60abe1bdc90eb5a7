/**
 * Tenants are served fairly: an extraction job's BullMQ priority is its rank among its tenant's
 * waiting jobs (a counter per tenant in Redis), so one firm's thousandth scan waits behind another
 * firm's first invoice. The counter goes up when a job is enqueued and down when its run ends.
 */
import type { Redis } from '../../platform/redis.js';

/** BullMQ's largest priority. */
const MAX_PRIORITY = 2_097_151;

export interface FairnessCounters {
  /** Counts a job the tenant is about to enqueue; resolves with its priority. */
  enter(tenantId: string): Promise<number>;
  /** Counts a job of the tenant as finished (never below zero; Redis trouble is ignored). */
  leave(tenantId: string): Promise<void>;
}

export function createFairnessCounters(redis: Redis, keyPrefix: string): FairnessCounters {
  const keyOf = (tenantId: string) => `${keyPrefix}:fairness:waiting:${tenantId}`;
  return {
    async enter(tenantId) {
      return Math.min(await redis.incr(keyOf(tenantId)), MAX_PRIORITY);
    },
    async leave(tenantId) {
      const key = keyOf(tenantId);
      if ((await redis.decr(key).catch(() => 0)) < 0) await redis.set(key, '0').catch(() => undefined);
    },
  };
}
