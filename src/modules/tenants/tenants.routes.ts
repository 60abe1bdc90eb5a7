/** The caller's own firm (tenant). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { userOf } from '../http.js';
import { IsoDateTime } from '../http-schemas.js';
import type { TenantRow, TenantsService } from './tenants.service.js';
import type { TenantStatus } from './tenants.status.js';

const tags = ['tenant'];
const TenantView = z.object({
  id: z.uuid(),
  name: z.string(),
  region: z.string(),
  requireMfa: z.boolean(),
  status: z
    .enum(['active', 'suspended', 'offboarding', 'offboarded'])
    .describe('offboarding: the firm is being closed (see GET /v1/tenant/offboarding).'),
  createdAt: IsoDateTime,
});
const view = (t: TenantRow) => ({
  id: t.id,
  name: t.name,
  region: t.region,
  requireMfa: t.requireMfa,
  // The column's CHECK constraint admits exactly these values.
  status: t.status as TenantStatus,
  createdAt: t.createdAt,
});

export function tenantsRoutes(deps: { tenants: TenantsService }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/tenant',
      {
        // Open while the firm is being closed, so its people can see why everything else is refused.
        config: { userOnly: true, duringOffboarding: true },
        schema: { tags, operationId: 'getTenant', summary: 'Get your firm', response: { 200: TenantView } },
      },
      async (request) => view(await deps.tenants.getTenant(userOf(request).ctx)),
    );

    app.patch(
      '/v1/tenant',
      {
        config: { permission: 'tenant:manage', userOnly: true, stepUp: true },
        schema: {
          tags,
          operationId: 'updateTenant',
          summary: 'Rename the firm, or require two-factor authentication for all members',
          body: z.object({
            name: z.string().trim().min(1).max(200).optional(),
            requireMfa: z.boolean().optional(),
          }),
          response: { 200: TenantView },
        },
      },
      async (request) => view(await deps.tenants.updateTenant(userOf(request).ctx, request.body)),
    );
  };
}
