/** Queries of the firm's client companies. */
import type { SqlReader, Tx } from '../../platform/db/db.js';

export interface CompanyRow {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly vatId: string | null;
  readonly registrationId: string | null;
  readonly country: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export type CompanyInput = Pick<CompanyRow, 'name' | 'vatId' | 'registrationId' | 'country'>;

const scope = (allowed?: readonly string[]) => (allowed ? { id: { in: [...allowed] } } : {});

export async function insertCompany(tx: Tx, tenantId: string, input: CompanyInput): Promise<CompanyRow> {
  return tx.company.create({ data: { tenantId, ...input } });
}

export async function listCompanies(
  tx: Tx,
  tenantId: string,
  allowed?: readonly string[],
): Promise<CompanyRow[]> {
  return tx.company.findMany({
    where: { tenantId, ...scope(allowed) },
    orderBy: [{ name: 'asc' }, { id: 'asc' }],
  });
}

export async function findCompany(
  tx: Tx,
  tenantId: string,
  id: string,
  allowed?: readonly string[],
): Promise<CompanyRow | null> {
  if (allowed && !allowed.includes(id)) return null;
  return tx.company.findFirst({ where: { tenantId, id } });
}

/** Whether the company exists in the tenant, in a plain-SQL transaction. */
export async function companyExists(sql: SqlReader, tenantId: string, id: string): Promise<boolean> {
  const rows = await sql.query(`SELECT 1 FROM companies WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
  return rows.length > 0;
}

export async function findCompanyByVatId(
  tx: Tx,
  tenantId: string,
  vatId: string,
  withinCompanyIds?: readonly string[],
): Promise<CompanyRow | null> {
  return tx.company.findFirst({
    where: { tenantId, vatId, ...(withinCompanyIds ? { id: { in: [...withinCompanyIds] } } : {}) },
    orderBy: { createdAt: 'asc' },
  });
}

export async function updateCompany(
  tx: Tx,
  tenantId: string,
  id: string,
  changes: Partial<CompanyInput>,
): Promise<CompanyRow> {
  await tx.company.updateMany({ where: { tenantId, id }, data: changes });
  return tx.company.findFirstOrThrow({ where: { tenantId, id } });
}

export async function deleteCompany(tx: Tx, tenantId: string, id: string): Promise<void> {
  await tx.company.deleteMany({ where: { tenantId, id } });
}

export async function countExisting(tx: Tx, tenantId: string, ids: readonly string[]): Promise<number> {
  return tx.company.count({ where: { tenantId, id: { in: [...ids] } } });
}
