/**
 * Worker health in Redis: each running worker refreshes its entry in one sorted set
 * (`<prefix>:workers:healthy`, member = worker id, score = when the entry expires) every time it
 * has checked that its maintenance schedules exist. The API's `/readyz/workers` counts unexpired
 * entries, so it turns not-ready when no worker runs, when workers cannot reach Redis, and when
 * Redis lost its keys until a worker has registered the schedules again.
 *
 * A sorted set rather than one key per worker: reading it is one ZCOUNT, never a SCAN of the
 * keyspace, and an entry of a worker that died simply ages out.
 */
import type { Redis } from 'ioredis';

const healthKey = (keyPrefix: string) => `${keyPrefix}:workers:healthy`;

/** Marks `workerId` healthy until `ttlMs` from now (and drops entries that have expired). */
export async function recordWorkerHealthy(
  redis: Redis,
  keyPrefix: string,
  workerId: string,
  ttlMs: number,
): Promise<void> {
  const now = Date.now();
  await redis
    .multi()
    .zadd(healthKey(keyPrefix), now + ttlMs, workerId)
    .zremrangebyscore(healthKey(keyPrefix), '-inf', now)
    .pexpire(healthKey(keyPrefix), ttlMs)
    .exec();
}

/** Removes `workerId` at once (a graceful shutdown), instead of letting its entry age out. */
export async function forgetWorker(redis: Redis, keyPrefix: string, workerId: string): Promise<void> {
  await redis.zrem(healthKey(keyPrefix), workerId);
}

/** How many workers reported healthy and have not expired. */
export async function countHealthyWorkers(redis: Redis, keyPrefix: string): Promise<number> {
  return redis.zcount(healthKey(keyPrefix), `(${Date.now()}`, '+inf');
}
