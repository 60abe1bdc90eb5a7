/**
 * The extraction pipeline: a stored document gets a processing run (an upload gets it in the
 * transaction that stores the document, so the answer already says `queued`), a BullMQ job carries
 * only { tenantId, documentId, runId }, and the worker decrypts the content, runs the engine, and
 * stores the result as a new extraction version — once per run, however often the job runs.
 *
 * Nothing is lost when Redis is briefly down at upload: the document stays `stored` and the
 * reconciler (a maintenance job) enqueues it later, as it re-enqueues runs whose job vanished.
 * Tenants are served fairly: a job's BullMQ priority is its rank among its tenant's waiting
 * jobs, so one firm's thousandth scan waits behind another firm's first invoice.
 */
import { randomUUID } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import type { Clock } from '../../core/clock.js';
import { ConflictError, NotFoundError } from '../../core/errors.js';
import { systemContext, type RequestContext } from '../../core/request-context.js';
import {
  ExtractionError,
  type ExtractionErrorCode,
  type ExtractionResult,
  type KnownSupplier,
} from '../../extraction/model.js';

/** Runs the engine; the worker process passes a thread pool so OCR never blocks its event loop. */
export type ExtractFunction = (task: {
  bytes: Uint8Array;
  filename?: string;
  contentType?: string;
  timeoutMs: number;
  /** The tenant's supplier directory, built from its validated documents. */
  suppliers?: readonly KnownSupplier[];
  /** EINVOICE_SCHEMA_DIR: XSDs for the schema check of UBL / CII; undefined = none. */
  schemaDir?: string | undefined;
}) => Promise<ExtractionResult>;

/** Loads the engine on first use: the API process, which only enqueues, never pays for it. */
export const extractInProcess: ExtractFunction = async (task) => {
  const { extractInvoice } = await import('../../extraction/index.js');
  return extractInvoice(
    { bytes: task.bytes, filename: task.filename, contentType: task.contentType },
    {
      timeoutMs: task.timeoutMs,
      schemaDir: task.schemaDir,
      ...(task.suppliers ? { suppliers: task.suppliers } : {}),
    },
  );
};
import type { Db, Tx } from '../../platform/db/db.js';
import { extractionFailures, extractions, ocrPages, reconcilerEnqueued } from '../../platform/metrics.js';
import { currentTraceCarrier, tracePublish, type TraceCarrier } from '../../platform/tracing.js';
import type { Redis } from '../../platform/redis.js';
import type { AuditService } from '../audit/audit.service.js';
import type { DocumentsService } from '../documents/documents.service.js';
import type { AutomationService } from '../tenants/tenants.automation.js';
import type { TenantsService } from '../tenants/tenants.service.js';
import type { WebhooksService } from '../webhooks/webhooks.service.js';
import { decideAutomation, supplierValidatedCount } from './extractions.automation.js';
import { checkDuplicate } from './extractions.duplicates.js';
import { checkWithRegistries, type RegistryLookups } from './extractions.registries.js';
import { createSupplierDirectorySource } from './extractions.suppliers.js';
import * as repo from './extractions.repo.js';

export const EXTRACTION_QUEUE = 'extraction';
export const EXTRACT_JOB = 'extract';

export interface ExtractionJobData extends TraceCarrier {
  readonly tenantId: string;
  readonly documentId: string;
  readonly runId: string;
}

/**
 * Whether a retry could change the engine's answer, for every refusal code: a `Record` over the
 * code type, so a new code cannot be added without deciding (a zip bomb retried three times would
 * cost three times). Permanent refusals mark the document failed at once.
 */
const IS_RETRYABLE: Record<ExtractionErrorCode, boolean> = {
  empty_file: false,
  file_too_large: false,
  unsupported_format: false,
  corrupt_pdf: false,
  encrypted_pdf: false,
  corrupt_archive: false,
  unsupported_archive: false,
  archive_limit_exceeded: false,
  invalid_xml: false,
  xml_entities_forbidden: false,
  unknown_xml_document: false,
  image_too_large: false,
  corrupt_image: false,
  pdf_limit_exceeded: false,
  timeout: true,
};

