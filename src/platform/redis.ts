/**
 * ioredis connections. Requests fail fast while Redis is unreachable (no offline queue, one retry)
 * so an outage surfaces as an error the caller can handle, not as requests that hang.
 */
import { Redis } from 'ioredis';

export type { Redis };

export function createRedis(url: string): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    // Keep reconnecting in the background, at most every 2 s, so the process recovers by itself.
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  // Outages surface where commands fail (and in /readyz); without a listener ioredis would also
  // print every reconnection error to the console.
  redis.on('error', () => undefined);
  return redis;
}

/** Connects and checks with PING; true when Redis answered. */
export async function pingRedis(redis: Redis): Promise<boolean> {
  try {
    if (redis.status === 'wait') await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  }
}
