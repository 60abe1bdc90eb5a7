/**
 * The documents module's jobs, all maintenance jobs (scheduled by workers/maintenance-scheduler.ts):
 * the daily retention sweep (expired documents to the trash), the trash purge, and the orphan blob
 * sweep (blobs no document row names). Each is idempotent: running one twice finds nothing left to do.
 */
import { defineJob, handleJob, MAINTENANCE_QUEUE, noPayload, type JobHandler } from '../../platform/jobs.js';
import type { DocumentLifecycleService } from './documents.lifecycle.js';
import type { OrphanBlobSweeper } from './documents.orphan-blobs.js';

export const retentionSweepJob = defineJob({
  queue: MAINTENANCE_QUEUE,
  name: 'retention-sweep',
  payload: noPayload,
});

export const trashPurgeJob = defineJob({ queue: MAINTENANCE_QUEUE, name: 'trash-purge', payload: noPayload });

export const orphanBlobSweepJob = defineJob({
  queue: MAINTENANCE_QUEUE,
  name: 'orphan-blob-sweep',
  payload: noPayload,
});

export function documentJobs(deps: {
  readonly lifecycle: Pick<DocumentLifecycleService, 'sweepRetention' | 'purgeTrash'>;
  readonly orphanBlobs: OrphanBlobSweeper;
}): readonly JobHandler[] {
  return [
    handleJob(retentionSweepJob, () => deps.lifecycle.sweepRetention()),
    handleJob(trashPurgeJob, () => deps.lifecycle.purgeTrash()),
    handleJob(orphanBlobSweepJob, () => deps.orphanBlobs.sweepOrphanBlobs()),
  ];
}
