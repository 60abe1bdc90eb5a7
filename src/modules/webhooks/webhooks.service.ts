/**
 * Webhooks for ERP agents: endpoints per firm, a signing secret shown once (stored sealed),
 * deliveries written in the same transaction as the event (outbox) and sent by the worker with
 * retries and exponential backoff. An endpoint that keeps failing is disabled. Targets inside
 * private networks are refused (see webhook-target.ts).
 */
import { randomUUID } from 'node:crypto';
import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import type { Clock } from '../../core/clock.js';
import { NotFoundError } from '../../core/errors.js';
import { systemContext, type RequestContext } from '../../core/request-context.js';
import type { SecretBox } from '../../platform/crypto/secret-box.js';
import { generateToken } from '../../platform/crypto/tokens.js';
import type { Db, Tx } from '../../platform/db/db.js';
import { webhookDeliveries, webhookEndpointsDisabled } from '../../platform/metrics.js';
import { currentTraceCarrier, type TraceCarrier } from '../../platform/tracing.js';
import type { AuditService } from '../audit/audit.service.js';
import type { TenantsService } from '../tenants/tenants.service.js';
import { signatureHeader, SIGNATURE_HEADER } from './webhook-signature.js';
import { postToTarget } from './webhook-post.js';
import { resolveDeliveryTarget } from './webhook-target.js';
import * as repo from './webhooks.repo.js';
import { deliveryView, endpointView, type DeliveryView, type EndpointView } from './webhooks.views.js';

export const WEBHOOK_QUEUE = 'webhooks';
export const WEBHOOK_EVENTS = [
  'document.extracted',
  'document.needs_review',
  'document.failed',
  'extraction.validated',
  // A person changed an extraction the ERP had already taken over: fetch the new version.
  'extraction.changed_after_export',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookSettings {
  readonly allowPrivateTargets: boolean;
  readonly attempts: number;
  readonly backoffMs: number;
  readonly timeoutMs: number;
  /** Deliveries in a row that failed for good before the endpoint is disabled. */
  readonly disableAfterFailures: number;
}

export interface DeliveryJobData extends TraceCarrier {
  readonly tenantId: string;
  readonly deliveryId: string;
}

export type { DeliveryView, EndpointView } from './webhooks.views.js';

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
  /** Inside the caller's transaction: one pending delivery per subscribed endpoint. */
  recordEvent(
    tx: Tx,
    ctx: RequestContext,
    type: WebhookEvent,
    data: Record<string, unknown>,
  ): Promise<string[]>;
  /** After commit: puts deliveries on the queue (the relay catches any this misses). */
  dispatch(tenantId: string, deliveryIds: readonly string[]): Promise<void>;
  /** The BullMQ processor. */
  deliver(job: Job<DeliveryJobData>): Promise<{ statusCode: number }>;
  /** Called when a delivery failed for the last time. */
  markDeliveryFailed(data: DeliveryJobData, reason: string): Promise<void>;
  /** Enqueues pending deliveries older than a minute (lost between commit and queue). */
  relay(): Promise<{ enqueued: number }>;
}

const DELIVERY_FAILED = 'Webhook delivery failed: ';
const ENDPOINT_GONE = 'The webhook endpoint is disabled or deleted.';

/**
 * The final failure reason shown in the delivery log (`lastError`): what `deliver` says about the
 * receiver (its HTTP status or network error, or that the endpoint is gone). Any other error
 * (database, key vault) carries internal detail that stays in the worker's log.
 */
export function deliveryFailureReason(reason: string): string {
  return reason.startsWith(DELIVERY_FAILED) || reason === ENDPOINT_GONE
    ? reason
    : 'internal_error: the delivery could not be attempted';
}

const sealContext = (id: string) => `webhook:${id}`;

