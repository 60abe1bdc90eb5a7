/**
 * Webhooks for ERP agents: endpoints per firm, each with a signing secret shown once (stored
 * sealed), and their delivery log. Targets inside private networks are refused (see
 * webhook-target.ts). Events become deliveries in webhooks.outbox.ts, and are sent by
 * webhooks.delivery.ts; an endpoint that keeps failing is disabled there.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { NotFoundError } from '../../core/errors.js';
import type { RequestContext } from '../../core/request-context.js';
import type { SecretBox } from '../../platform/crypto/secret-box.js';
import { generateToken } from '../../platform/crypto/tokens.js';
import type { Db, Tx } from '../../platform/db/db.js';
import type { AuditService } from '../audit/audit.service.js';
import { resolveDeliveryTarget } from './webhook-target.js';
import * as repo from './webhooks.repo.js';
import { deliveryView, endpointView, type DeliveryView, type EndpointView } from './webhooks.views.js';

export const WEBHOOK_EVENTS = [
  'document.extracted',
  'document.needs_review',
  'document.failed',
  'extraction.validated',
  // A person changed an extraction the ERP had already taken over: fetch the new version.
  'extraction.changed_after_export',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export type { DeliveryView, EndpointView } from './webhooks.views.js';

export interface WebhookEndpointSettings {
  readonly allowPrivateTargets: boolean;
}

export interface WebhooksService {
  createEndpoint(
    ctx: RequestContext,
    input: { url: string; events: WebhookEvent[] },
  ): Promise<EndpointView & { secret: string }>;
  listEndpoints(ctx: RequestContext): Promise<EndpointView[]>;
  getEndpoint(ctx: RequestContext, id: string): Promise<EndpointView>;
  updateEndpoint(
    ctx: RequestContext,
    id: string,
    changes: { url?: string; events?: WebhookEvent[]; active?: boolean },
  ): Promise<EndpointView>;
  deleteEndpoint(ctx: RequestContext, id: string): Promise<void>;
  listDeliveries(ctx: RequestContext, id: string, limit: number): Promise<DeliveryView[]>;
}

/** The context an endpoint's signing secret is sealed with: bound to the endpoint's id. */
export const sealContext = (id: string): string => `webhook:${id}`;

export function createWebhooksService(deps: {
  db: Db;
  audit: AuditService;
  secretBox: SecretBox;
  clock: Clock;
  settings: WebhookEndpointSettings;
}): WebhooksService {
  const { db, audit, clock, settings } = deps;

  async function visible(tx: Tx, ctx: RequestContext, id: string) {
    const row = await repo.findEndpoint(tx, ctx.tenantId, id);
    if (!row) throw new NotFoundError('The webhook does not exist.');
    return row;
  }

  return {
    async createEndpoint(ctx, input) {
      await resolveDeliveryTarget(input.url, settings.allowPrivateTargets);
      const id = randomUUID();
      const secret = generateToken('whsec_');
      const secretSealed = await deps.secretBox.seal(Buffer.from(secret), sealContext(id));
      const row = await db.withTenant(ctx, async (tx) => {
        const created = await repo.insertEndpoint(tx, {
          id,
          tenantId: ctx.tenantId,
          url: input.url,
          events: [...new Set(input.events)],
          secretSealed,
          createdBy: `${ctx.actor.kind}:${ctx.actor.id}`,
        });
        await audit.record(tx, ctx, {
          action: 'webhook.created',
          target: { type: 'webhook', id },
          payload: { url: input.url, events: created.events },
        });
        return created;
      });
      return { ...endpointView(row), secret };
    },

    listEndpoints: async (ctx) =>
      (await db.withTenant(ctx, (tx) => repo.listEndpoints(tx, ctx.tenantId))).map(endpointView),

    getEndpoint: async (ctx, id) => endpointView(await db.withTenant(ctx, (tx) => visible(tx, ctx, id))),

    async updateEndpoint(ctx, id, changes) {
      if (changes.url) await resolveDeliveryTarget(changes.url, settings.allowPrivateTargets);
      return db.withTenant(ctx, async (tx) => {
        await visible(tx, ctx, id);
        const updated = await repo.updateEndpoint(tx, ctx.tenantId, id, {
          ...(changes.url ? { url: changes.url } : {}),
          ...(changes.events ? { events: [...new Set(changes.events)] } : {}),
          // Re-activating clears the failure streak that disabled it.
          ...(changes.active !== undefined
            ? {
                active: changes.active,
                ...(changes.active ? { disabledReason: null, consecutiveFailures: 0 } : {}),
              }
            : {}),
        });
        await audit.record(tx, ctx, {
          action: 'webhook.updated',
          target: { type: 'webhook', id },
          payload: changes,
        });
        return endpointView(updated);
      });
    },

    async deleteEndpoint(ctx, id) {
      await db.withTenant(ctx, async (tx) => {
        await visible(tx, ctx, id);
        await repo.updateEndpoint(tx, ctx.tenantId, id, { deletedAt: clock(), active: false });
        await audit.record(tx, ctx, { action: 'webhook.deleted', target: { type: 'webhook', id } });
      });
    },

    async listDeliveries(ctx, id, limit) {
      return db.withTenant(ctx, async (tx) => {
        await visible(tx, ctx, id);
        return (await repo.listDeliveries(tx, ctx.tenantId, id, limit)).map(deliveryView);
      });
    },
  };
}
