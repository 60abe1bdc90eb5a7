/**
 * Starts one BullMQ Worker per queue for the worker process, and closes them gracefully: on
 * shutdown a worker stops taking jobs and waits for the running ones.
 */
import type { Container } from '../container.js';
import {
  MAINTENANCE_QUEUE,
  maintenanceProcessor,
  scheduleMaintenance,
} from '../modules/documents/documents.jobs.js';
import { createQueue, createWorker } from '../platform/queue.js';

export interface RunningWorkers {
  readonly queueNames: readonly string[];
  /** Stops taking jobs and waits for running ones. */
  close(): Promise<void>;
}

export async function startWorkers(container: Container): Promise<RunningWorkers> {
  const settings = { redisUrl: container.config.REDIS_URL, keyPrefix: container.config.REDIS_KEY_PREFIX };
  const maintenanceQueue = createQueue(settings, MAINTENANCE_QUEUE);
  await scheduleMaintenance(maintenanceQueue);
  const maintenance = createWorker(settings, MAINTENANCE_QUEUE, maintenanceProcessor(container.lifecycle), {
    concurrency: 1,
  });
  maintenance.on('failed', (job, error) =>
    container.logger.error({ err: error, job: job?.name }, 'maintenance job failed'),
  );
  maintenance.on('completed', (job, result) =>
    container.logger.info({ job: job.name, result }, 'maintenance job done'),
  );
  const workers = [maintenance];
  return {
    queueNames: [MAINTENANCE_QUEUE],
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await maintenanceQueue.close();
    },
  };
}
