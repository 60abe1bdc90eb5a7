/**
 * The suppliers module's job: the hourly gathering of label variants across firms whose training
 * consent is given (suppliers.shared-labels.ts), a maintenance job scheduled by
 * workers/maintenance-scheduler.ts. It replaces what it published, so running it twice is harmless.
 */
import { defineJob, handleJob, MAINTENANCE_QUEUE, noPayload, type JobHandler } from '../../platform/jobs.js';
import type { SharedLabels } from './suppliers.shared-labels.js';

export const shareLabelsJob = defineJob({
  queue: MAINTENANCE_QUEUE,
  name: 'share-labels',
  payload: noPayload,
});

export function supplierJobs(deps: { readonly sharedLabels: Pick<SharedLabels, 'gather'> }): JobHandler {
  return handleJob(shareLabelsJob, () => deps.sharedLabels.gather());
}
