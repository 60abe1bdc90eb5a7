/**
 * A tenant's retention policy (default 10 years, optional years per document type). Changing it
 * recomputes `retainUntil` of every stored document in the same transaction, so documents are
 * always kept exactly as long as the current policy says.
 */
import type { Clock } from '../../core/clock.js';
import type { RequestContext } from '../../core/request-context.js';
import type { Db, Tx } from '../../platform/db/db.js';
import type { AuditService } from '../audit/audit.service.js';
import * as repo from './documents.repo.js';
import { DEFAULT_RETENTION, retainUntil, type DocumentType, type RetentionRules } from './retention.js';

/** The rules a tenant's policy row states; no row = the default policy. */
export function rulesOf(row: { defaultYears: number; typeYears: unknown } | null): RetentionRules {
  if (!row) return DEFAULT_RETENTION;
  return { defaultYears: row.defaultYears, typeYears: row.typeYears as RetentionRules['typeYears'] };
}

export async function loadRetentionRules(tx: Tx, tenantId: string): Promise<RetentionRules> {
  return rulesOf(await repo.findRetentionPolicy(tx, tenantId));
}

export interface RetentionPolicyService {
  getPolicy(ctx: RequestContext): Promise<RetentionRules>;
  putPolicy(
    ctx: RequestContext,
    rules: RetentionRules,
  ): Promise<RetentionRules & { documentsUpdated: number }>;
}

export function createRetentionPolicyService(deps: {
  db: Db;
  audit: AuditService;
  clock: Clock;
}): RetentionPolicyService {
  return {
    getPolicy: (ctx) => deps.db.withTenant(ctx, (tx) => loadRetentionRules(tx, ctx.tenantId)),

    async putPolicy(ctx, rules) {
      return deps.db.withTenant(ctx, async (tx) => {
        const before = await loadRetentionRules(tx, ctx.tenantId);
        await repo.upsertRetentionPolicy(tx, ctx.tenantId, rules);
        let documentsUpdated = 0;
        for (const doc of await repo.listDocumentsForRetention(tx, ctx.tenantId)) {
          const next = retainUntil(rules, doc.type as DocumentType, doc.issueDate, doc.createdAt);
          if (next.getTime() !== doc.retainUntil.getTime()) {
            await repo.setRetainUntil(tx, ctx.tenantId, doc.id, next);
            documentsUpdated += 1;
          }
        }
        await deps.audit.record(tx, ctx, {
          action: 'retention_policy.changed',
          target: { type: 'tenant', id: ctx.tenantId },
          payload: { before, after: rules, documentsUpdated },
        });
        return { ...rules, documentsUpdated };
      });
    },
  };
}
