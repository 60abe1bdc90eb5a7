/**
 * The webhooks module's jobs: `deliver` (one delivery to one endpoint, on the webhooks queue, with
 * retries and exponential backoff) and `relay-webhooks` (a maintenance job every minute: pending
 * deliveries that missed the queue). The outbox (webhooks.outbox.ts) enqueues; the delivery
 * (webhooks.delivery.ts) sends.
 */
import type { Queue } from 'bullmq';
import { z } from 'zod';
import {
  defineJob,
  enqueueJob,
  handleJob,
  idField,
  isFinalAttempt,
  MAINTENANCE_QUEUE,
  noPayload,
  type JobAttempt,
  type JobHandler,
} from '../../platform/jobs.js';

export const WEBHOOK_QUEUE = 'webhooks';

const DeliveryJobData = z.object({ tenantId: idField, deliveryId: idField });
export type DeliveryJobData = z.infer<typeof DeliveryJobData>;

/** One delivery; its id is the delivery's, so the relay enqueueing it again is the same job. */
export const deliverWebhookJob = defineJob({
  queue: WEBHOOK_QUEUE,
  name: 'deliver',
  payload: DeliveryJobData,
  jobId: (p) => `webhook-${p.deliveryId}`,
});

export const relayWebhooksJob = defineJob({
  queue: MAINTENANCE_QUEUE,
  name: 'relay-webhooks',
  payload: noPayload,
});

/** Puts deliveries on the queue, after the commit that recorded them; rejects on the first that Redis did not take in time. */
export async function enqueueDeliveries(
  queue: Queue,
  tenantId: string,
  deliveryIds: readonly string[],
  retry: { attempts: number; backoffMs: number },
): Promise<void> {
  for (const deliveryId of deliveryIds) {
    await enqueueJob(
      queue,
      deliverWebhookJob,
      { tenantId, deliveryId },
      { attempts: retry.attempts, backoff: { type: 'exponential', delay: retry.backoffMs } },
    );
  }
}

/** The rules the jobs run: sending (webhooks.delivery.ts) and the relay (webhooks.outbox.ts). */
export interface DeliveryRules {
  deliver(data: DeliveryJobData, attempt: JobAttempt): Promise<unknown>;
  markDeliveryFailed(data: DeliveryJobData, reason: string): Promise<void>;
}

export function webhookJobs(
  delivery: DeliveryRules,
  outbox: { relay(): Promise<unknown> },
): {
  readonly deliver: JobHandler;
  readonly relay: JobHandler;
} {
  return {
    deliver: handleJob(deliverWebhookJob, async (payload, job) => {
      try {
        return await delivery.deliver(payload, job);
      } catch (error) {
        // The last attempt (or an endpoint gone) fails the delivery for good: logged, counted
        // towards disabling the endpoint.
        if (isFinalAttempt(job, error))
          await delivery.markDeliveryFailed(payload, error instanceof Error ? error.message : String(error));
        throw error;
      }
    }),
    relay: handleJob(relayWebhooksJob, () => outbox.relay()),
  };
}
