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

export function createQueue(settings: QueueSettings, name: string): Queue {
  return new Queue(name, {
    connection: connection(settings),
    prefix: `${settings.keyPrefix}:bull`,
    // Finished jobs are trimmed so Redis memory stays flat; failures are kept longer to inspect.
    defaultJobOptions: {
      removeOnComplete: { count: 200 },
      removeOnFail: { count: 2000 },
      attempts: 3,
      backoff: { type: 'exponential', delay: 5_000 },
    },
  });
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

export interface LazyQueues {
  /** The queue of this name, opened (with its own Redis connection) on first use. */
  get<T = unknown>(name: string): Queue<T>;
  /** Closes every queue opened so far. */
  close(): Promise<void>;
}

export function createLazyQueues(settings: QueueSettings): LazyQueues {
  const opened = new Map<string, Queue>();
  return {
    get<T>(name: string) {
      let queue = opened.get(name);
      if (!queue) opened.set(name, (queue = createQueue(settings, name)));
      return queue as unknown as Queue<T>;
    },
    async close() {
      await Promise.allSettled([...opened.values()].map((queue) => queue.close()));
    },
  };
}