/** An engine refusal that no retry can change. */
export function isPermanentRefusal(error: unknown): error is ExtractionError {
  return error instanceof ExtractionError && IS_RETRYABLE[error.code] === false;
}

/** The reason stored for a failure that is not an engine refusal; the error itself is logged. */
export const INTERNAL_FAILURE_REASON = 'internal_error: the document could not be processed';

const MAX_REASON_MESSAGE_CHARS = 300;

/**
 * The failure reason stored on the document, shown by the API and sent in `document.failed`
 * webhooks: an engine refusal as `code: message` (its stable code and its own short message,
 * which never holds paths or stack traces, printable and bounded because it may quote the
 * document). Any other error (database, blob store, a bug) is only `internal_error`: its message
 * carries query context, source paths and container names, which stay in the worker's log.
 */
export function failureReasonOf(error: unknown): string {
  if (!(error instanceof ExtractionError)) return INTERNAL_FAILURE_REASON;
  const message = error.message
    .toWellFormed()
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .slice(0, MAX_REASON_MESSAGE_CHARS);
  return `${error.code}: ${message}`;
}

/** The source most of a result's fields came from (`none` without fields): a bounded metric label. */
function mainSource(result: ExtractionResult): string {
  const counts = new Map<string, number>();
  for (const field of Object.values(result.fields))
    counts.set(field.source, (counts.get(field.source) ?? 0) + 1);
  let best = 'none';
  for (const [source, count] of counts) if (count > (counts.get(best) ?? 0)) best = source;
  return best;
}

const MAX_PRIORITY = 2_097_151;
const RECONCILE_BATCH = 500;

export interface PipelineSettings {
  readonly timeoutMs: number;
  /** Directory with the UBL / CII XSDs (EINVOICE_SCHEMA_DIR); undefined = no schema check. */
  readonly schemaDir?: string | undefined;
  readonly attempts: number;
  readonly backoffMs: number;
  readonly keyPrefix: string;
  /** A `stored` document not queued after this long is enqueued by the reconciler. */
  readonly storedGraceMs: number;
  /** A queued/extracting document whose job vanished is re-enqueued after this long. */
  readonly runningGraceMs: number;
}

export interface ExtractionPipeline {
  /**
   * Starts a new processing run inside the caller's transaction: the document is `queued` (and
   * audited so) when that commits. Hand the run id to `submitRun` after the commit.
   */
  startRun(tx: Tx, ctx: RequestContext, documentId: string): Promise<string>;
  /**
   * Puts a started run's job on the queue. False when Redis did not take it: the document is then
   * `stored` again and the reconciler enqueues it later.
   */
  submitRun(ctx: RequestContext, documentId: string, runId: string): Promise<boolean>;
  /** Starts a new processing run for a document and enqueues it (reprocessing). */
  requestExtraction(ctx: RequestContext, documentId: string): Promise<void>;
  /** The BullMQ processor. */
  process(job: Job<ExtractionJobData>): Promise<{ status: string; version?: number }>;
  /** Called by the worker when a job has failed for the last time. */
  markFailed(data: ExtractionJobData, reason: string): Promise<void>;
  /** Enqueues stored documents that were never queued and runs whose job disappeared. */
  reconcile(): Promise<{ enqueued: number }>;
}

const ENQUEUE_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  promise.catch(() => undefined); // a late failure after the timeout must not go unhandled
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const workerCtx = (tenantId: string) => systemContext(tenantId, { kind: 'worker', id: 'worker:extraction' });

function fairnessKey(prefix: string, tenantId: string): string {
  return `${prefix}:fairness:waiting:${tenantId}`;
}

