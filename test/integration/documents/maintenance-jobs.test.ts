import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { trashPurgeJob } from '../../../src/modules/documents/documents.jobs.js';
import { tenantPurgeJob } from '../../../src/modules/privacy/privacy.jobs.js';
import { MAINTENANCE_QUEUE } from '../../../src/platform/jobs.js';
import { createQueue } from '../../../src/platform/queue.js';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers.js';
import { bearer, signup } from '../../helpers/auth.js';
import { samplePdf, uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();
let workers: RunningWorkers | undefined;
afterAll(async () => workers?.close());

describe('maintenance jobs', () => {
  it('schedules the retention sweep and the trash purge, and the worker runs them', async () => {
    workers = await startWorkers(env.container);
    const settings = { redisUrl: env.config.redis.url, keyPrefix: env.config.redis.keyPrefix };
    const queue = createQueue(settings, MAINTENANCE_QUEUE);
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers.map((s) => s.key).sort()).toEqual([
      'audit-checkpoints',
      'orphan-blob-sweep',
      'reconcile-extractions',
      'relay-webhooks',
      'retention-sweep',
      'share-labels',
      'tenant-purge',
      'trash-purge',
    ]);

    const owner = await signup(env.app);
    const doc = (
      await uploadRaw(env.app, owner.token, samplePdf(), { contentType: 'application/pdf' })
    ).json();
    await env.app.inject({
      method: 'DELETE',
      url: `/v1/documents/${doc.id}`,
      headers: bearer(owner.token),
      payload: { reason: 'test' },
    });
    // A firm that asked to be closed: the worker's tenant purge erases it after the grace period.
    const closing = await signup(env.app);
    const { rows: names } = await env.adminQuery('SELECT name FROM tenants WHERE id = $1', [
      closing.tenantId,
    ]);
    const asked = await env.app.inject({
      method: 'POST',
      url: '/v1/tenant/offboarding',
      headers: bearer(closing.token),
      payload: { confirmName: names[0].name },
    });
    expect(asked.statusCode, asked.body).toBe(202);
    env.clock.advance(31 * 24 * 60 * 60 * 1000);

    const events = new QueueEvents(MAINTENANCE_QUEUE, {
      connection: new Redis(env.config.redis.url, { maxRetriesPerRequest: null }),
      prefix: `${settings.keyPrefix}:bull`,
    });
    await events.waitUntilReady();
    const job = await queue.add(trashPurgeJob.name, {});
    const result = await job.waitUntilFinished(events, 30_000);
    expect(result).toMatchObject({ purged: 1 });
    const { rows } = await env.adminQuery('SELECT purged_at FROM documents WHERE id = $1', [doc.id]);
    expect(rows[0].purged_at).toBeInstanceOf(Date);
    const purge = await queue.add(tenantPurgeJob.name, {});
    expect(await purge.waitUntilFinished(events, 30_000)).toEqual({ tenants: 1, purged: 1 });
    const { rows: closed } = await env.adminQuery('SELECT status FROM tenants WHERE id = $1', [
      closing.tenantId,
    ]);
    expect(closed[0].status).toBe('offboarded');
    await events.close();
    await queue.close();
  });
});
