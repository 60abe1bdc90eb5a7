/** Creating and reading tenants (accounting firms). */
import { randomUUID } from 'node:crypto';
import { NotFoundError, ValidationFailedError } from '../../core/errors.js';
import { systemContext, type Actor, type RequestContext } from '../../core/request-context.js';
import type { Db } from '../../platform/db/db.js';
import type { AuditService } from '../audit/audit.service.js';
import * as repo from './tenants.repo.js';
import type { TenantRow } from './tenants.repo.js';

export interface CreateTenantInput {
  readonly name: string;
  readonly region?: string | undefined;
}

/** Who asks for a new tenant; there is no tenant context yet, the service makes one. */
export interface TenantCreator {
  readonly actor: Actor;
  readonly requestId?: string;
  readonly ip?: string;
  readonly userAgent?: string;
}

export interface TenantsService {
  createTenant(creator: TenantCreator, input: CreateTenantInput): Promise<TenantRow>;
  getTenant(ctx: RequestContext): Promise<TenantRow>;
}

export function createTenantsService(deps: {
  db: Db;
  audit: AuditService;
  regions: readonly string[];
  defaultRegion: string;
}): TenantsService {
  return {
    async createTenant(creator, input) {
      const name = input.name.normalize('NFC').trim();
      const region = input.region ?? deps.defaultRegion;
      if (name.length < 1 || name.length > 200) {
        throw new ValidationFailedError('Tenant name must be 1-200 characters.', [
          { field: 'name', message: 'must be 1-200 characters' },
        ]);
      }
      if (!deps.regions.includes(region)) {
        throw new ValidationFailedError(`Region "${region}" is not one of ${deps.regions.join(', ')}.`, [
          { field: 'region', message: `must be one of ${deps.regions.join(', ')}` },
        ]);
      }
      // The new tenant's own context: RLS admits the insert only for the tenant being created.
      const ctx: RequestContext = { ...systemContext(randomUUID(), creator.actor), ...creator };
      return deps.db.withTenant(ctx, async (tx) => {
        const tenant = await repo.insertTenant(tx, { id: ctx.tenantId, name, region });
        await deps.audit.record(tx, ctx, {
          action: 'tenant.created',
          target: { type: 'tenant', id: tenant.id },
          payload: { region },
        });
        return tenant;
      });
    },

    async getTenant(ctx) {
      const tenant = await deps.db.withTenant(ctx, (tx) => repo.findTenant(tx, ctx.tenantId));
      if (!tenant) throw new NotFoundError('The tenant does not exist.');
      return tenant;
    },
  };
}
