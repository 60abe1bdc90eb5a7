/** zod schemas of the webhook routes. */
import { z } from 'zod';
import { IsoDateTime } from '../http-schemas.js';
import { WEBHOOK_EVENTS } from './webhooks.service.js';

export const Event = z.enum(WEBHOOK_EVENTS);
export const Endpoint = z.object({
  id: z.uuid(),
  url: z.string(),
  events: z.array(z.string()),
  active: z.boolean(),
  disabledReason: z.string().nullable(),
  consecutiveFailures: z.number().int(),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
});
export const Delivery = z.object({
  id: z.uuid(),
  eventId: z.uuid(),
  eventType: z.string(),
  status: z.enum(['pending', 'succeeded', 'failed']),
  attempts: z.number().int(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: IsoDateTime,
  deliveredAt: IsoDateTime.nullable(),
});
export const Url = z.string().trim().min(8).max(2000);
