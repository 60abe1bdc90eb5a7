/**
 * The privacy module's jobs: `tenant-export` (a firm's data export archive, on the exports queue)
 * and `tenant-purge` (a maintenance job: closed firms whose grace period ended are erased).
 */
import type { Queue } from 'bullmq';
import { z } from 'zod';
import {
  defineJob,
  enqueueJob,
  handleJob,
  idField,
  MAINTENANCE_QUEUE,
  noPayload,
  type JobHandler,
} from '../../platform/jobs.js';

export const EXPORT_QUEUE = 'exports';

const ExportJobData = z.object({ tenantId: idField, exportId: idField });
export type ExportJobData = z.infer<typeof ExportJobData>;

export const tenantExportJob = defineJob({
  queue: EXPORT_QUEUE,
  name: 'tenant-export',
  payload: ExportJobData,
  jobId: (p) => `export-${p.exportId}`,
});

export const tenantPurgeJob = defineJob({
  queue: MAINTENANCE_QUEUE,
  name: 'tenant-purge',
  payload: noPayload,
});

/** After the commit that recorded the export: its job builds the archive (two attempts). */
export function enqueueExport(queue: Queue, payload: ExportJobData): Promise<void> {
  return enqueueJob(queue, tenantExportJob, payload, { attempts: 2 });
}

/** The rules the jobs run (privacy.exports.ts, privacy.offboarding.ts). */
export interface PrivacyJobRules {
  readonly exports: { buildExport(data: ExportJobData): Promise<unknown> };
  readonly offboarding: { purgeDue(): Promise<unknown> };
}

export function privacyJobs(rules: PrivacyJobRules): {
  readonly export: JobHandler;
  readonly purge: JobHandler;
} {
  return {
    export: handleJob(tenantExportJob, (payload) => rules.exports.buildExport(payload)),
    purge: handleJob(tenantPurgeJob, () => rules.offboarding.purgeDue()),
  };
}