export function createWebhooksService(deps: {
  db: Db;
  audit: AuditService;
  tenants: TenantsService;
  secretBox: SecretBox;
  queue: () => Queue<DeliveryJobData>;
  clock: Clock;
  settings: WebhookSettings;
}): WebhooksService {
  const { db, audit, clock, settings } = deps;
  const workerCtx = (tenantId: string) => systemContext(tenantId, { kind: 'worker', id: 'worker:webhooks' });

  async function visible(tx: Tx, ctx: RequestContext, id: string) {
    const row = await repo.findEndpoint(tx, ctx.tenantId, id);
    if (!row) throw new NotFoundError('The webhook does not exist.');
    return row;
  }

  async function enqueue(tenantId: string, ids: readonly string[]) {
    for (const deliveryId of ids) {
      await deps.queue().add(
        'deliver',
        // The trace context of the change that caused the event (an extraction's, usually).
        { tenantId, deliveryId, ...currentTraceCarrier() },
        {
          jobId: `webhook-${deliveryId}`,
          attempts: settings.attempts,
          backoff: { type: 'exponential', delay: settings.backoffMs },
        },
      );
    }
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

    async recordEvent(tx, ctx, type, data) {
      const endpoints = await repo.subscribers(tx, ctx.tenantId, type);
      if (endpoints.length === 0) return [];
      const eventId = randomUUID();
      const payload = JSON.parse(
        JSON.stringify({ id: eventId, type, createdAt: clock().toISOString(), tenantId: ctx.tenantId, data }),
      ) as object;
      return repo.insertDeliveries(
        tx,
        endpoints.map((e) => ({
          tenantId: ctx.tenantId,
          endpointId: e.id,
          eventId,
          eventType: type,
          payload,
        })),
      );
    },

    async dispatch(tenantId, ids) {
      await enqueue(tenantId, ids).catch(() => undefined); // the relay retries what did not make it
    },

    async deliver(job) {
      const { tenantId, deliveryId } = job.data;
      const ctx = workerCtx(tenantId);
      const loaded = await db.withTenant(ctx, async (tx) => {
        const delivery = await repo.findDelivery(tx, tenantId, deliveryId);
        const endpoint = delivery ? await repo.findEndpoint(tx, tenantId, delivery.endpointId) : null;
        return { delivery, endpoint };
      });
      const { delivery, endpoint } = loaded;
      if (!delivery || delivery.status !== 'pending') return { statusCode: delivery?.lastStatusCode ?? 0 };
      if (!endpoint || !endpoint.active) throw new UnrecoverableError(ENDPOINT_GONE);
      const secret = (await deps.secretBox.open(endpoint.secretSealed, sealContext(endpoint.id))).toString(
        'utf8',
      );
      const body = JSON.stringify(delivery.payload);
      const attempt = job.attemptsMade + 1;
      let statusCode = 0;
      let error: string | null = null;
      try {
        const target = await resolveDeliveryTarget(endpoint.url, settings.allowPrivateTargets);
        statusCode = await postToTarget(
          target,
          body,
          {
            [SIGNATURE_HEADER]: signatureHeader(secret, body, Math.floor(clock().getTime() / 1000)),
            'doklad-event-id': delivery.eventId,
            'doklad-event-type': delivery.eventType,
            'doklad-delivery-id': delivery.id,
          },
          settings.timeoutMs,
        );
        if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
      } catch (caught) {
        error = caught instanceof Error ? caught.message : String(caught);
      }
      await db.withTenant(ctx, async (tx) => {
        await repo.updateDelivery(tx, tenantId, deliveryId, {
          attempts: attempt,
          lastStatusCode: statusCode || null,
          lastError: error?.slice(0, 500) ?? null,
          ...(error ? {} : { status: 'succeeded', deliveredAt: clock() }),
        });
        if (!error) await repo.updateEndpoint(tx, tenantId, endpoint.id, { consecutiveFailures: 0 });
      });
      webhookDeliveries.inc({ outcome: error ? 'attempt_failed' : 'delivered' });
      if (error) throw new Error(`${DELIVERY_FAILED}${error}`);
      return { statusCode };
    },

    async markDeliveryFailed(data, reason) {
      const ctx = workerCtx(data.tenantId);
      const marked = await db.withTenant(ctx, async (tx) => {
        const delivery = await repo.findDelivery(tx, data.tenantId, data.deliveryId);
        if (!delivery || delivery.status !== 'pending') return null;
        await repo.updateDelivery(tx, data.tenantId, data.deliveryId, {
          status: 'failed',
          lastError: deliveryFailureReason(reason).slice(0, 500),
        });
        const endpointId = delivery.endpointId;
        const failures = await repo.incrementFailures(tx, data.tenantId, endpointId);
        const disable = failures >= settings.disableAfterFailures;
        if (disable)
          await repo.updateEndpoint(tx, data.tenantId, endpointId, {
            active: false,
            disabledReason: `${failures} deliveries in a row failed`,
          });
        await audit.record(tx, ctx, {
          action: disable ? 'webhook.disabled' : 'webhook.delivery_failed',
          target: { type: 'webhook', id: endpointId },
          payload: { deliveryId: data.deliveryId, failures },
        });
        return { disabled: disable };
      });
      if (marked) webhookDeliveries.inc({ outcome: 'failed' });
      if (marked?.disabled) webhookEndpointsDisabled.inc();
    },

    async relay() {
      let enqueued = 0;
      for (const tenantId of await deps.tenants.listActiveTenantIds()) {
        const pending = await db.withTenant(workerCtx(tenantId), (tx) =>
          repo.listPending(tx, tenantId, new Date(clock().getTime() - 60_000), 500),
        );
        await enqueue(
          tenantId,
          pending.map((p) => p.id),
        );
        enqueued += pending.length;
      }
      return { enqueued };
    },
  };
}