export function createExtractionPipeline(deps: {
  db: Db;
  audit: AuditService;
  documents: DocumentsService;
  tenants: TenantsService;
  /** The firm's automation level, read in the transaction that stores a result. */
  automation: Pick<AutomationService, 'readAutomation'>;
  queue: () => Queue<ExtractionJobData>;
  webhooks: Pick<WebhooksService, 'recordEvent' | 'dispatch'>;
  extract?: ExtractFunction;
  /** ARES / VIES clients when registry lookups are switched on (off by default). */
  registries?: RegistryLookups;
  redis: Redis;
  clock: Clock;
  settings: PipelineSettings;
}): ExtractionPipeline {
  const { db, audit, clock, settings } = deps;
  const directory = createSupplierDirectorySource(db);

  /** Marks `runId` queued (audited) in `tx`; false when the document has moved on since. */
  async function markQueued(
    tx: Tx,
    ctx: RequestContext,
    documentId: string,
    runId: string,
  ): Promise<boolean> {
    const moved = await repo.setRunState(tx, ctx.tenantId, documentId, runId, ['stored', 'queued'], {
      status: 'queued',
      queuedAt: clock(),
      failureReason: null,
    });
    if (moved) await recordQueued(tx, ctx, documentId, runId);
    return moved > 0;
  }

  /** A new processing run, queued (audited) in `tx`; it supersedes any earlier run, whose job then skips. */
  async function startQueuedRun(tx: Tx, ctx: RequestContext, documentId: string): Promise<string> {
    const runId = randomUUID();
    if (!(await repo.startRun(tx, ctx.tenantId, documentId, runId, clock()))) {
      throw new NotFoundError('The document does not exist.');
    }
    await recordQueued(tx, ctx, documentId, runId);
    return runId;
  }

  function recordQueued(tx: Tx, ctx: RequestContext, documentId: string, runId: string): Promise<void> {
    return audit.record(tx, ctx, {
      action: 'document.queued',
      target: { type: 'document', id: documentId },
      payload: { runId },
    });
  }

  /**
   * Puts a queued run's job on the queue, after the commit that queued it: the status is written
   * before the job exists, so a fast worker can never be overtaken by it. When Redis does not take
   * the job in time the document goes back to `stored` for the reconciler (only if no worker
   * started it: a late add is harmless, the job id is the run's).
   */
  async function submit(ctx: RequestContext, documentId: string, runId: string): Promise<boolean> {
    try {
      // The job carries the request's trace context (a traceparent: ids only) so the worker's
      // spans join the upload's trace.
      await tracePublish(EXTRACTION_QUEUE, { 'doklad.document_id': documentId }, async () => {
        const waiting = await deps.redis.incr(fairnessKey(settings.keyPrefix, ctx.tenantId));
        const added = deps.queue().add(
          EXTRACT_JOB,
          { tenantId: ctx.tenantId, documentId, runId, ...currentTraceCarrier() },
          {
            jobId: `extract-${documentId}-${runId}`,
            priority: Math.min(waiting, MAX_PRIORITY),
            attempts: settings.attempts,
            backoff: { type: 'exponential', delay: settings.backoffMs },
          },
        );
        await withTimeout(added, ENQUEUE_TIMEOUT_MS);
      });
      return true;
    } catch {
      await db.withTenant(ctx, (tx) =>
        repo.setRunState(tx, ctx.tenantId, documentId, runId, ['queued'], { status: 'stored' }),
      );
      return false;
    }
  }

  async function finishWaiting(tenantId: string): Promise<void> {
    const key = fairnessKey(settings.keyPrefix, tenantId);
    if ((await deps.redis.decr(key).catch(() => 0)) < 0)
      await deps.redis.set(key, '0').catch(() => undefined);
  }

  async function storeResult(
    data: ExtractionJobData,
    engineResult: ExtractionResult,
    suppliers: readonly KnownSupplier[],
  ): Promise<{ status: string; version: number }> {
    const ctx = workerCtx(data.tenantId);
    let deliveries: string[] = [];
    const stored = await db.withTenant(ctx, async (tx) => {
      await repo.lockDocument(tx, data.tenantId, data.documentId);
      const existing = await repo.findByRun(tx, data.tenantId, data.documentId, data.runId);
      const doc = await repo.findDocumentState(tx, data.tenantId, data.documentId);
      if (existing) return { status: doc?.status ?? 'extracted', version: existing.version };
      // A second copy of an invoice already in the firm is found here, in the tenant's transaction
      // (extractions.duplicates.ts): its finding sends the document to review.
      const duplicate = await checkDuplicate(tx, data.tenantId, data.documentId, engineResult);
      const result = duplicate.result;
      const latest = await repo.latestExtraction(tx, data.tenantId, data.documentId);
      const version = (latest?.version ?? 0) + 1;
      const extractedStatus = result.needsReview ? 'needs_review' : 'extracted';
      // Straight-through processing (extractions.automation.ts): the firm's level decides, in this
      // transaction, whether the result is also validated, exactly as a person's validation would.
      const automation = decideAutomation(await deps.automation.readAutomation(tx, data.tenantId), result, {
        duplicateOf: duplicate.duplicateOf,
        supplierValidated: supplierValidatedCount(result, suppliers),
      });
      await repo.insertExtraction(tx, {
        tenantId: data.tenantId,
        documentId: data.documentId,
        version,
        origin: 'engine',
        runId: data.runId,
        result: JSON.parse(JSON.stringify(result)) as object,
        needsReview: result.needsReview,
        createdByKind: ctx.actor.kind,
        createdById: ctx.actor.id,
      });
      await repo.setDocumentState(tx, data.tenantId, data.documentId, {
        status: automation.automate ? 'validated' : extractedStatus,
        failureReason: null,
        ...(automation.automate ? { validatedAt: clock() } : {}),
      });
      const issueDate = result.fields.issueDate?.value;
      const applied = await deps.documents.applyExtractedFacts(tx, ctx, data.documentId, {
        issueDate: issueDate ? new Date(`${issueDate}T00:00:00Z`) : undefined,
        buyerVatId: result.fields['buyer.vatId']?.value,
        documentType: result.documentType === 'credit_note' ? 'credit_note' : undefined,
      });
      const extractedEvent = extractedStatus === 'extracted' ? 'document.extracted' : 'document.needs_review';
      await audit.record(tx, ctx, {
        action: extractedEvent,
        target: { type: 'document', id: data.documentId },
        payload: {
          version,
          runId: data.runId,
          format: result.format,
          findings: result.findings.length,
          ...(duplicate.duplicateOf ? { duplicateOf: duplicate.duplicateOf } : {}),
          ...applied,
        },
      });
      deliveries = await deps.webhooks.recordEvent(tx, ctx, extractedEvent, {
        documentId: data.documentId,
        status: extractedStatus,
        version,
      });
      if (!automation.automate) return { status: extractedStatus, version };
      await audit.record(tx, ctx, {
        action: 'extraction.auto_validated',
        target: { type: 'document', id: data.documentId },
        payload: { version, ...automation.rule },
      });
      // Subscribers and the ERP hand-off see it as any validated document.
      deliveries.push(
        ...(await deps.webhooks.recordEvent(tx, ctx, 'extraction.validated', {
          documentId: data.documentId,
          version,
        })),
      );
      return { status: 'validated', version };
    });
    await deps.webhooks.dispatch(data.tenantId, deliveries);
    return stored;
  }

  return {
    startRun: startQueuedRun,
    submitRun: submit,

    async requestExtraction(ctx, documentId) {
      // Visibility (tenant and company restriction) is the document's own: 404 exactly as there.
      await deps.documents.getDocument(ctx, documentId);
      const runId = await db.withTenant(ctx, async (tx) => {
        await repo.lockDocument(tx, ctx.tenantId, documentId);
        // A new engine run would silently replace data the ERP already took over; that data
        // changes only through a person's correction with a reason (extractions.review.ts).
        if ((await repo.findDocumentState(tx, ctx.tenantId, documentId))?.status === 'exported') {
          throw new ConflictError(
            'The ERP has taken this extraction over (exported): correct it (PATCH /v1/documents/{id}/extraction with a reason) instead of running the extraction again.',
            'extraction_exported',
          );
        }
        return startQueuedRun(tx, ctx, documentId);
      });
      await submit(ctx, documentId, runId);
    },

    async process(job) {
      const data = job.data;
      const ctx = workerCtx(data.tenantId);
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      try {
        const current = await db.withTenant(ctx, (tx) =>
          repo.findDocumentState(tx, data.tenantId, data.documentId),
        );
        // A newer run superseded this job, or the document left: nothing to do.
        if (!current || current.purgedAt || current.trashedAt || current.processingRunId !== data.runId)
          return { status: 'skipped' };
        await db.withTenant(ctx, async (tx) => {
          await repo.setDocumentState(tx, data.tenantId, data.documentId, { status: 'extracting' });
          await audit.record(tx, ctx, {
            action: 'document.extracting',
            target: { type: 'document', id: data.documentId },
            payload: { runId: data.runId, attempt: job.attemptsMade + 1 },
          });
        });
        const opened = await deps.documents.openContent(ctx, data.documentId);
        const bytes = await buffer(opened.stream);
        const suppliers = await directory.get(data.tenantId);
        const extracted = await (deps.extract ?? extractInProcess)({
          bytes: new Uint8Array(bytes),
          filename: opened.document.filename,
          contentType: opened.document.contentType,
          timeoutMs: settings.timeoutMs,
          suppliers,
          schemaDir: settings.schemaDir,
        });
        const result = await checkWithRegistries(extracted, deps.registries);
        const stored = await storeResult(data, result, suppliers);
        await finishWaiting(data.tenantId);
        extractions.inc({ outcome: stored.status, kind: result.format, source: mainSource(result) });
        ocrPages.inc(result.timings.ocrPages ?? 0);
        return stored;
      } catch (error) {
        const permanent = isPermanentRefusal(error);
        extractionFailures.inc({
          code: error instanceof ExtractionError ? error.code : 'internal_error',
          final: String(permanent || lastAttempt),
        });
        if (permanent || lastAttempt) {
          extractions.inc({ outcome: 'failed', kind: 'unknown', source: 'none' });
          await this.markFailed(data, failureReasonOf(error));
          await finishWaiting(data.tenantId);
        }
        if (permanent) throw new UnrecoverableError(error.message);
        throw error;
      }
    },

    async markFailed(data, reason) {
      const ctx = workerCtx(data.tenantId);
      let deliveries: string[] = [];
      await db.withTenant(ctx, async (tx) => {
        const doc = await repo.findDocumentState(tx, data.tenantId, data.documentId);
        if (!doc || doc.processingRunId !== data.runId) return;
        deliveries = await deps.webhooks.recordEvent(tx, ctx, 'document.failed', {
          documentId: data.documentId,
          status: 'failed',
          reason: reason.slice(0, 500),
        });
        await repo.setDocumentState(tx, data.tenantId, data.documentId, {
          status: 'failed',
          failureReason: reason.slice(0, 1000),
        });
        await audit.record(tx, ctx, {
          action: 'document.failed',
          target: { type: 'document', id: data.documentId },
          payload: { runId: data.runId, reason: reason.slice(0, 500) },
        });
      });
      await deps.webhooks.dispatch(data.tenantId, deliveries);
    },

    async reconcile() {
      let enqueued = 0;
      for (const tenantId of await deps.tenants.listActiveTenantIds()) {
        const ctx = workerCtx(tenantId);
        const now = clock().getTime();
        const stalled = await db.withTenant(ctx, (tx) =>
          repo.listStalled(
            tx,
            tenantId,
            new Date(now - settings.storedGraceMs),
            new Date(now - settings.runningGraceMs),
            RECONCILE_BATCH,
          ),
        );
        for (const doc of stalled) {
          if (doc.status !== 'stored' && doc.processingRunId) {
            const job = await deps.queue().getJob(`extract-${doc.id}-${doc.processingRunId}`);
            if (job && !(await job.isFailed())) continue; // still on its way
          }
          // A stored run never reached the queue: queue that run; anything else gets a new run.
          const storedRunId = doc.status === 'stored' ? doc.processingRunId : null;
          const runId = await db.withTenant(ctx, async (tx) => {
            if (!storedRunId) return startQueuedRun(tx, ctx, doc.id);
            return (await markQueued(tx, ctx, doc.id, storedRunId)) ? storedRunId : null;
          });
          if (runId && (await submit(ctx, doc.id, runId))) enqueued += 1;
        }
      }
      reconcilerEnqueued.inc(enqueued);
      return { enqueued };
    },
  };
}
