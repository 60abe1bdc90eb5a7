/** The caller's own firm (tenant). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { userOf } from '../http.js';
import type { TenantsService } from './tenants.service.js';
import * as s from './tenants.schemas.js';

const tags = ['tenant'];

export function tenantsRoutes(deps: { tenants: TenantsService }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/tenant',
      {
        // Open while the firm is being closed, so its people can see why everything else is refused.
        config: { userOnly: true, duringOffboarding: true },
        schema: { tags, operationId: 'getTenant', summary: 'Get your firm', response: { 200: s.TenantView } },
      },
      async (request) => deps.tenants.getTenant(userOf(request).ctx),
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
          response: { 200: s.TenantView },
        },
      },
      async (request) => deps.tenants.updateTenant(userOf(request).ctx, request.body),
    );
  };
}
