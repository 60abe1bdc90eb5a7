/**
 * Redis restarting empty must not silently stop the maintenance jobs: BullMQ's job schedulers live
 * only in Redis, so workers register them again by themselves, and `/readyz/workers` says not
 * ready while no worker has them registered.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createContainer } from '../../../src/container.js';
import { MAINTENANCE_QUEUE } from '../../../src/platform/jobs.js';
import { freePort } from '../../../scripts/dev-services/free-port.js';
import { createLogger } from '../../../src/platform/logger.js';
import { createQueue } from '../../../src/platform/queue.js';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers.js';
import { useTestEnv } from '../../helpers/test-env.js';

const CHECK_INTERVAL_MS = 2_000;
const env = useTestEnv({ env: { MAINTENANCE_SCHEDULE_CHECK_INTERVAL_MS: String(CHECK_INTERVAL_MS) } });
let workers: RunningWorkers | undefined;
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await workers?.close();
});

const SCHEDULES = [
  'audit-checkpoints',
  'orphan-blob-sweep',
  'reconcile-extractions',
  'relay-webhooks',
  'retention-sweep',
  'share-labels',
  'tenant-purge',
  'trash-purge',
];

/** Deletes every key of this test file's prefix, and nothing else: what a Redis restarted empty leaves. */
async function flushOwnKeys(): Promise<number> {
  const redis = new Redis(env.config.redis.url);
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(
        cursor,
        'MATCH',
        `${env.config.redis.keyPrefix}:*`,
        'COUNT',
        1000,
      );
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

async function workerReadiness(): Promise<number> {
  return (await env.app.inject({ url: '/readyz/workers' })).statusCode;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('maintenance schedules after Redis lost its keys', () => {
  it('registers the schedules again within a minute while the worker runs, and reports the worker not ready until then', async () => {
    const queue = createQueue(
      { redisUrl: env.config.redis.url, keyPrefix: env.config.redis.keyPrefix },
      MAINTENANCE_QUEUE,
    );
    const scheduled = async () => (await queue.getJobSchedulers()).map((s) => s.key).sort();
    try {
      expect(await workerReadiness()).toBe(503); // no worker yet
      workers = await startWorkers(env.container);
      expect(await scheduled()).toEqual(SCHEDULES);
      expect(await workerReadiness()).toBe(200);

      expect(await flushOwnKeys()).toBeGreaterThan(0);
      expect(await scheduled()).toEqual([]);
      expect(await workerReadiness()).toBe(503);

      const flushedAt = Date.now();
      await waitFor(async () => (await scheduled()).length === SCHEDULES.length, 60_000, 'the schedules');
      expect(await scheduled()).toEqual(SCHEDULES);
      expect(Date.now() - flushedAt).toBeLessThan(CHECK_INTERVAL_MS * 3);
      await waitFor(async () => (await workerReadiness()) === 200, 10_000, 'the worker to be ready');
    } finally {
      await queue.close();
    }
  }, 90_000);

  it('withdraws the worker’s readiness when it shuts down', async () => {
    await workers?.close();
    workers = undefined;
    expect(await workerReadiness()).toBe(503);
  });
});

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

describe.skipIf(!hasRedisServer)('Redis restarted empty (needs the redis-server binary)', () => {
  it('registers the schedules again as soon as the worker reconnects, without waiting for the periodic check', async () => {
    const port = await freePort();
    const startRedis = () => {
      const child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      children.push(child);
      return child;
    };
    let redis = startRedis();
    await sleep(300);
    // The periodic check is far away: only the reconnection can bring the schedules back in time.
    const config = Object.freeze({
      ...env.config,
      redis: { ...env.config.redis, url: `redis://127.0.0.1:${port}` },
      maintenance: { scheduleCheckIntervalMs: 600_000 },
    });
    const container = await createContainer(config, createLogger('silent'), { clock: env.clock });
    const queue = createQueue(
      { redisUrl: config.redis.url, keyPrefix: config.redis.keyPrefix },
      MAINTENANCE_QUEUE,
    );
    const local = await startWorkers(container);
    try {
      expect((await queue.getJobSchedulers()).length).toBe(SCHEDULES.length);
      redis.kill('SIGKILL');
      await new Promise((r) => redis.once('exit', r));
      redis = startRedis();
      await waitFor(
        async () => (await queue.getJobSchedulers().catch(() => [])).length === SCHEDULES.length,
        15_000,
        'the schedules after the restart',
      );
    } finally {
      await local.close();
      await queue.close();
      await container.close();
    }
  }, 60_000);
});
