/**
 * Starts one BullMQ Worker per queue for the worker process, from a list of queue definitions
 * (the queue, the handlers of its jobs from each module's `<module>.jobs.ts`, the concurrency),
 * and closes them gracefully: on shutdown a worker stops taking jobs and waits for the running ones.
 */
import { type Job, type Worker, type WorkerOptions } from 'bullmq';
import type { Container } from '../container.js';
import { auditJobs } from '../modules/audit/audit.jobs.js';
import { startAuditChainLoop } from '../modules/audit/audit.chainer.js';
import { startAuditSinkLoop } from '../modules/audit/audit.sink.js';
import { documentJobs } from '../modules/documents/documents.jobs.js';
import { EXTRACTION_QUEUE, extractionJobs } from '../modules/extractions/extractions.jobs.js';
import { EXPORT_QUEUE, privacyJobs } from '../modules/privacy/privacy.jobs.js';
import { supplierJobs } from '../modules/suppliers/suppliers.jobs.js';
import { WEBHOOK_QUEUE, webhookJobs } from '../modules/webhooks/webhooks.jobs.js';
import { isFinalAttempt, MAINTENANCE_QUEUE, queueProcessor, type JobHandler } from '../platform/jobs.js';
import { jobDuration, jobsFinished } from '../platform/metrics.js';
import { traceProcess, type TraceCarrier } from '../platform/tracing.js';
import { createWorker } from '../platform/queue.js';
import { keepMaintenanceScheduled } from './maintenance-scheduler.js';

export interface RunningWorkers {
  readonly queueNames: readonly string[];
  /** Stops taking jobs and waits for running ones. */
  close(): Promise<void>;
}

/**
 * Runs a job in a span that continues the trace its data carries (the enqueuing request's), and
 * logs its end inside that span, so the log line carries the same trace id.
 */
function traced(
  queue: string,
  logger: Container['logger'],
  process: (job: Job<TraceCarrier & { documentId?: string }>) => Promise<unknown>,
): (job: Job) => Promise<unknown> {
  return async (job: Job<TraceCarrier & { documentId?: string }>) =>
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
    });
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
  // BullMQ has counted the failed attempt by now: it was the last if one fewer had been made before.
  worker.on('failed', (job, error) =>
    observe(
      job,
      !job || isFinalAttempt({ attemptsMade: job.attemptsMade - 1, opts: job.opts }, error)
        ? 'failed'
        : 'retry',
    ),
  );
}

/** One queue's worker: which jobs it runs, how many at once, and what it logs of a failed attempt. */
interface QueueWorkerDefinition {
  readonly queue: string;
  readonly handlers: readonly JobHandler[];
  readonly concurrency: number;
  readonly options?: Partial<WorkerOptions>;
  /** Each job runs in a span continuing the trace of whoever enqueued it, and logs its end. */
  readonly traced?: boolean;
  readonly logFailure?: (job: Job | undefined, error: Error) => void;
}

function queueWorkerDefinitions(container: Container): readonly QueueWorkerDefinition[] {
  const { config, logger } = container;
  const extraction = extractionJobs(container.pipeline);
  const webhooks = webhookJobs(container.webhookDeliveries, container.webhookOutbox);
  const privacy = privacyJobs({ exports: container.exports, offboarding: container.offboarding });
  return [
    {
      queue: MAINTENANCE_QUEUE,
      handlers: [
        ...documentJobs(container),
        extraction.reconcile,
        webhooks.relay,
        ...auditJobs({ checkpoints: container.auditCheckpoints }),
        privacy.purge,
        supplierJobs(container),
      ],
      concurrency: 1,
      logFailure: (job, error) => logger.error({ err: error, job: job?.name }, 'maintenance job failed'),
    },
    {
      queue: EXTRACTION_QUEUE,
      handlers: [extraction.extract],
      concurrency: config.extraction.concurrency,
      options: {
        // The lock is renewed while a job runs; a killed worker's job is taken over after it lapses.
        lockDuration: config.extraction.lockMs,
        stalledInterval: Math.max(1_000, Math.floor(config.extraction.lockMs / 2)),
      },
      traced: true,
      logFailure: (job, error) =>
        logger.warn(
          { err: error, documentId: (job?.data as { documentId?: string } | undefined)?.documentId },
          'extraction attempt failed',
        ),
    },
    { queue: WEBHOOK_QUEUE, handlers: [webhooks.deliver], concurrency: 4, traced: true },
    // One archive at a time per worker: each streams a whole firm through memory-flat pipes.
    { queue: EXPORT_QUEUE, handlers: [privacy.export], concurrency: 1 },
  ];
}

export async function startWorkers(container: Container): Promise<RunningWorkers> {
  const { config, logger } = container;
  const settings = { redisUrl: config.redis.url, keyPrefix: config.redis.keyPrefix };
  // Registers the schedules now, and again whenever Redis has lost them (see maintenance-scheduler.ts).
  const scheduler = await keepMaintenanceScheduled(
    container.queues.get(MAINTENANCE_QUEUE),
    {
      auditCheckpointEveryMs: config.audit.checkpointIntervalMs,
      orphanBlobSweepEveryMs: config.documents.orphanBlobSweepIntervalMs,
      tenantPurgeEveryMs: config.privacy.offboardingPurgeIntervalMs,
    },
    {
      checkIntervalMs: config.maintenance.scheduleCheckIntervalMs,
      redis: container.redis,
      keyPrefix: config.redis.keyPrefix,
      logger,
    },
  );

  const definitions = queueWorkerDefinitions(container);
  const workers: Worker[] = definitions.map((definition) => {
    const process = queueProcessor(definition.queue, definition.handlers);
    const worker = createWorker(
      settings,
      definition.queue,
      definition.traced ? traced(definition.queue, logger, process) : process,
      { concurrency: definition.concurrency, ...definition.options },
    );
    if (definition.logFailure) worker.on('failed', definition.logFailure);
    // Connection trouble, or a job whose keys vanished with a Redis that restarted empty: logged,
    // never printed raw to the console; BullMQ reconnects and carries on by itself.
    worker.on('error', (error) => logger.warn({ err: error, queue: worker.name }, 'queue worker error'));
    countFinishedJobs(worker);
    return worker;
  });
  // Not a queue: a loop that chains recorded audit events shortly after they commit.
  const auditChain =
    config.audit.chainIntervalMs > 0
      ? startAuditChainLoop(container.auditChainer, { intervalMs: config.audit.chainIntervalMs, logger })
      : undefined;
  // Also a loop: pushes chained events to the off-box sink, when one is configured.
  const auditSink =
    container.auditSink && config.audit.sink && config.audit.sink.intervalMs > 0
      ? startAuditSinkLoop(container.auditSink, { intervalMs: config.audit.sink.intervalMs, logger })
      : undefined;
  return {
    queueNames: definitions.map((definition) => definition.queue),
    async close() {
      // First withdraw the health entry: a closing worker no longer keeps anything running.
      await scheduler.stop();
      await Promise.all(workers.map((w) => w.close()));
      // Events still unchained when it stops are chained by another replica or at the next start.
      await auditChain?.stop();
      await auditSink?.stop();
    },
  };
}
