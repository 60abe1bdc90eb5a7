/**
 * Background jobs, one shape for all. A module declares each of its jobs once (`defineJob`: the
 * queue, the job's name, a zod schema for its payload, its job id) in `<module>.jobs.ts`, enqueues
 * it after the commit that made it necessary (`enqueueJob`: the payload is checked, and a Redis
 * that does not answer in time never holds the caller), and hands the worker a handler per job
 * (`handleJob`), which checks the payload again before the processor runs: a malformed payload
 * fails its job for good, with the reason, instead of being retried. Payloads carry ids only; the
 * processor reads the current state when it runs.
 */
import { UnrecoverableError, type Job, type JobsOptions, type Queue } from 'bullmq';
import { z } from 'zod';
import { isUuid } from '../core/ids.js';
import { systemContext, type RequestContext } from '../core/request-context.js';
import { currentTraceCarrier } from './tracing.js';

/** The queue of the scheduled maintenance jobs (sweeps, purges, the reconciler, the relay…). */
export const MAINTENANCE_QUEUE = 'maintenance';

/** How long an enqueue may take before the caller carries on without it (a reconciler or relay catches up). */
export const ENQUEUE_TIMEOUT_MS = 2_000;

/** A payload field holding one of Doklad's ids. */
export const idField = z.string().refine(isUuid, { message: 'expected a UUID' });

/** The payload of a scheduled job: it carries nothing (the scheduler's template has no data). */
export const noPayload = z.object({}).default({});

export interface JobDefinition<P> {
  readonly queue: string;
  /** The BullMQ job name, unique within its queue: the worker picks the handler by it. */
  readonly name: string;
  readonly payload: z.ZodType<P>;
  /** The job's id, so the same work enqueued twice is one job (BullMQ ids hold no `:`). */
  readonly jobId?: (payload: P) => string;
}

export function defineJob<P>(definition: JobDefinition<P>): JobDefinition<P> {
  return definition;
}

/** The attempt counters of a BullMQ job, all `isFinalAttempt` needs. */
export type JobAttempt = Pick<Job, 'attemptsMade' | 'opts'>;

/**
 * True when BullMQ will not try the job again if the attempt now running fails (with `error`):
 * it is the last attempt, or the error is an `UnrecoverableError`.
 */
export function isFinalAttempt(job: JobAttempt, error?: unknown): boolean {
  return error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** The context a worker acts in for one tenant: audit rows name the worker (`worker:<name>`). */
export function workerContext(tenantId: string, worker: string): RequestContext {
  return systemContext(tenantId, { kind: 'worker', id: `worker:${worker}` });
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`)
    .join('; ');
}

/**
 * Puts a job on its queue; call it after the commit whose rows the job reads. Rejects when the
 * payload does not match the job's schema (a bug in the caller, never queued) or when Redis has
 * not taken the job within `timeoutMs`. The job carries the caller's trace context (ids only) so
 * the worker's spans join its trace.
 */
export async function enqueueJob<P>(
  queue: Queue,
  definition: JobDefinition<P>,
  payload: P,
  options: JobsOptions = {},
  timeoutMs = ENQUEUE_TIMEOUT_MS,
): Promise<void> {
  const checked = definition.payload.safeParse(payload);
  if (!checked.success)
    throw new Error(
      `Refused to enqueue a malformed ${definition.name} job: ${describeIssues(checked.error)}`,
    );
  const jobId = definition.jobId?.(checked.data);
  const added = queue.add(
    definition.name,
    { ...checked.data, ...currentTraceCarrier() },
    { ...options, ...(jobId ? { jobId } : {}) },
  );
  await withTimeout(added, timeoutMs);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  promise.catch(() => undefined); // a late failure after the timeout must not go unhandled
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A job's payload as its schema reads it. A payload that does not match (written by an old
 * release, or by hand) would fail the same way on every retry: it fails the job for good, saying why.
 */
export function payloadOf<P>(definition: JobDefinition<P>, job: Pick<Job, 'data'>): P {
  const checked = definition.payload.safeParse(job.data);
  if (!checked.success)
    throw new UnrecoverableError(
      `Malformed ${definition.name} job payload, not retried: ${describeIssues(checked.error)}`,
    );
  return checked.data;
}

/** What the worker runs for one job definition. */
export interface JobHandler {
  readonly definition: JobDefinition<unknown>;
  run(job: Job): Promise<unknown>;
}

/** A job's processor, behind the payload check. */
export function handleJob<P>(
  definition: JobDefinition<P>,
  process: (payload: P, job: Job) => Promise<unknown>,
): JobHandler {
  return {
    definition: definition as JobDefinition<unknown>,
    run: async (job) => process(payloadOf(definition, job), job),
  };
}

/** The processor of a queue: each job goes to the handler named like it; an unknown name fails for good. */
export function queueProcessor(
  queue: string,
  handlers: readonly JobHandler[],
): (job: Job) => Promise<unknown> {
  const byName = new Map<string, JobHandler>();
  for (const handler of handlers) {
    if (handler.definition.queue !== queue)
      throw new Error(`The ${handler.definition.name} job belongs to the ${handler.definition.queue} queue`);
    byName.set(handler.definition.name, handler);
  }
  return async (job) => {
    const handler = byName.get(job.name);
    if (!handler) throw new UnrecoverableError(`Unknown ${queue} job "${job.name}"`);
    return handler.run(job);
  };
}
