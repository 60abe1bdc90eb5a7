/** Queries of the tenants table. Runs inside the tenant's own transaction (RLS: id = app.tenant_id). */
import type { Tx } from '../../platform/db/db.js';

export interface TenantRow {
  readonly id: string;
  readonly name: string;
  readonly region: string;
  readonly status: string;
  readonly requireMfa: boolean;
  readonly kekRef: string | null;
  readonly createdAt: Date;
  readonly trainingConsent: boolean;
  readonly trainingConsentChangedAt: Date | null;
  readonly statusChangedAt: Date | null;
  readonly statusReason: string | null;
  readonly offboardingRequestedAt: Date | null;
  readonly purgeAfter: Date | null;
}

const COLUMNS = {
  id: true,
  name: true,
  region: true,
  status: true,
  requireMfa: true,
  kekRef: true,
  createdAt: true,
  trainingConsent: true,
  trainingConsentChangedAt: true,
  statusChangedAt: true,
  statusReason: true,
  offboardingRequestedAt: true,
  purgeAfter: true,
} as const;

export async function insertTenant(
  tx: Tx,
  tenant: { id: string; name: string; region: string; kekRef: string },
): Promise<TenantRow> {
  return tx.tenant.create({ data: tenant, select: COLUMNS });
}

export async function findTenant(tx: Tx, id: string): Promise<TenantRow | null> {
  return tx.tenant.findUnique({ where: { id }, select: COLUMNS });
}

export async function updateTenant(
  tx: Tx,
  id: string,
  changes: { name?: string | undefined; requireMfa?: boolean | undefined },
): Promise<TenantRow> {
  return tx.tenant.update({
    where: { id },
    data: {
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.requireMfa !== undefined ? { requireMfa: changes.requireMfa } : {}),
    },
    select: COLUMNS,
  });
}

/** Sets the KEK reference only if none is set yet; returns the one that is set afterwards. */
export async function setKekRefIfMissing(tx: Tx, id: string, kekRef: string): Promise<string> {
  await tx.tenant.updateMany({ where: { id, kekRef: null }, data: { kekRef } });
  const row = await tx.tenant.findUniqueOrThrow({ where: { id }, select: { kekRef: true } });
  return row.kekRef!;
}

/** Ids of every active tenant: only inside a `systemScan` scope (background sweeps). */
export async function listAllTenantIds(tx: Tx): Promise<string[]> {
  const rows = await tx.tenant.findMany({ select: { id: true }, orderBy: { id: 'asc' } });
  return rows.map((r) => r.id);
}

/** Up to `count` active tenants picked at random: only inside a `systemScan` scope. */
export async function sampleActiveTenantIds(tx: Tx, count: number): Promise<string[]> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id::text AS id FROM tenants WHERE status = 'active' ORDER BY random() LIMIT ${count}`;
  return rows.map((r) => r.id);
}

export async function listActiveTenantIds(tx: Tx): Promise<string[]> {
  const rows = await tx.tenant.findMany({
    where: { status: 'active' },
    select: { id: true },
    orderBy: { id: 'asc' },
  });
  return rows.map((r) => r.id);
}

/**
 * Moves the tenant from `from` to `to` with the given facts, only if it is still in `from`
 * (a concurrent change wins, and the caller sees null). The row is locked by the update.
 */
export async function moveTenantStatus(
  tx: Tx,
  id: string,
  from: string,
  to: string,
  facts: {
    statusChangedAt: Date;
    statusReason: string | null;
    offboardingRequestedAt?: Date | null;
    purgeAfter?: Date | null;
    name?: string;
  },
): Promise<TenantRow | null> {
  const { count } = await tx.tenant.updateMany({
    where: { id, status: from },
    data: { status: to, ...facts },
  });
  return count === 1 ? findTenant(tx, id) : null;
}

export async function setTrainingConsent(tx: Tx, id: string, allowed: boolean, at: Date): Promise<TenantRow> {
  return tx.tenant.update({
    where: { id },
    data: { trainingConsent: allowed, trainingConsentChangedAt: at },
    select: COLUMNS,
  });
}

/**
 * Offboarding tenants whose grace period ended, and offboarded ones whose receipt is still to be
 * issued (purge_after stays set until it is): only inside a `systemScan` scope.
 */
export async function listOffboardingDue(tx: Tx, now: Date): Promise<string[]> {
  const rows = await tx.tenant.findMany({
    where: {
      OR: [
        { status: 'offboarding', purgeAfter: { lte: now } },
        { status: 'offboarded', purgeAfter: { not: null } },
      ],
    },
    select: { id: true },
    orderBy: { purgeAfter: 'asc' },
  });
  return rows.map((r) => r.id);
}

export async function clearPurgeAfter(tx: Tx, id: string): Promise<void> {
  await tx.tenant.update({ where: { id }, data: { purgeAfter: null } });
}

/** The firm's straight-through processing settings (columns of its row; docs/automation.md). */
export interface AutomationRow {
  readonly automationLevel: string;
  readonly automationThreshold: number;
  readonly automationMinValidated: number;
  readonly automationChangedAt: Date | null;
}

const AUTOMATION_COLUMNS = {
  automationLevel: true,
  automationThreshold: true,
  automationMinValidated: true,
  automationChangedAt: true,
} as const;

export async function findAutomation(tx: Tx, id: string): Promise<AutomationRow | null> {
  return tx.tenant.findUnique({ where: { id }, select: AUTOMATION_COLUMNS });
}

export async function setAutomation(
  tx: Tx,
  id: string,
  settings: { level: string; threshold: number; minValidated: number; at: Date },
): Promise<AutomationRow> {
  return tx.tenant.update({
    where: { id },
    data: {
      automationLevel: settings.level,
      automationThreshold: settings.threshold,
      automationMinValidated: settings.minValidated,
      automationChangedAt: settings.at,
    },
    select: AUTOMATION_COLUMNS,
  });
}
