/**
 * People's side of extraction: corrections (a new version with source `user`, every changed
 * field audited with its old and new value), validation (refused while error findings remain,
 * unless overridden with a reason), and the review queue.
 */
import type { Clock } from '../../core/clock.js';
import { AppError, ConflictError, NotFoundError, ValidationFailedError } from '../../core/errors.js';
import type { RequestContext } from '../../core/request-context.js';
import { applyCorrections, type ExtractionResult } from '../../extraction/model.js';
import type { Db } from '../../platform/db/db.js';
import type { AuditService } from '../audit/audit.service.js';
import { decodeCursor, pageOf } from '../cursor.js';
import type { DocumentStatus, DocumentsService } from '../documents/documents.service.js';
import type { SuppliersService } from '../suppliers/suppliers.service.js';
import type { WebhookOutbox } from '../webhooks/webhooks.outbox.js';
import { checkDuplicate, DUPLICATE_FINDING } from './extractions.duplicates.js';
import * as repo from './extractions.repo.js';
import { toExtractionView, type ExtractionView } from './extractions.service.js';

const KEY_FIELDS = [
  'invoiceNumber',
  'issueDate',
  'totals.gross',
  'currency',
  'seller.name',
  'seller.vatId',
] as const;
const REVIEW_THRESHOLD = 0.7;

export interface AttentionItem {
  readonly field: string;
  readonly reason: string;
}

/** What a reviewer should look at: missing or doubtful key fields, and fields with findings. */
export function fieldsNeedingAttention(result: ExtractionResult): AttentionItem[] {
  const items: AttentionItem[] = [];
  for (const field of KEY_FIELDS) {
    const value = result.fields[field];
    if (!value) items.push({ field, reason: 'missing' });
    else if (value.confidence < REVIEW_THRESHOLD)
      items.push({ field, reason: `low confidence (${value.confidence.toFixed(2)})` });
  }
  for (const finding of result.findings) {
    if (finding.severity !== 'info')
      items.push({ field: finding.field ?? '(document)', reason: `${finding.severity}: ${finding.message}` });
  }
  return items;
}

/** A person's decision to validate a duplicate invoice anyway (e.g. a second, partial delivery). */
export interface DuplicateOverride {
  readonly reason: string;
}

export interface ExtractionReviewService {
  /**
   * A person's or a token's correction, stored as a new version. Once the ERP has taken the
   * extraction over (`exported`), only a person may change it, and only with a `reason`: the new
   * version is validated at once (the reason stands for the review, as an override reason does),
   * goes back on the hand-off list, and `extraction.changed_after_export` is announced.
   */
  correct(
    ctx: RequestContext,
    documentId: string,
    corrections: Record<string, string | null>,
    reason?: string,
  ): Promise<ExtractionView>;
  validate(
    ctx: RequestContext,
    documentId: string,
    override?: { reason: string },
    duplicate?: DuplicateOverride,
  ): Promise<ExtractionView>;
  reviewQueue(
    ctx: RequestContext,
    limit: number,
    cursor?: string,
  ): Promise<{
    items: {
      documentId: string;
      filename: string;
      companyId: string | null;
      createdAt: Date;
      version: number;
      duplicateOf: string | null;
      attention: AttentionItem[];
    }[];
    nextCursor: string | null;
  }>;
}

/** Statuses with a finished extraction a person may correct; the ERP's (`exported`) only deliberately. */
const CORRECTABLE = new Set<string>(['extracted', 'needs_review', 'validated', 'exported']);
/** Corrected before the ERP has it: the document is (again) extracted or needs review. */
const REOPENABLE: readonly DocumentStatus[] = ['extracted', 'needs_review', 'validated'];
/** Extracted and not validated yet. */
const EXTRACTED: readonly DocumentStatus[] = ['extracted', 'needs_review'];

/**
 * Data the ERP already took over is changed deliberately or not at all: by a person (an ERP token,
 * even one holding `extractions:write`, is refused), who says why.
 */
function assertMayChangeExported(ctx: RequestContext, reason: string | undefined): void {
  if (ctx.actor.kind !== 'user') {
    throw new AppError(
      403,
      'exported_extraction_people_only',
      'Forbidden',
      'The ERP has taken this extraction over (exported); only a signed-in person can change it now, with a reason.',
    );
  }
  if (!reason?.trim()) {
    throw new ValidationFailedError(
      'The ERP has taken this extraction over (exported): say why it changes (reason).',
      [{ field: 'body.reason', message: 'required once the extraction is exported' }],
    );
  }
}

