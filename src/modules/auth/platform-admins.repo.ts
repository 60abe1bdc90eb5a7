/** Queries for the platform role. Runs inside the caller's scoped transaction. */
import type { Tx } from '../../platform/db/db.js';

export async function isPlatformAdmin(tx: Tx, userId: string): Promise<boolean> {
  return (await tx.platformAdmin.count({ where: { userId } })) === 1;
}

export interface PlatformAdminRow {
  readonly userId: string;
  readonly grantedAt: Date;
  readonly grantedBy: string;
}

export async function insertPlatformAdmin(tx: Tx, row: PlatformAdminRow): Promise<boolean> {
  const { count } = await tx.platformAdmin.createMany({ data: [row], skipDuplicates: true });
  return count === 1;
}

export async function deletePlatformAdmin(tx: Tx, userId: string): Promise<boolean> {
  const { count } = await tx.platformAdmin.deleteMany({ where: { userId } });
  return count === 1;
}

export async function listPlatformAdmins(tx: Tx): Promise<PlatformAdminRow[]> {
  return tx.platformAdmin.findMany({ orderBy: { grantedAt: 'asc' } });
}
