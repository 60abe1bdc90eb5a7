/** The public shape of a client company (the row without its tenant). */
import type { CompanyRow } from './companies.repo.js';

export interface CompanyView {
  readonly id: string;
  readonly name: string;
  readonly vatId: string | null;
  readonly registrationId: string | null;
  readonly country: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export function companyView(row: CompanyRow): CompanyView {
  return {
    id: row.id,
    name: row.name,
    vatId: row.vatId,
    registrationId: row.registrationId,
    country: row.country,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
