/** Queries of the tenants table. Runs inside the tenant's own transaction (RLS: id = app.tenant_id). */
import type { Tx } from '../../platform/db/db.js';

export interface TenantRow {
  readonly id: string;
  readonly name: string;
  readonly region: string;
  readonly status: string;
  readonly requireMfa: boolean;
  readonly createdAt: Date;
}

const COLUMNS = {
  id: true,
  name: true,
  region: true,
  status: true,
  requireMfa: true,
  createdAt: true,
} as const;

export async function insertTenant(
  tx: Tx,
  tenant: { id: string; name: string; region: string },
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
