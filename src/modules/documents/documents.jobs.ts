/**
 * Maintenance jobs, scheduled by the worker: the daily retention sweep (expired documents to the
 * trash), the hourly trash purge, every minute the extraction reconciler (documents never queued,
 * or whose job vanished) and the webhook relay (deliveries that missed the queue), and audit
 * checkpoints (every minute by default) for tenants whose chain grew, and the orphan blob sweep
 * (hourly by default: blobs no document row names), and the purge of closed firms whose grace
 * period ended (hourly by default). All are idempotent: running one twice finds
 * nothing left to do.
 */
import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import type { ScheduledCheckpoints } from '../audit/audit-checkpoints.js';
import type { OffboardingService } from '../privacy/privacy.offboarding.js';
import type { WebhooksService } from '../webhooks/webhooks.service.js';
import type { DocumentLifecycleService } from './documents.lifecycle.js';
import type { OrphanBlobSweeper } from './documents.orphan-blobs.js';

export const MAINTENANCE_QUEUE = 'maintenance';
export const RETENTION_SWEEP_JOB = 'retention-sweep';
export const TRASH_PURGE_JOB = 'trash-purge';
export const RECONCILE_JOB = 'reconcile-extractions';
export const RELAY_WEBHOOKS_JOB = 'relay-webhooks';
export const AUDIT_CHECKPOINT_JOB = 'audit-checkpoints';
export const ORPHAN_BLOB_SWEEP_JOB = 'orphan-blob-sweep';
export const TENANT_PURGE_JOB = 'tenant-purge';

export interface MaintenanceDeps {
  readonly lifecycle: Pick<DocumentLifecycleService, 'sweepRetention' | 'purgeTrash'>;
  /** The extraction pipeline's reconciler (described here so documents never imports extractions). */
  readonly pipeline: { reconcile(): Promise<object> };
  readonly webhooks: Pick<WebhooksService, 'relay'>;
  readonly checkpoints: ScheduledCheckpoints;
  readonly orphanBlobs: OrphanBlobSweeper;
  readonly offboarding: Pick<OffboardingService, 'purgeDue'>;
}

/** How often the interval-driven jobs run (the retention sweep keeps its daily time). */
export interface MaintenanceSettings {
  readonly auditCheckpointEveryMs: number;
  readonly orphanBlobSweepEveryMs: number;
  readonly tenantPurgeEveryMs: number;
}

export function maintenanceProcessor(deps: MaintenanceDeps): (job: Job) => Promise<object> {
  return async (job) => {
    if (job.name === RETENTION_SWEEP_JOB) return deps.lifecycle.sweepRetention();
    if (job.name === TRASH_PURGE_JOB) return deps.lifecycle.purgeTrash();
    if (job.name === RECONCILE_JOB) return deps.pipeline.reconcile();
    if (job.name === RELAY_WEBHOOKS_JOB) return deps.webhooks.relay();
    if (job.name === AUDIT_CHECKPOINT_JOB) return deps.checkpoints.checkpointAll();
    if (job.name === ORPHAN_BLOB_SWEEP_JOB) return deps.orphanBlobs.sweepOrphanBlobs();
    if (job.name === TENANT_PURGE_JOB) return deps.offboarding.purgeDue();
    throw new UnrecoverableError(`Unknown maintenance job "${job.name}"`);
  };
}

/** Every maintenance schedule: its id (also its job's name) and when it repeats. */
export function maintenanceSchedules(
  settings: MaintenanceSettings,
): readonly { readonly id: string; readonly repeat: { pattern: string; tz: string } | { every: number } }[] {
  return [
    { id: RETENTION_SWEEP_JOB, repeat: { pattern: '15 2 * * *', tz: 'UTC' } },
    { id: TRASH_PURGE_JOB, repeat: { every: 60 * 60 * 1000 } },
    { id: RECONCILE_JOB, repeat: { every: 60 * 1000 } },
    { id: RELAY_WEBHOOKS_JOB, repeat: { every: 60 * 1000 } },
    { id: AUDIT_CHECKPOINT_JOB, repeat: { every: settings.auditCheckpointEveryMs } },
    { id: ORPHAN_BLOB_SWEEP_JOB, repeat: { every: settings.orphanBlobSweepEveryMs } },
    { id: TENANT_PURGE_JOB, repeat: { every: settings.tenantPurgeEveryMs } },
  ];
}

/** Registers the schedules; upserting keeps exactly one schedule per job however many workers start. */
export async function scheduleMaintenance(queue: Queue, settings: MaintenanceSettings): Promise<void> {
  for (const { id, repeat } of maintenanceSchedules(settings)) {
    await queue.upsertJobScheduler(id, repeat, { name: id });
  }
}
