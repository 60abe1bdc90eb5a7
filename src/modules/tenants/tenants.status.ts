/**
 * A tenant's status is owned here: one transition table, one function that moves it and records
 * the audit event in the same transaction. Everyone else (suspension from the CLI, offboarding and
 * its purge in the privacy module) asks this module; an illegal move is an error, never a write.
 *
 *   active <-> suspended      a platform administrator blocks every access (sessions and tokens)
 *   active  -> offboarding    an owner closes the firm; a grace period starts (purgeAfter)
 *   offboarding -> active     the owner cancels within the grace period
 *   offboarding -> offboarded the purge job, after the grace period
 *
 * The database notifies every API process's principal cache of a status change
 * (tenants_principal_change), so the next request already sees the new status.
 */
import { ConflictError, NotFoundError } from '../../core/errors.js';
import type { RequestContext } from '../../core/request-context.js';
import type { Tx } from '../../platform/db/db.js';
import type { AuditService } from '../audit/audit.service.js';
import * as repo from './tenants.repo.js';
import type { TenantRow } from './tenants.repo.js';

export const TENANT_STATUSES = ['active', 'suspended', 'offboarding', 'offboarded'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

/** Allowed moves and the audit action each one records. */
const TRANSITIONS: Readonly<Record<string, string>> = {
  'active>suspended': 'tenant.suspended',
  'suspended>active': 'tenant.unsuspended',
  'active>offboarding': 'tenant.offboarding_requested',
  'offboarding>active': 'tenant.offboarding_cancelled',
  'offboarding>offboarded': 'tenant.offboarded',
};

export function isTenantStatus(value: string): value is TenantStatus {
  return (TENANT_STATUSES as readonly string[]).includes(value);
}

export interface StatusChange {
  readonly to: TenantStatus;
  readonly at: Date;
  readonly reason?: string | null | undefined;
  /** For offboarding: when the purge may run. */
  readonly purgeAfter?: Date | undefined;
  /** For offboarded: the firm's name is replaced (it is firm data, the row stays for the chain). */
  readonly name?: string | undefined;
  /** Extra facts for the audit event. */
  readonly payload?: Readonly<Record<string, unknown>>;
}

/** Moves the tenant of `ctx` to `change.to` and records it; ConflictError when the move is not allowed now. */
export async function moveTenantStatus(
  tx: Tx,
  ctx: RequestContext,
  audit: AuditService,
  change: StatusChange,
): Promise<TenantRow> {
  const current = await repo.findTenant(tx, ctx.tenantId);
  if (!current) throw new NotFoundError('The tenant does not exist.');
  const action = TRANSITIONS[`${current.status}>${change.to}`];
  if (!action) {
    throw new ConflictError(
      `The firm is ${current.status}; it cannot become ${change.to} from there.`,
      'tenant_status_conflict',
    );
  }
  const offboarding = change.to === 'offboarding';
  const moved = await repo.moveTenantStatus(tx, ctx.tenantId, current.status, change.to, {
    statusChangedAt: change.at,
    statusReason: change.reason ?? null,
    ...(offboarding ? { offboardingRequestedAt: change.at, purgeAfter: change.purgeAfter ?? null } : {}),
    ...(change.to === 'active' ? { offboardingRequestedAt: null, purgeAfter: null } : {}),
    ...(change.name !== undefined ? { name: change.name } : {}),
  });
  if (!moved)
    throw new ConflictError('The firm changed status meanwhile; try again.', 'tenant_status_conflict');
  await audit.record(tx, ctx, {
    action,
    target: { type: 'tenant', id: ctx.tenantId },
    payload: {
      from: current.status,
      to: change.to,
      ...(change.reason ? { reason: change.reason } : {}),
      ...(change.purgeAfter ? { purgeAfter: change.purgeAfter.toISOString() } : {}),
      ...change.payload,
    },
  });
  return moved;
}
