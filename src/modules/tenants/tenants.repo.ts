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
}

const COLUMNS = {
  id: true,
  name: true,
  region: true,
  status: true,
  requireMfa: true,
  kekRef: true,
  createdAt: true,
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
