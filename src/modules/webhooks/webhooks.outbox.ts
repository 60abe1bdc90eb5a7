/**
 * The webhook outbox: an event's deliveries are written in the same transaction as the change
 * that caused it (one pending row per subscribed endpoint), put on the queue after the commit,
 * and the relay (a maintenance job) enqueues any that missed the queue. Sending them is
 * webhooks.delivery.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Clock } from '../../core/clock.js';
import type { RequestContext } from '../../core/request-context.js';
import type { Db, Tx } from '../../platform/db/db.js';
import { workerContext } from '../../platform/jobs.js';
import type { TenantsService } from '../tenants/tenants.service.js';
import { enqueueDeliveries } from './webhooks.jobs.js';
import type { WebhookEvent } from './webhooks.service.js';
import * as repo from './webhooks.repo.js';

/** A pending delivery older than this missed the queue: the relay enqueues it. */
const RELAY_AFTER_MS = 60_000;
const RELAY_BATCH = 500;

export interface WebhookOutbox {
  /** Inside the caller's transaction: one pending delivery per subscribed endpoint. */
  recordEvent(
    tx: Tx,
    ctx: RequestContext,
    type: WebhookEvent,
    data: Record<string, unknown>,
  ): Promise<string[]>;
  /** After commit: puts deliveries on the queue (the relay catches any this misses). */
  dispatch(tenantId: string, deliveryIds: readonly string[]): Promise<void>;
  /** Enqueues pending deliveries older than a minute (lost between commit and queue). */
  relay(): Promise<{ enqueued: number }>;
}

export function createWebhookOutbox(deps: {
  db: Db;
  tenants: TenantsService;
  queue: () => Queue;
  clock: Clock;
  settings: { readonly attempts: number; readonly backoffMs: number };
}): WebhookOutbox {
  const { db, clock, settings } = deps;
  const enqueue = (tenantId: string, ids: readonly string[]) =>
    enqueueDeliveries(deps.queue(), tenantId, ids, settings);

  return {
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

    async relay() {
      let enqueued = 0;
      for (const tenantId of await deps.tenants.listActiveTenantIds()) {
        const pending = await db.withTenant(workerContext(tenantId, 'webhooks'), (tx) =>
          repo.listPending(tx, tenantId, new Date(clock().getTime() - RELAY_AFTER_MS), RELAY_BATCH),
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
