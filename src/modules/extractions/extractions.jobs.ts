/**
 * The extraction module's jobs: `extract` (one processing run of one document, on the extraction
 * queue) and `reconcile-extractions` (a maintenance job every minute: documents never queued, or
 * whose job vanished). The pipeline (extractions.pipeline.ts) holds the rules; this file says how
 * they become jobs.
 */
import type { JobsOptions, Queue } from 'bullmq';
import { z } from 'zod';
import {
  defineJob,
  enqueueJob,
  handleJob,
  idField,
  MAINTENANCE_QUEUE,
  noPayload,
  type JobAttempt,
  type JobHandler,
} from '../../platform/jobs.js';
import { tracePublish } from '../../platform/tracing.js';

export const EXTRACTION_QUEUE = 'extraction';

const ExtractionJobData = z.object({ tenantId: idField, documentId: idField, runId: idField });
export type ExtractionJobData = z.infer<typeof ExtractionJobData>;

/** A run's job id: enqueueing the same run twice is one job; the reconciler looks it up by it. */
export const extractionJobId = (p: ExtractionJobData): string => `extract-${p.documentId}-${p.runId}`;

/** One processing run of one document. */
export const extractDocumentJob = defineJob({
  queue: EXTRACTION_QUEUE,
  name: 'extract',
  payload: ExtractionJobData,
  jobId: extractionJobId,
});

export const reconcileExtractionsJob = defineJob({
  queue: MAINTENANCE_QUEUE,
  name: 'reconcile-extractions',
  payload: noPayload,
});

/**
 * Puts a run's job on the extraction queue, after the commit that queued the run, in a publish
 * span (the worker's spans join the upload's trace); the job's options are worked out inside that
 * span, as they take Redis calls of their own (the fairness rank). Rejects when Redis did not take
 * the job in time.
 */
export function enqueueExtraction(
  queue: Queue,
  payload: ExtractionJobData,
  options: () => Promise<Pick<JobsOptions, 'priority' | 'attempts' | 'backoff'>>,
): Promise<void> {
  return tracePublish(EXTRACTION_QUEUE, { 'doklad.document_id': payload.documentId }, async () =>
    enqueueJob(queue, extractDocumentJob, payload, await options()),
  );
}

/** The rules the jobs run (the extraction pipeline). */
export interface ExtractionJobRules {
  process(payload: ExtractionJobData, attempt: JobAttempt): Promise<unknown>;
  reconcile(): Promise<unknown>;
}

export function extractionJobs(pipeline: ExtractionJobRules): {
  readonly extract: JobHandler;
  readonly reconcile: JobHandler;
} {
  return {
    extract: handleJob(extractDocumentJob, (payload, job) => pipeline.process(payload, job)),
    reconcile: handleJob(reconcileExtractionsJob, () => pipeline.reconcile()),
  };
}
