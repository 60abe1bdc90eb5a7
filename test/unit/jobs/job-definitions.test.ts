/**
 * The one job shape (platform/jobs.ts): every job's payload is checked by its zod schema before
 * its processor runs, and a malformed one fails the job for good instead of being retried.
 */
import { randomUUID } from 'node:crypto';
import { UnrecoverableError, type Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { extractDocumentJob, extractionJobId } from '../../../src/modules/extractions/extractions.jobs.js';
import { tenantExportJob } from '../../../src/modules/privacy/privacy.jobs.js';
import { deliverWebhookJob } from '../../../src/modules/webhooks/webhooks.jobs.js';
import { trashPurgeJob } from '../../../src/modules/documents/documents.jobs.js';
import {
  handleJob,
  isFinalAttempt,
  payloadOf,
  queueProcessor,
  type JobDefinition,
} from '../../../src/platform/jobs.js';

/** A job as BullMQ hands it to a processor: the fields the handlers read. */
const jobWith = (name: string, data: unknown, attemptsMade = 0, attempts = 3) =>
  ({ name, data, attemptsMade, opts: { attempts } }) as unknown as Job;

const tenantId = randomUUID();
const id = randomUUID();
const definitions: readonly [JobDefinition<unknown>, Record<string, string>][] = [
  [extractDocumentJob as JobDefinition<unknown>, { tenantId, documentId: id, runId: randomUUID() }],
  [deliverWebhookJob as JobDefinition<unknown>, { tenantId, deliveryId: id }],
  [tenantExportJob as JobDefinition<unknown>, { tenantId, exportId: id }],
];

describe('job payload schemas', () => {
  for (const [definition, valid] of definitions) {
    it(`reads a well-formed ${definition.name} payload, dropping what is not in its schema`, () => {
      expect(payloadOf(definition, { data: { ...valid, traceparent: '00-abc-def-01', extra: 1 } })).toEqual(
        valid,
      );
    });

    it(`fails a ${definition.name} job for good when a field is missing, wrong or not an id`, () => {
      const [field] = Object.keys(valid);
      for (const data of [
        { ...valid, [field!]: undefined },
        { ...valid, [field!]: 42 },
        { ...valid, [field!]: 'x' },
      ]) {
        expect(() => payloadOf(definition, { data })).toThrow(UnrecoverableError);
        expect(() => payloadOf(definition, { data })).toThrow(
          new RegExp(`Malformed ${definition.name} job payload.*${field}`),
        );
      }
      expect(() => payloadOf(definition, { data: undefined })).toThrow(UnrecoverableError);
      expect(() => payloadOf(definition, { data: 'not an object' })).toThrow(UnrecoverableError);
    });
  }

  it('accepts the empty payload of a scheduled job (the scheduler template has no data)', () => {
    expect(payloadOf(trashPurgeJob, { data: {} })).toEqual({});
    expect(payloadOf(trashPurgeJob, { data: undefined })).toEqual({});
  });

  it('names an extraction job by its run, so the same run enqueued twice is one job', () => {
    const payload = { tenantId, documentId: id, runId: randomUUID() };
    expect(extractDocumentJob.jobId?.(payload)).toBe(extractionJobId(payload));
    expect(extractionJobId(payload)).toBe(`extract-${id}-${payload.runId}`);
    expect(extractionJobId(payload)).not.toContain(':');
  });
});

describe('job handlers', () => {
  it('never run the processor on a malformed payload: the job fails for good with the reason', async () => {
    const seen: unknown[] = [];
    const handler = handleJob(deliverWebhookJob, async (payload) => seen.push(payload));
    await expect(handler.run(jobWith('deliver', { tenantId, deliveryId: 'nope' }))).rejects.toThrow(
      UnrecoverableError,
    );
    expect(seen).toEqual([]);
    await handler.run(jobWith('deliver', { tenantId, deliveryId: id }));
    expect(seen).toEqual([{ tenantId, deliveryId: id }]);
  });

  it('route each job of a queue to the handler of its name, and fail an unknown name for good', async () => {
    const ran: string[] = [];
    const process = queueProcessor('webhooks', [
      handleJob(deliverWebhookJob, async () => ran.push('deliver')),
    ]);
    await process(jobWith('deliver', { tenantId, deliveryId: id }));
    expect(ran).toEqual(['deliver']);
    await expect(process(jobWith('something-else', {}))).rejects.toThrow(UnrecoverableError);
    expect(ran).toEqual(['deliver']);
  });

  it('refuse a handler of another queue when the worker is wired', () => {
    expect(() => queueProcessor('extraction', [handleJob(deliverWebhookJob, async () => 0)])).toThrow(
      /belongs to the webhooks queue/,
    );
  });
});

describe('isFinalAttempt', () => {
  const attempt = (attemptsMade: number, attempts?: number) => ({ attemptsMade, opts: { attempts } });

  it('is true only for the last of the allowed attempts', () => {
    expect(isFinalAttempt(attempt(0, 3))).toBe(false);
    expect(isFinalAttempt(attempt(1, 3))).toBe(false);
    expect(isFinalAttempt(attempt(2, 3))).toBe(true);
    expect(isFinalAttempt(attempt(0, 1))).toBe(true);
  });

  it('treats a job without an attempts option as having one attempt', () => {
    expect(isFinalAttempt(attempt(0))).toBe(true);
  });

  it('is true at any attempt when the error is unrecoverable, and not for an ordinary error', () => {
    expect(isFinalAttempt(attempt(0, 5), new UnrecoverableError('gone'))).toBe(true);
    expect(isFinalAttempt(attempt(0, 5), new Error('HTTP 503'))).toBe(false);
  });
});
