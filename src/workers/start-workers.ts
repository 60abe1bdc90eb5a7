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
import { EXTRACTION_QUEUE, type ExtractionJobData } from '../modules/extractions/extraction-pipeline.js';
import { createQueue, createWorker } from '../platform/queue.js';

export interface RunningWorkers {
  readonly queueNames: readonly string[];
  /** Stops taking jobs and waits for running ones. */
  close(): Promise<void>;
}

export async function startWorkers(container: Container): Promise<RunningWorkers> {
  const { config, logger } = container;
  const settings = { redisUrl: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX };
  const maintenanceQueue = createQueue(settings, MAINTENANCE_QUEUE);
  await scheduleMaintenance(maintenanceQueue);

  const maintenance = createWorker(
    settings,
    MAINTENANCE_QUEUE,
    maintenanceProcessor(container.lifecycle, container.pipeline),
    { concurrency: 1 },
  );
  maintenance.on('failed', (job, error) =>
    logger.error({ err: error, job: job?.name }, 'maintenance job failed'),
  );
  maintenance.on('completed', (job, result) =>
    logger.info({ job: job.name, result }, 'maintenance job done'),
  );

  const extraction = createWorker(
    settings,
    EXTRACTION_QUEUE,
    (job) => container.pipeline.process(job as never),
    {
      concurrency: config.EXTRACTION_CONCURRENCY,
      // The lock is renewed while a job runs; a killed worker's job is taken over after it lapses.
      lockDuration: config.EXTRACTION_LOCK_MS,
      stalledInterval: Math.max(1_000, Math.floor(config.EXTRACTION_LOCK_MS / 2)),
    },
  );
  extraction.on('failed', (job, error) =>
    logger.warn(
      { err: error, documentId: (job?.data as ExtractionJobData | undefined)?.documentId },
      'extraction attempt failed',
    ),
  );

  const workers = [maintenance, extraction];
  return {
    queueNames: [MAINTENANCE_QUEUE, EXTRACTION_QUEUE],
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await maintenanceQueue.close();
    },
  };
}
