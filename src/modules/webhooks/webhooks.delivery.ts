/**
 * Sending one webhook delivery (the `deliver` job's work, webhooks.jobs.ts): the signed POST to the
 * endpoint (targets inside private networks refused, see webhook-target.ts), the attempt written
 * to the delivery log, and, when a delivery has failed for the last time, the failure counted
 * towards disabling an endpoint that keeps failing.
 */
import { UnrecoverableError } from 'bullmq';
import type { Clock } from '../../core/clock.js';
import type { SecretBox } from '../../platform/crypto/secret-box.js';
import type { Db } from '../../platform/db/db.js';
import { workerContext, type JobAttempt } from '../../platform/jobs.js';
import { webhookDeliveries, webhookEndpointsDisabled } from '../../platform/metrics.js';
import type { AuditService } from '../audit/audit.service.js';
import { signatureHeader, SIGNATURE_HEADER } from './webhook-signature.js';
import { postToTarget } from './webhook-post.js';
import { resolveDeliveryTarget } from './webhook-target.js';
import type { DeliveryJobData } from './webhooks.jobs.js';
import { sealContext } from './webhooks.service.js';
import * as repo from './webhooks.repo.js';

export interface DeliverySettings {
  readonly allowPrivateTargets: boolean;
  readonly timeoutMs: number;
  /** Deliveries in a row that failed for good before the endpoint is disabled. */
  readonly disableAfterFailures: number;
}

export interface WebhookDelivery {
  /** One attempt; throws when the receiver did not answer 2xx (BullMQ retries). */
  deliver(data: DeliveryJobData, attempt: JobAttempt): Promise<{ statusCode: number }>;
  /** Called when a delivery failed for the last time. */
  markDeliveryFailed(data: DeliveryJobData, reason: string): Promise<void>;
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

export function createWebhookDelivery(deps: {
  db: Db;
  audit: AuditService;
  secretBox: SecretBox;
  clock: Clock;
  settings: DeliverySettings;
}): WebhookDelivery {
  const { db, audit, clock, settings } = deps;
  const workerCtx = (tenantId: string) => workerContext(tenantId, 'webhooks');

  return {
    async deliver(data, job) {
      const { tenantId, deliveryId } = data;
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
  };
}
