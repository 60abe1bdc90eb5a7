/**
 * The firm's automation level (straight-through processing): whether the extraction worker may
 * validate a document itself, and under which rule (docs/automation.md). The worker reads the
 * setting inside its own transaction (`readAutomation`); owners and admins read and change it
 * through `/v1/tenant/automation`, every change audited with the old and the new setting.
 */
import type { Clock } from '../../core/clock.js';
import { NotFoundError } from '../../core/errors.js';
import type { RequestContext } from '../../core/request-context.js';
import type { Db, Tx } from '../../platform/db/db.js';
import type { AuditService } from '../audit/audit.service.js';
import * as repo from './tenants.repo.js';

export const AUTOMATION_LEVELS = ['never', 'confident', 'always'] as const;
export type AutomationLevel = (typeof AUTOMATION_LEVELS)[number];

/**
 * Calibrated confidence each field of an automated document must reach by default: confidences
 * are calibrated on the dev corpus (`npm run bench:calibration`) so that fields at or above it are
 * right at least 99.5 % of the time.
 */
export const DEFAULT_AUTOMATION_THRESHOLD = 0.99;
/** Validated documents of a supplier required by default before its next one is automated. */
export const DEFAULT_MIN_VALIDATED = 1;

export interface AutomationSettings {
  readonly level: AutomationLevel;
  readonly threshold: number;
  readonly minValidated: number;
  readonly changedAt: Date | null;
}

export interface AutomationService {
  getAutomation(ctx: RequestContext): Promise<AutomationSettings>;
  /** Replaces the setting; omitted threshold / minValidated keep their current values. */
  setAutomation(
    ctx: RequestContext,
    change: { level: AutomationLevel; threshold?: number | undefined; minValidated?: number | undefined },
  ): Promise<AutomationSettings>;
  /** For the extraction worker: the setting inside its transaction for the tenant. */
  readAutomation(tx: Tx, tenantId: string): Promise<AutomationSettings>;
}

function settingsOf(row: repo.AutomationRow): AutomationSettings {
  return {
    // The column's CHECK constraint admits exactly these values.
    level: row.automationLevel as AutomationLevel,
    threshold: row.automationThreshold,
    minValidated: row.automationMinValidated,
    changedAt: row.automationChangedAt,
  };
}

async function readAutomation(tx: Tx, tenantId: string): Promise<AutomationSettings> {
  const row = await repo.findAutomation(tx, tenantId);
  if (!row) throw new NotFoundError('The tenant does not exist.');
  return settingsOf(row);
}

export function createAutomationService(deps: {
  db: Db;
  audit: AuditService;
  clock: Clock;
}): AutomationService {
  return {
    readAutomation,
    getAutomation: (ctx) => deps.db.withTenant(ctx, (tx) => readAutomation(tx, ctx.tenantId)),

    async setAutomation(ctx, change) {
      return deps.db.withTenant(ctx, async (tx) => {
        const before = await readAutomation(tx, ctx.tenantId);
        const next = {
          level: change.level,
          threshold: change.threshold ?? before.threshold,
          minValidated: change.minValidated ?? before.minValidated,
        };
        if (
          next.level === before.level &&
          next.threshold === before.threshold &&
          next.minValidated === before.minValidated
        )
          return before;
        const updated = await repo.setAutomation(tx, ctx.tenantId, { ...next, at: deps.clock() });
        await deps.audit.record(tx, ctx, {
          action: 'tenant.automation_changed',
          target: { type: 'tenant', id: ctx.tenantId },
          payload: {
            from: { level: before.level, threshold: before.threshold, minValidated: before.minValidated },
            to: next,
          },
        });
        return settingsOf(updated);
      });
    },
  };
}
