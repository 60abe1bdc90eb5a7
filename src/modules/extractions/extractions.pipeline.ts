/**
 * The extraction pipeline: a stored document gets a processing run (an upload gets it in the
 * transaction that stores the document, so the answer already says `queued`), a BullMQ job carries
 * only { tenantId, documentId, runId } (extractions.jobs.ts), and the worker decrypts the content,
 * runs the engine, and stores the result as a new extraction version — once per run, however often
 * the job runs.
 *
 * Nothing is lost when Redis is briefly down at upload: the document stays `stored` and the
 * reconciler (a maintenance job) enqueues it later, as it re-enqueues runs whose job vanished.
 * Tenants are served fairly (extractions.fairness.ts).
 */
import { buffer } from 'node:stream/consumers';
import { UnrecoverableError, type Queue } from 'bullmq';
import type { Clock } from '../../core/clock.js';
import { ConflictError, NotFoundError } from '../../core/errors.js';
import type { RequestContext } from '../../core/request-context.js';
import { ExtractionError, type ExtractionResult, type KnownSupplier } from '../../extraction/model.js';
import type { Db, Tx } from '../../platform/db/db.js';
import { isFinalAttempt, workerContext, type JobAttempt } from '../../platform/jobs.js';
import { extractionFailures, extractions, ocrPages, reconcilerEnqueued } from '../../platform/metrics.js';
import type { Redis } from '../../platform/redis.js';
import type { AuditService } from '../audit/audit.service.js';
import type { DocumentsService } from '../documents/documents.service.js';
import type { SuppliersService } from '../suppliers/suppliers.service.js';
import type { SharedLabels } from '../suppliers/suppliers.shared-labels.js';
import type { AutomationService } from '../tenants/tenants.automation.js';
import type { TenantsService } from '../tenants/tenants.service.js';
import type { WebhookOutbox } from '../webhooks/webhooks.outbox.js';
import { decideAutomation, supplierValidatedCount } from './extractions.automation.js';
import { checkDuplicate } from './extractions.duplicates.js';
import { extractInProcess, type ExtractFunction } from './extractions.engine.js';
import { createFairnessCounters } from './extractions.fairness.js';
import { failureReasonOf, isPermanentRefusal } from './extractions.failures.js';
import { enqueueExtraction, extractionJobId, type ExtractionJobData } from './extractions.jobs.js';
import { checkWithRegistries, type RegistryLookups } from './extractions.registries.js';
import { createSupplierDirectorySource } from './extractions.suppliers.js';
import * as repo from './extractions.repo.js';

/** The source most of a result's fields came from (`none` without fields): a bounded metric label. */
function mainSource(result: ExtractionResult): string {
  const counts = new Map<string, number>();
  for (const field of Object.values(result.fields))
    counts.set(field.source, (counts.get(field.source) ?? 0) + 1);
  let best = 'none';
  for (const [source, count] of counts) if (count > (counts.get(best) ?? 0)) best = source;
  return best;
}

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
   * Puts a started run's job on the queue (the upload's `DocumentProcessing.submit`). False when Redis did not take it: the document is then
   * `stored` again and the reconciler enqueues it later.
   */
  submitRun(ctx: RequestContext, documentId: string, runId: string): Promise<boolean>;
  /** Starts a new processing run for a document and enqueues it (reprocessing). */
  requestExtraction(ctx: RequestContext, documentId: string): Promise<void>;
  /**
   * Runs one attempt of a run's job (extractions.jobs.ts): skipped when a newer run superseded it;
   * the document is marked failed when the attempt fails for good.
   */
  process(data: ExtractionJobData, attempt: JobAttempt): Promise<{ status: string; version?: number }>;
  /** Enqueues stored documents that were never queued and runs whose job disappeared. */
  reconcile(): Promise<{ enqueued: number }>;
}

