/** The caller's own firm (tenant). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf, userOf } from '../http.js';
import { IsoDateTime } from '../http-schemas.js';
import { AUTOMATION_LEVELS, type AutomationService } from './tenants.automation.js';
import type { TenantsService } from './tenants.service.js';
import * as s from './tenants.schemas.js';

const tags = ['tenant'];

const Threshold = z
  .number()
  .min(0.5)
  .max(1)
  .describe(
    'Calibrated confidence every field of an automated document must reach (confidences are calibrated so that fields at or above 0.99 were right at least 99.5 % of the time on the evaluation corpus).',
  );
const MinValidated = z
  .number()
  .int()
  .min(0)
  .max(1000)
  .describe('Validated documents of the same supplier required before one of its documents is automated.');
const AutomationView = z.object({
  level: z
    .enum(AUTOMATION_LEVELS)
    .describe(
      'never: every document waits for a person. confident: the worker validates a document when every field read from it is at or above the threshold (a value the supplier profile or directory filled where the page prints none is the firm\u2019s own data and is not held to it, unless it is a required field), no error or warning finding exists (a VAT ID or company id problem a person already accepted for the supplier is an info finding, code <code>_accepted_before), it is no duplicate and its supplier has at least minValidated validated documents. always: the worker validates every document without error findings that is no duplicate.',
    ),
  threshold: Threshold,
  minValidated: MinValidated,
  changedAt: IsoDateTime.nullable(),
});

export function tenantsRoutes(deps: {
  tenants: TenantsService;
  automation: AutomationService;
}): FastifyPluginAsyncZod {
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

    app.get(
      '/v1/tenant/automation',
      {
        config: { permission: 'automation:manage' },
        schema: {
          tags,
          operationId: 'getAutomation',
          summary:
            'The firm\u2019s automation level: which extracted documents are validated without a person',
          description: 'See docs/automation.md. Auto-validations are audited as extraction.auto_validated.',
          response: { 200: AutomationView },
        },
      },
      async (request) => deps.automation.getAutomation(contextOf(request)),
    );

    app.put(
      '/v1/tenant/automation',
      {
        config: { permission: 'automation:manage', userOnly: true, stepUp: true },
        schema: {
          tags,
          operationId: 'putAutomation',
          summary:
            'Choose the automation level (never, confident, always), its threshold and supplier history',
          description:
            'Omitted threshold and minValidated keep their current values (defaults 0.99 and 1). Applies to documents extracted from then on; audited as tenant.automation_changed.',
          body: z
            .object({
              level: AutomationView.shape.level,
              threshold: Threshold.optional(),
              minValidated: MinValidated.optional(),
            })
            .strict(),
          response: { 200: AutomationView },
        },
      },
      async (request) => deps.automation.setAutomation(userOf(request).ctx, request.body),
    );
  };
}