export function createExtractionReviewService(deps: {
  db: Db;
  audit: AuditService;
  documents: DocumentsService;
  webhooks: Pick<WebhookOutbox, 'recordEvent' | 'dispatch'>;
  suppliers: Pick<SuppliersService, 'learnFromCorrection'>;
  clock: Clock;
}): ExtractionReviewService {
  const { db, audit, clock } = deps;

  async function latestOf(
    tx: Parameters<typeof repo.latestExtraction>[0],
    ctx: RequestContext,
    documentId: string,
  ) {
    const doc = await deps.documents.findDocumentState(tx, ctx, documentId);
    const latest = await repo.latestExtraction(tx, ctx.tenantId, documentId);
    if (!doc || !latest || !CORRECTABLE.has(doc.status)) {
      throw new ConflictError(
        'The document has no finished extraction to work on yet.',
        'extraction_not_ready',
      );
    }
    return { doc, latest };
  }

  return {
    async correct(ctx, documentId, corrections, reason) {
      await deps.documents.getDocument(ctx, documentId); // visibility: 404 like the document
      let deliveries: string[] = [];
      const corrected = await db.withTenant(ctx, async (tx) => {
        await deps.documents.lockDocument(tx, ctx, documentId);
        const { doc, latest } = await latestOf(tx, ctx, documentId);
        const afterExport = doc.status === 'exported';
        if (afterExport) assertMayChangeExported(ctx, reason);
        const applied = applyCorrections(latest.result as unknown as ExtractionResult, corrections);
        if ('problems' in applied) {
          throw new ValidationFailedError(
            `Some values are not acceptable: ${applied.problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
            applied.problems.map((p) => ({ field: `body.fields.${p.field}`, message: p.message })),
          );
        }
        // A corrected number, total or supplier can make (or unmake) a duplicate.
        const checked = await checkDuplicate(deps.documents, tx, ctx, documentId, applied.result);
        const row = await repo.insertExtraction(tx, {
          tenantId: ctx.tenantId,
          documentId,
          version: latest.version + 1,
          origin: 'user',
          runId: null,
          result: JSON.parse(JSON.stringify(checked.result)) as object,
          needsReview: checked.result.needsReview,
          createdByKind: ctx.actor.kind,
          createdById: ctx.actor.id,
        });
        for (const change of applied.changes) {
          await audit.record(tx, ctx, {
            action: 'extraction.field_corrected',
            target: { type: 'document', id: documentId },
            payload: {
              version: row.version,
              field: change.field,
              before: change.before,
              after: change.after,
              ...(afterExport ? { reason: reason ?? null } : {}),
            },
          });
        }
        // The supplier's profile learns from the correction, audited in this transaction.
        await deps.suppliers.learnFromCorrection(tx, ctx, {
          documentId,
          result: checked.result,
          changes: applied.changes,
        });
        // A correction reopens a validated document, and an exported one that it turns into a
        // duplicate: it must be validated again. Otherwise an exported one goes back to the ERP.
        const reopens = !afterExport || checked.duplicateOf !== null;
        // The row is locked and its status was just read: the move cannot be refused.
        const moved = reopens
          ? await deps.documents.moveStatus(
              tx,
              ctx,
              documentId,
              afterExport ? 'exported' : REOPENABLE,
              checked.result.needsReview ? 'needs_review' : 'extracted',
              { set: { validatedAt: null, ...(afterExport ? { exportedAt: null } : {}) } },
            )
          : await deps.documents.moveStatus(tx, ctx, documentId, 'exported', 'validated', {
              set: { validatedAt: clock(), exportedAt: null },
            });
        if (!moved) throw new Error(`document ${documentId} changed status under its lock`);
        if (!afterExport) return toExtractionView(row, checked.duplicateOf);
        // The ERP holds the previous version: the change is announced either way.
        const errors = checked.result.findings.filter((f) => f.severity === 'error').length;
        await audit.record(tx, ctx, {
          action: 'extraction.changed_after_export',
          target: { type: 'document', id: documentId },
          payload: {
            version: row.version,
            previousVersion: latest.version,
            fields: applied.changes.map((c) => c.field),
            overriddenErrors: errors,
            reason: reason ?? null,
          },
        });
        deliveries = await deps.webhooks.recordEvent(tx, ctx, 'extraction.changed_after_export', {
          documentId,
          version: row.version,
          previousVersion: latest.version,
          fields: applied.changes.map((c) => c.field),
        });
        return toExtractionView(row, checked.duplicateOf);
      });
      await deps.webhooks.dispatch(ctx.tenantId, deliveries);
      return corrected;
    },

    async validate(ctx, documentId, override, duplicate) {
      await deps.documents.getDocument(ctx, documentId);
      let deliveries: string[] = [];
      const validated = await db.withTenant(ctx, async (tx) => {
        await deps.documents.lockDocument(tx, ctx, documentId);
        const { doc, latest } = await latestOf(tx, ctx, documentId);
        if (doc.status === 'validated' || doc.status === 'exported')
          return toExtractionView(latest, doc.duplicateOf);
        // A duplicate whose original has since been trashed is no longer one.
        const duplicateOf =
          doc.duplicateOf && (await deps.documents.isActiveDocument(tx, ctx, doc.duplicateOf))
            ? doc.duplicateOf
            : null;
        if (duplicateOf && !duplicate) {
          throw new AppError(
            409,
            DUPLICATE_FINDING,
            'Conflict',
            `The document duplicates document ${duplicateOf} (same supplier, invoice number and gross total); validate it only with allowDuplicate and a duplicateReason.`,
            { duplicateOf },
          );
        }
        // The duplicate finding is decided above (its own override, or its original is gone); the
        // general override covers the other error findings.
        const errors = (latest.result as unknown as ExtractionResult).findings.filter(
          (f) => f.severity === 'error' && f.code !== DUPLICATE_FINDING,
        );
        if (errors.length > 0 && !override?.reason.trim()) {
          throw new AppError(
            409,
            'unresolved_errors',
            'Conflict',
            `The extraction still has ${errors.length} error finding(s); correct them or validate with an override reason.`,
            {
              findings: errors.map((f) => ({ code: f.code, field: f.field ?? null, message: f.message })),
            },
          );
        }
        const moved = await deps.documents.moveStatus(tx, ctx, documentId, EXTRACTED, 'validated', {
          set: {
            validatedAt: clock(),
            duplicateOf,
            duplicateOverrideReason: duplicateOf ? duplicate!.reason : null,
          },
        });
        if (!moved) throw new Error(`document ${documentId} changed status under its lock`);
        await audit.record(tx, ctx, {
          action: 'extraction.validated',
          target: { type: 'document', id: documentId },
          payload: {
            version: latest.version,
            overriddenErrors: errors.length,
            reason: override?.reason ?? null,
            ...(duplicateOf ? { duplicateOf, duplicateReason: duplicate!.reason } : {}),
          },
        });
        deliveries = await deps.webhooks.recordEvent(tx, ctx, 'extraction.validated', {
          documentId,
          version: latest.version,
        });
        return toExtractionView(latest, duplicateOf);
      });
      await deps.webhooks.dispatch(ctx.tenantId, deliveries);
      return validated;
    },

    async reviewQueue(ctx, limit, cursor) {
      const after = cursor ? decodeCursor(cursor) : undefined;
      return db.withTenant(ctx, async (tx) => {
        const rows = await deps.documents.listNeedsReview(tx, ctx, limit + 1, after);
        const page = pageOf(rows, limit, (row) => ({ at: row.createdAt, id: row.id }));
        const latest = await repo.latestExtractions(
          tx,
          ctx.tenantId,
          page.rows.map((row) => row.id),
        );
        const items = page.rows.map((row) => {
          const extraction = latest.get(row.id);
          if (!extraction) throw new NotFoundError();
          return {
            documentId: row.id,
            filename: row.filename,
            companyId: row.companyId,
            createdAt: row.createdAt,
            version: extraction.version,
            duplicateOf: row.duplicateOf,
            attention: fieldsNeedingAttention(extraction.result as unknown as ExtractionResult),
          };
        });
        return { items, nextCursor: page.nextCursor };
      });
    },
  };
}