export function createExtractionPipeline(deps: {
  db: Db;
  audit: AuditService;
  documents: DocumentsService;
  tenants: TenantsService;
  suppliers: Pick<SuppliersService, 'forEngine' | 'saveTextLayer'>;
  /** Label variants learned across firms that consented to it (for every firm's extractions). */
  sharedLabels: Pick<SharedLabels, 'forEngine'>;
  /** The firm's automation level, read in the transaction that stores a result. */
  automation: Pick<AutomationService, 'readAutomation'>;
  queue: () => Queue<ExtractionJobData>;
  webhooks: Pick<WebhookOutbox, 'recordEvent' | 'dispatch'>;
  extract?: ExtractFunction;
  /** ARES / VIES clients when registry lookups are switched on (off by default). */
  registries?: RegistryLookups;
  redis: Redis;
  clock: Clock;
  settings: PipelineSettings;
}): ExtractionPipeline {
  const { db, audit, clock, settings } = deps;
  const directory = createSupplierDirectorySource(db, deps.documents);
  const fairness = createFairnessCounters(deps.redis, settings.keyPrefix);
  const workerCtx = (tenantId: string) => workerContext(tenantId, 'extraction');

  /** A new processing run, queued (audited) in `tx`; it supersedes any earlier run, whose job then skips. */
  async function startQueuedRun(tx: Tx, ctx: RequestContext, documentId: string): Promise<string> {
    const runId = await deps.documents.startRun(tx, ctx, documentId);
    if (!runId) throw new NotFoundError('The document does not exist.');
    return runId;
  }

  /**
   * Puts a queued run's job on the queue, after the commit that queued it: the status is written
   * before the job exists, so a fast worker can never be overtaken by it. When Redis does not take
   * the job in time the document goes back to `stored` for the reconciler (only if no worker
   * started it: a late add is harmless, the job id is the run's).
   */
  async function submit(ctx: RequestContext, documentId: string, runId: string): Promise<boolean> {
    try {
      await enqueueExtraction(deps.queue(), { tenantId: ctx.tenantId, documentId, runId }, async () => ({
        priority: await fairness.enter(ctx.tenantId),
        attempts: settings.attempts,
        backoff: { type: 'exponential', delay: settings.backoffMs },
      }));
      return true;
    } catch {
      await db.withTenant(ctx, (tx) =>
        deps.documents.moveStatus(tx, ctx, documentId, 'queued', 'stored', { runId }),
      );
      return false;
    }
  }

  async function storeResult(
    data: ExtractionJobData,
    engineResult: ExtractionResult,
    suppliers: readonly KnownSupplier[],
  ): Promise<{ status: string; version?: number }> {
    const ctx = workerCtx(data.tenantId);
    let deliveries: string[] = [];
    const stored = await db.withTenant(ctx, async (tx) => {
      await deps.documents.lockDocument(tx, ctx, data.documentId);
      const existing = await repo.findByRun(tx, data.tenantId, data.documentId, data.runId);
      const doc = await deps.documents.findDocumentState(tx, ctx, data.documentId);
      if (existing) return { status: doc?.status ?? 'extracted', version: existing.version };
      // A newer run took the document over while the engine ran: its own job stores its result.
      if (!doc || doc.processingRunId !== data.runId || doc.status !== 'extracting')
        return { status: 'skipped' };
      // A second copy of an invoice already in the firm is found here, in the tenant's transaction
      // (extractions.duplicates.ts): its finding sends the document to review.
      // The words stay apart from the result (the API never serves them): a later correction of
      // this document is located on them to teach the supplier's profile.
      const { textLayer, ...withoutLayer } = engineResult;
      await deps.suppliers.saveTextLayer(tx, ctx, data.documentId, data.runId, textLayer ?? null);
      const duplicate = await checkDuplicate(deps.documents, tx, ctx, data.documentId, withoutLayer);
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
      // The row is locked and in this run: the moves cannot be refused. An automated document goes
      // the lifecycle's way, extracted and then validated, in this one transaction.
      await deps.documents.moveStatus(tx, ctx, data.documentId, 'extracting', extractedStatus, {
        runId: data.runId,
        set: { failureReason: null },
      });
      if (automation.automate)
        await deps.documents.moveStatus(tx, ctx, data.documentId, extractedStatus, 'validated', {
          runId: data.runId,
          set: { validatedAt: clock() },
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

  /** Marks the run failed (audited, with a `document.failed` webhook) unless a newer run superseded it. */
  async function markFailed(data: ExtractionJobData, reason: string): Promise<void> {
    const ctx = workerCtx(data.tenantId);
    let deliveries: string[] = [];
    await db.withTenant(ctx, async (tx) => {
      // Only this run, while a job of it may be running: a newer run or a stored result stays.
      const moved = await deps.documents.moveStatus(
        tx,
        ctx,
        data.documentId,
        ['stored', 'queued', 'extracting'],
        'failed',
        { runId: data.runId, set: { failureReason: reason.slice(0, 1000) } },
      );
      if (!moved) return;
      deliveries = await deps.webhooks.recordEvent(tx, ctx, 'document.failed', {
        documentId: data.documentId,
        status: 'failed',
        reason: reason.slice(0, 500),
      });
      await audit.record(tx, ctx, {
        action: 'document.failed',
        target: { type: 'document', id: data.documentId },
        payload: { runId: data.runId, reason: reason.slice(0, 500) },
      });
    });
    await deps.webhooks.dispatch(data.tenantId, deliveries);
  }

  return {
    submitRun: submit,

    async requestExtraction(ctx, documentId) {
      // Visibility (tenant and company restriction) is the document's own: 404 exactly as there.
      await deps.documents.getDocument(ctx, documentId);
      const runId = await db.withTenant(ctx, async (tx) => {
        await deps.documents.lockDocument(tx, ctx, documentId);
        // A new engine run would silently replace data the ERP already took over; that data
        // changes only through a person's correction with a reason (extractions.review.ts).
        if ((await deps.documents.findDocumentState(tx, ctx, documentId))?.status === 'exported') {
          throw new ConflictError(
            'The ERP has taken this extraction over (exported): correct it (PATCH /v1/documents/{id}/extraction with a reason) instead of running the extraction again.',
            'extraction_exported',
          );
        }
        return startQueuedRun(tx, ctx, documentId);
      });
      await submit(ctx, documentId, runId);
    },

    async process(data, job) {
      const ctx = workerCtx(data.tenantId);
      try {
        const current = await db.withTenant(ctx, (tx) =>
          deps.documents.findDocumentState(tx, ctx, data.documentId),
        );
        // A newer run superseded this job, or the document left: nothing to do.
        if (!current || current.purgedAt || current.trashedAt || current.processingRunId !== data.runId)
          return { status: 'skipped' };
        // A job whose run already has its result (a retry after a crash, a duplicate) stores nothing new.
        const extracting = await db.withTenant(ctx, async (tx) => {
          const moved = await deps.documents.moveStatus(
            tx,
            ctx,
            data.documentId,
            ['stored', 'queued', 'extracting'],
            'extracting',
            { runId: data.runId },
          );
          if (!moved) return repo.findByRun(tx, data.tenantId, data.documentId, data.runId);
          await audit.record(tx, ctx, {
            action: 'document.extracting',
            target: { type: 'document', id: data.documentId },
            payload: { runId: data.runId, attempt: job.attemptsMade + 1 },
          });
          return 'moved' as const;
        });
        if (extracting !== 'moved') {
          return extracting ? { status: current.status, version: extracting.version } : { status: 'skipped' };
        }
        const opened = await deps.documents.openContent(ctx, data.documentId);
        const bytes = await buffer(opened.stream);
        const suppliers = await directory.get(data.tenantId);
        const learnedSuppliers = await deps.suppliers.forEngine(data.tenantId);
        const sharedLabels = await deps.sharedLabels.forEngine();
        const extracted = await (deps.extract ?? extractInProcess)({
          bytes: new Uint8Array(bytes),
          filename: opened.document.filename,
          contentType: opened.document.contentType,
          timeoutMs: settings.timeoutMs,
          suppliers,
          learnedSuppliers,
          sharedLabels,
          schemaDir: settings.schemaDir,
        });
        const result = await checkWithRegistries(extracted, deps.registries);
        const stored = await storeResult(data, result, suppliers);
        await fairness.leave(data.tenantId);
        extractions.inc({ outcome: stored.status, kind: result.format, source: mainSource(result) });
        ocrPages.inc(result.timings.ocrPages ?? 0);
        return stored;
      } catch (error) {
        const permanent = isPermanentRefusal(error);
        const final = permanent || isFinalAttempt(job);
        extractionFailures.inc({
          code: error instanceof ExtractionError ? error.code : 'internal_error',
          final: String(final),
        });
        if (final) {
          extractions.inc({ outcome: 'failed', kind: 'unknown', source: 'none' });
          await markFailed(data, failureReasonOf(error));
          await fairness.leave(data.tenantId);
        }
        if (permanent) throw new UnrecoverableError(error.message);
        throw error;
      }
    },

    async reconcile() {
      let enqueued = 0;
      for (const tenantId of await deps.tenants.listActiveTenantIds()) {
        const ctx = workerCtx(tenantId);
        const now = clock().getTime();
        const stalled = await db.withTenant(ctx, (tx) =>
          deps.documents.listStalled(
            tx,
            ctx,
            new Date(now - settings.storedGraceMs),
            new Date(now - settings.runningGraceMs),
            RECONCILE_BATCH,
          ),
        );
        for (const doc of stalled) {
          if (doc.status !== 'stored' && doc.processingRunId) {
            const job = await deps
              .queue()
              .getJob(extractionJobId({ tenantId, documentId: doc.id, runId: doc.processingRunId }));
            if (job && !(await job.isFailed())) continue; // still on its way
          }
          // A stored run never reached the queue: queue that run; anything else gets a new run.
          const storedRunId = doc.status === 'stored' ? doc.processingRunId : null;
          const runId = await db.withTenant(ctx, (tx) =>
            storedRunId
              ? deps.documents.startRun(tx, ctx, doc.id, storedRunId)
              : startQueuedRun(tx, ctx, doc.id),
          );
          if (runId && (await submit(ctx, doc.id, runId))) enqueued += 1;
        }
      }
      reconcilerEnqueued.inc(enqueued);
      return { enqueued };
    },
  };
}
