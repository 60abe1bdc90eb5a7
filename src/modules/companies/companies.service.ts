/**
 * The client companies whose books a firm keeps. Documents may belong to one; integration tokens
 * may be limited to some, and then see only those companies and their documents.
 */
import { ConflictError, NotFoundError, ValidationFailedError } from '../../core/errors.js';
import { allowedCompanyIds, type RequestContext } from '../../core/request-context.js';
import type { Db, Tx } from '../../platform/db/db.js';
import { isForeignKeyViolation } from '../../platform/db/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import * as repo from './companies.repo.js';

import { companyView, type CompanyView } from './companies.views.js';

export type { CompanyView } from './companies.views.js';

export interface CompanyInput {
  readonly name: string;
  readonly vatId?: string | null | undefined;
  readonly registrationId?: string | null | undefined;
  readonly country: string;
}

/** VAT IDs are stored upper-case without spaces, dots or dashes, as the extraction result writes them. */
export function normalizeVatId(vatId: string | null | undefined): string | null {
  if (!vatId) return null;
  return vatId.toUpperCase().replace(/[\s.-]/g, '');
}

export interface CompaniesService {
  createCompany(ctx: RequestContext, input: CompanyInput): Promise<CompanyView>;
  listCompanies(ctx: RequestContext): Promise<CompanyView[]>;
  getCompany(ctx: RequestContext, id: string): Promise<CompanyView>;
  updateCompany(ctx: RequestContext, id: string, changes: Partial<CompanyInput>): Promise<CompanyView>;
  deleteCompany(ctx: RequestContext, id: string): Promise<void>;
  /** Inside a tenant transaction: throws 404 unless the company exists and the caller may use it. */
  assertUsable(tx: Tx, ctx: RequestContext, id: string): Promise<void>;
  /** Throws 400 unless every id is a company of the tenant (for token restrictions). */
  assertAllExist(ctx: RequestContext, ids: readonly string[]): Promise<void>;
  /**
   * The tenant's company with this VAT ID; with `withinCompanyIds`, only one of those (a
   * restricted principal's companies), so a lookup on its behalf never reaches past them.
   */
  findByVatId(
    tx: Tx,
    tenantId: string,
    vatId: string,
    withinCompanyIds?: readonly string[],
  ): Promise<CompanyView | null>;
}

export function createCompaniesService(deps: { db: Db; audit: AuditService }): CompaniesService {
  const { db, audit } = deps;
  const clean = (input: Partial<CompanyInput>): Partial<repo.CompanyInput> => ({
    ...(input.name !== undefined ? { name: input.name.normalize('NFC').trim() } : {}),
    ...(input.vatId !== undefined ? { vatId: normalizeVatId(input.vatId) } : {}),
    ...(input.registrationId !== undefined ? { registrationId: input.registrationId?.trim() || null } : {}),
    ...(input.country !== undefined ? { country: input.country.toUpperCase() } : {}),
  });

  return {
    async createCompany(ctx, input) {
      return db.withTenant(ctx, async (tx) => {
        const company = await repo.insertCompany(tx, ctx.tenantId, clean(input) as repo.CompanyInput);
        await audit.record(tx, ctx, {
          action: 'company.created',
          target: { type: 'company', id: company.id },
        });
        return companyView(company);
      });
    },

    listCompanies: async (ctx) =>
      (await db.withTenant(ctx, (tx) => repo.listCompanies(tx, ctx.tenantId, allowedCompanyIds(ctx)))).map(
        companyView,
      ),

    async getCompany(ctx, id) {
      const company = await db.withTenant(ctx, (tx) =>
        repo.findCompany(tx, ctx.tenantId, id, allowedCompanyIds(ctx)),
      );
      if (!company) throw new NotFoundError('The company does not exist.');
      return companyView(company);
    },

    async updateCompany(ctx, id, changes) {
      return db.withTenant(ctx, async (tx) => {
        if (!(await repo.findCompany(tx, ctx.tenantId, id, allowedCompanyIds(ctx))))
          throw new NotFoundError('The company does not exist.');
        const updated = await repo.updateCompany(tx, ctx.tenantId, id, clean(changes));
        await audit.record(tx, ctx, {
          action: 'company.updated',
          target: { type: 'company', id },
          payload: { fields: Object.keys(changes).sort() },
        });
        return companyView(updated);
      });
    },

    async deleteCompany(ctx, id) {
      try {
        await db.withTenant(ctx, async (tx) => {
          if (!(await repo.findCompany(tx, ctx.tenantId, id, allowedCompanyIds(ctx))))
            throw new NotFoundError('The company does not exist.');
          await repo.deleteCompany(tx, ctx.tenantId, id);
          await audit.record(tx, ctx, { action: 'company.deleted', target: { type: 'company', id } });
        });
      } catch (error) {
        if (isForeignKeyViolation(error))
          throw new ConflictError('The company still has documents.', 'company_has_documents');
        throw error;
      }
    },

    async assertUsable(tx, ctx, id) {
      if (!(await repo.findCompany(tx, ctx.tenantId, id, allowedCompanyIds(ctx))))
        throw new NotFoundError('The company does not exist.');
    },

    async assertAllExist(ctx, ids) {
      const unique = [...new Set(ids)];
      const found = await db.withTenant(ctx, (tx) => repo.countExisting(tx, ctx.tenantId, unique));
      if (found !== unique.length) {
        throw new ValidationFailedError('Every company id must be a company of this firm.', [
          { field: 'body.companyIds', message: 'contains an unknown company' },
        ]);
      }
    },

    async findByVatId(tx, tenantId, vatId, withinCompanyIds) {
      const company = await repo.findCompanyByVatId(tx, tenantId, vatId, withinCompanyIds);
      return company && companyView(company);
    },
  };
}
