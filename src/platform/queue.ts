/**
 * BullMQ plumbing. Queues and workers use their own Redis connections: BullMQ's blocking commands
 * need `maxRetriesPerRequest: null`, unlike the fail-fast client used for requests.
 */
import { Queue, Worker, type Processor, type WorkerOptions } from 'bullmq';
import { Redis } from 'ioredis';

export interface QueueSettings {
  readonly redisUrl: string;
  /** Every queue key starts with `<prefix>:bull`, so deployments (and test files) never mix. */
  readonly keyPrefix: string;
}

function connection(settings: QueueSettings): Redis {
  const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true });
  redis.on('error', () => undefined); // reconnects by itself; callers see failed or delayed commands
  return redis;
}

/** A queue and the Redis connection it runs on (BullMQ does not close a connection it was handed). */
function openQueue(settings: QueueSettings, name: string): { queue: Queue; redis: Redis } {
  const redis = connection(settings);
  const queue = new Queue(name, {
    connection: redis,
    prefix: `${settings.keyPrefix}:bull`,
    // Finished jobs are trimmed so Redis memory stays flat; failures are kept longer to inspect.
    defaultJobOptions: {
      removeOnComplete: { count: 200 },
      removeOnFail: { count: 2000 },
      attempts: 3,
      backoff: { type: 'exponential', delay: 5_000 },
    },
  });
  return { queue, redis };
}

export function createQueue(settings: QueueSettings, name: string): Queue {
  return openQueue(settings, name).queue;
}

export function createWorker(
  settings: QueueSettings,
  name: string,
  processor: Processor,
  options: Partial<WorkerOptions> = {},
): Worker {
  return new Worker(name, processor, {
    connection: connection(settings),
    prefix: `${settings.keyPrefix}:bull`,
    ...options,
  });
}

/** Every queue the deployment has, opened on first use (the CLI and most tests never enqueue). */
export interface Queues {
  /** The named queue; throws for a name not in the list (a typo would otherwise be a new queue). */
  get(name: string): Queue;
  /** All of them (opening each), for the queue console and the queue metrics. */
  all(): readonly Queue[];
  /** Closes every queue opened so far. */
  close(): Promise<void>;
}

export function createQueues(settings: QueueSettings, names: readonly string[]): Queues {
  const opened = new Map<string, { queue: Queue; redis: Redis }>();
  function get(name: string): Queue {
    if (!names.includes(name)) throw new Error(`No queue named "${name}"`);
    let entry = opened.get(name);
    if (!entry) opened.set(name, (entry = openQueue(settings, name)));
    return entry.queue;
  }
  return {
    get,
    all: () => names.map(get),
    async close() {
      const closing = [...opened.values()];
      opened.clear();
      await Promise.allSettled(
        closing.map(async ({ queue, redis }) => {
          await queue.close();
          // QUIT waits for a reconnect that may never come: a connection not ready is just dropped.
          if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
          else redis.disconnect();
        }),
      );
    },
  };
}
