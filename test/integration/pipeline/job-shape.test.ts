/**
 * The one job shape against real Redis and the real worker: a payload is checked when it is
 * enqueued and again when it is processed (a malformed job fails for good at its first attempt,
 * with the reason), an enqueue gives up after its timeout, and the queues close together.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXTRACTION_QUEUE, extractDocumentJob } from '../../../src/modules/extractions/extractions.jobs.js';
import { deliverWebhookJob, WEBHOOK_QUEUE } from '../../../src/modules/webhooks/webhooks.jobs.js';
import { enqueueJob } from '../../../src/platform/jobs.js';
import { createQueue, createQueues } from '../../../src/platform/queue.js';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();
let workers: RunningWorkers;
beforeAll(async () => {
  workers = await startWorkers(env.container);
});
afterAll(async () => workers?.close());

async function waitFor<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('job payloads', () => {
  it('fails a malformed extraction job for good at its first attempt, saying which field is wrong', async () => {
    const queue = env.container.queues.get(EXTRACTION_QUEUE);
    // What an old release or a hand-made job could leave on the queue: BullMQ takes any data.
    const job = await queue.add(
      extractDocumentJob.name,
      { tenantId: randomUUID(), documentId: 'not-a-uuid' },
      { attempts: 3, backoff: { type: 'fixed', delay: 10 } },
    );
    const failed = await waitFor(
      async () => ((await queue.getJob(job.id!))?.failedReason ? await queue.getJob(job.id!) : undefined),
      'the malformed job to fail',
    );
    expect(await failed!.isFailed()).toBe(true);
    expect(failed!.attemptsMade).toBe(1);
    expect(failed!.failedReason).toMatch(/Malformed extract job payload, not retried: .*documentId/);
    expect(failed!.failedReason).toMatch(/runId/);
  });

  it('fails a malformed webhook delivery job for good at its first attempt', async () => {
    const queue = env.container.queues.get(WEBHOOK_QUEUE);
    const job = await queue.add(deliverWebhookJob.name, { tenantId: randomUUID() }, { attempts: 4 });
    const failed = await waitFor(
      async () => ((await queue.getJob(job.id!))?.failedReason ? await queue.getJob(job.id!) : undefined),
      'the malformed delivery to fail',
    );
    expect(failed!.attemptsMade).toBe(1);
    expect(failed!.failedReason).toMatch(/Malformed deliver job payload.*deliveryId/);
  });

  it('refuses to enqueue a malformed payload: nothing reaches the queue', async () => {
    const queue = env.container.queues.get(WEBHOOK_QUEUE);
    const before = await queue.getJobCounts();
    await expect(
      enqueueJob(queue, deliverWebhookJob, { tenantId: randomUUID(), deliveryId: 'x' }),
    ).rejects.toThrow(/Refused to enqueue a malformed deliver job: deliveryId/);
    expect(await queue.getJobCounts()).toEqual(before);
  });

  it('gives up an enqueue after its timeout when Redis does not answer', async () => {
    const dead = createQueue({ redisUrl: 'redis://127.0.0.1:1', keyPrefix: 'dead' }, WEBHOOK_QUEUE);
    dead.on('error', () => undefined); // connection refused, over and over: expected here
    try {
      const startedAt = Date.now();
      await expect(
        enqueueJob(dead, deliverWebhookJob, { tenantId: randomUUID(), deliveryId: randomUUID() }, {}, 300),
      ).rejects.toThrow('timed out');
      expect(Date.now() - startedAt).toBeLessThan(5_000);
    } finally {
      await dead.close().catch(() => undefined);
    }
  });
});

describe('the queues object', () => {
  it('opens a queue on first use, refuses an unknown name, and closes every queue it opened', async () => {
    const settings = { redisUrl: env.config.redis.url, keyPrefix: `${env.config.redis.keyPrefix}q` };
    const queues = createQueues(settings, [EXTRACTION_QUEUE, WEBHOOK_QUEUE]);
    expect(() => queues.get('extractoin')).toThrow(/No queue named "extractoin"/);
    const opened = queues.all();
    expect(opened.map((q) => q.name)).toEqual([EXTRACTION_QUEUE, WEBHOOK_QUEUE]);
    expect(queues.get(EXTRACTION_QUEUE)).toBe(opened[0]);
    await Promise.all(opened.map((q) => q.getJobCounts()));
    await queues.close();
    // Closed down to the Redis connection (BullMQ alone leaves a connection it was handed open).
    for (const queue of opened) await expect(queue.getJobCounts()).rejects.toThrow(/Connection is closed/);
  });
});
