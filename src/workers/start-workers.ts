/**
 * Starts one BullMQ Worker per queue for the worker process, and closes them gracefully: on
 * shutdown a worker stops taking jobs and waits for the running ones.
 */
import { UnrecoverableError, type Job, type Processor, type Worker } from 'bullmq';
import type { Container } from '../container.js';
import { startAuditChainLoop } from '../modules/audit/audit.chainer.js';
import { startAuditSinkLoop } from '../modules/audit/audit.sink.js';
import { MAINTENANCE_QUEUE, maintenanceProcessor } from '../modules/documents/documents.jobs.js';
import { EXTRACTION_QUEUE, type ExtractionJobData } from '../modules/extractions/extractions.pipeline.js';
import { WEBHOOK_QUEUE, type DeliveryJobData } from '../modules/webhooks/webhooks.service.js';
import { EXPORT_QUEUE, type ExportJobData } from '../modules/privacy/privacy.exports.js';
import { jobDuration, jobsFinished } from '../platform/metrics.js';
import { traceProcess, type TraceCarrier } from '../platform/tracing.js';
import { createQueue, createWorker } from '../platform/queue.js';
import { keepMaintenanceScheduled } from './maintenance-scheduler.js';

export interface RunningWorkers {
  readonly queueNames: readonly string[];
  /** Stops taking jobs and waits for running ones. */
  close(): Promise<void>;
}

/** True when BullMQ will not try this job again after the current failure. */
export function isFinalAttempt(job: Job, error: unknown): boolean {
  return error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/**
 * Runs a job in a span that continues the trace its data carries (the enqueuing request's), and
 * logs its end inside that span, so the log line carries the same trace id.
 */
function traced<D extends TraceCarrier & { documentId?: string }, R>(
  queue: string,
  logger: Container['logger'],
  process: (job: Job<D>) => Promise<R>,
): Processor {
  return (async (job: Job<D>) =>
    traceProcess(queue, job.data, { 'messaging.message.id': job.id ?? '' }, async () => {
      const startedAt = performance.now();
      const result = await process(job);
      logger.info(
        {
          queue,
          jobId: job.id,
          documentId: job.data.documentId,
          durationMs: Math.round(performance.now() - startedAt),
        },
        'job processed',
      );
      return result;
    })) as Processor;
}

/** Job metrics: every finished attempt by queue and outcome, with how long it ran. */
function countFinishedJobs(worker: Worker): void {
  const observe = (job: Job | undefined, outcome: string) => {
    jobsFinished.inc({ queue: worker.name, outcome });
    // A retried attempt has no finishedOn yet: it ended now.
    if (job?.processedOn)
      jobDuration.observe(
        { queue: worker.name, outcome },
        ((job.finishedOn ?? Date.now()) - job.processedOn) / 1000,
      );
  };
  worker.on('completed', (job) => observe(job, 'completed'));
  // BullMQ has counted the attempt by now: the last one, or an unrecoverable error, fails for good.
  worker.on('failed', (job, error) =>
    observe(
      job,
      !job || error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1)
        ? 'failed'
        : 'retry',
    ),
  );
}

export async function startWorkers(container: Container): Promise<RunningWorkers> {
  const { config, logger } = container;
  const settings = { redisUrl: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX };
  const maintenanceQueue = createQueue(settings, MAINTENANCE_QUEUE);
  // Registers the schedules now, and again whenever Redis has lost them (see maintenance-scheduler.ts).
  const scheduler = await keepMaintenanceScheduled(
    maintenanceQueue,
    {
      auditCheckpointEveryMs: config.AUDIT_CHECKPOINT_INTERVAL_MS,
      orphanBlobSweepEveryMs: config.ORPHAN_BLOB_SWEEP_INTERVAL_MS,
      tenantPurgeEveryMs: config.OFFBOARDING_PURGE_INTERVAL_MS,
    },
    {
      checkIntervalMs: config.MAINTENANCE_SCHEDULE_CHECK_INTERVAL_MS,
      redis: container.redis,
      keyPrefix: config.REDIS_KEY_PREFIX,
      logger,
    },
  );

  const maintenance = createWorker(
    settings,
    MAINTENANCE_QUEUE,
    maintenanceProcessor({
      lifecycle: container.lifecycle,
      pipeline: container.pipeline,
      webhooks: container.webhooks,
      checkpoints: container.auditCheckpoints,
      orphanBlobs: container.orphanBlobs,
      offboarding: container.offboarding,
    }),
    { concurrency: 1 },
  );
  maintenance.on('failed', (job, error) =>
    logger.error({ err: error, job: job?.name }, 'maintenance job failed'),
  );

  const extraction = createWorker(
    settings,
    EXTRACTION_QUEUE,
    traced(EXTRACTION_QUEUE, logger, (job: Job<ExtractionJobData>) => container.pipeline.process(job)),
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

  const deliver = async (job: Job<DeliveryJobData>) => {
    try {
      return await container.webhooks.deliver(job);
    } catch (error) {
      if (isFinalAttempt(job, error))
        await container.webhooks.markDeliveryFailed(
          job.data,
          error instanceof Error ? error.message : String(error),
        );
      throw error;
    }
  };
  const webhooks = createWorker(settings, WEBHOOK_QUEUE, traced(WEBHOOK_QUEUE, logger, deliver), {
    concurrency: 4,
  });

  // One archive at a time per worker: each streams a whole firm through memory-flat pipes.
  const exports = createWorker(
    settings,
    EXPORT_QUEUE,
    ((job: Job<ExportJobData>) => container.exports.buildExport(job.data)) as Processor,
    { concurrency: 1 },
  );
  const workers = [maintenance, extraction, webhooks, exports];
  // Connection trouble, or a job whose keys vanished with a Redis that restarted empty: logged,
  // never printed raw to the console; BullMQ reconnects and carries on by itself.
  for (const worker of workers) {
    worker.on('error', (error) => logger.warn({ err: error, queue: worker.name }, 'queue worker error'));
    countFinishedJobs(worker);
  }
  // Not a queue: a loop that chains recorded audit events shortly after they commit.
  const auditChain =
    config.AUDIT_CHAIN_INTERVAL_MS > 0
      ? startAuditChainLoop(container.auditChainer, { intervalMs: config.AUDIT_CHAIN_INTERVAL_MS, logger })
      : undefined;
  // Also a loop: pushes chained events to the off-box sink, when one is configured.
  const auditSink =
    container.auditSink && config.AUDIT_SINK_INTERVAL_MS > 0
      ? startAuditSinkLoop(container.auditSink, { intervalMs: config.AUDIT_SINK_INTERVAL_MS, logger })
      : undefined;
  return {
    queueNames: [MAINTENANCE_QUEUE, EXTRACTION_QUEUE, WEBHOOK_QUEUE, EXPORT_QUEUE],
    async close() {
      // First withdraw the health entry: a closing worker no longer keeps anything running.
      await scheduler.stop();
      await Promise.all(workers.map((w) => w.close()));
      // Events still unchained when it stops are chained by another replica or at the next start.
      await auditChain?.stop();
      await auditSink?.stop();
      await maintenanceQueue.close();
    },
  };
}
