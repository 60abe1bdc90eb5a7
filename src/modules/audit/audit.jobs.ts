/**
 * The audit module's job: `audit-checkpoints`, a maintenance job (every
 * AUDIT_CHECKPOINT_INTERVAL_MS) that signs a checkpoint for every tenant whose chain grew. The
 * chain loop and the sink loop are not queue jobs: they are interval loops the worker starts
 * (audit.chainer.ts, audit.sink.ts).
 */
import { defineJob, handleJob, MAINTENANCE_QUEUE, noPayload, type JobHandler } from '../../platform/jobs.js';
import type { ScheduledCheckpoints } from './audit.checkpoints.js';

export const auditCheckpointsJob = defineJob({
  queue: MAINTENANCE_QUEUE,
  name: 'audit-checkpoints',
  payload: noPayload,
});

export function auditJobs(deps: { readonly checkpoints: ScheduledCheckpoints }): readonly JobHandler[] {
  return [handleJob(auditCheckpointsJob, () => deps.checkpoints.checkpointAll())];
}
