/**
 * Maintenance jobs, scheduled by the worker: the daily retention sweep (expired documents to the
 * trash), the hourly trash purge, and every minute the extraction reconciler (documents never
 * queued, or whose job vanished) and the webhook relay (deliveries that missed the queue). All are idempotent: running one twice finds nothing left to do.
 */
import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import type { ExtractionPipeline } from '../extractions/extraction-pipeline.js';
import type { WebhooksService } from '../webhooks/webhooks.service.js';
import type { DocumentLifecycleService, SweepReport } from './documents.lifecycle.js';

export const MAINTENANCE_QUEUE = 'maintenance';
export const RETENTION_SWEEP_JOB = 'retention-sweep';
export const TRASH_PURGE_JOB = 'trash-purge';
export const RECONCILE_JOB = 'reconcile-extractions';
export const RELAY_WEBHOOKS_JOB = 'relay-webhooks';

export function maintenanceProcessor(
  lifecycle: DocumentLifecycleService,
  pipeline: Pick<ExtractionPipeline, 'reconcile'>,
  webhooks: Pick<WebhooksService, 'relay'>,
): (job: Job) => Promise<SweepReport | { enqueued: number }> {
  return async (job) => {
    if (job.name === RETENTION_SWEEP_JOB) return lifecycle.sweepRetention();
    if (job.name === TRASH_PURGE_JOB) return lifecycle.purgeTrash();
    if (job.name === RECONCILE_JOB) return pipeline.reconcile();
    if (job.name === RELAY_WEBHOOKS_JOB) return webhooks.relay();
    throw new UnrecoverableError(`Unknown maintenance job "${job.name}"`);
  };
}

/** Registers the schedules; upserting keeps exactly one schedule per job however many workers start. */
export async function scheduleMaintenance(queue: Queue): Promise<void> {
  await queue.upsertJobScheduler(
    RETENTION_SWEEP_JOB,
    { pattern: '15 2 * * *', tz: 'UTC' },
    { name: RETENTION_SWEEP_JOB },
  );
  await queue.upsertJobScheduler(TRASH_PURGE_JOB, { every: 60 * 60 * 1000 }, { name: TRASH_PURGE_JOB });
  await queue.upsertJobScheduler(RECONCILE_JOB, { every: 60 * 1000 }, { name: RECONCILE_JOB });
  await queue.upsertJobScheduler(RELAY_WEBHOOKS_JOB, { every: 60 * 1000 }, { name: RELAY_WEBHOOKS_JOB });
}
