/** Webhook endpoints of the firm and their delivery log. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../http.js';
import { IdParams, listOf, pageLimit } from '../http-schemas.js';
import type { WebhooksService } from './webhooks.service.js';
import * as s from './webhooks.schemas.js';

const tags = ['webhooks'];

export function webhooksRoutes(deps: { webhooks: WebhooksService }): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/webhooks',
      {
        config: { permission: 'webhooks:manage' },
        schema: {
          tags,
          operationId: 'createWebhook',
          summary: 'Register an endpoint; the signing secret is shown only in this response',
          description:
            'Deliveries are POSTed as JSON with `Doklad-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, ' +
            'retried with exponential backoff; an endpoint is disabled after repeated failures. https only; ' +
            'private, loopback and link-local targets are refused.',
          body: z.object({ url: s.Url, events: z.array(s.Event).min(1) }),
          response: { 201: s.Endpoint.extend({ secret: z.string() }) },
        },
      },
      async (request, reply) => {
        const created = await deps.webhooks.createEndpoint(contextOf(request), request.body);
        return reply
          .status(201)
          .header('location', `/v1/webhooks/${created.id}`)
          .header('cache-control', 'no-store')
          .send(created);
      },
    );
    app.get(
      '/v1/webhooks',
      {
        config: { permission: 'webhooks:manage' },
        schema: {
          tags,
          operationId: 'listWebhooks',
          summary: 'List webhook endpoints',
          response: { 200: listOf(s.Endpoint) },
        },
      },
      async (request) => ({ items: await deps.webhooks.listEndpoints(contextOf(request)), nextCursor: null }),
    );
    app.get(
      '/v1/webhooks/:id',
      {
        config: { permission: 'webhooks:manage' },
        schema: {
          tags,
          operationId: 'getWebhook',
          summary: 'Get one webhook endpoint',
          params: IdParams,
          response: { 200: s.Endpoint },
        },
      },
      async (request) => deps.webhooks.getEndpoint(contextOf(request), request.params.id),
    );
    app.patch(
      '/v1/webhooks/:id',
      {
        config: { permission: 'webhooks:manage' },
        schema: {
          tags,
          operationId: 'updateWebhook',
          summary: 'Change URL or events, or (re)activate',
          params: IdParams,
          body: z.object({
            url: s.Url.optional(),
            events: z.array(s.Event).min(1).optional(),
            active: z.boolean().optional(),
          }),
          response: { 200: s.Endpoint },
        },
      },
      async (request) => deps.webhooks.updateEndpoint(contextOf(request), request.params.id, request.body),
    );
    app.delete(
      '/v1/webhooks/:id',
      {
        config: { permission: 'webhooks:manage' },
        schema: {
          tags,
          operationId: 'deleteWebhook',
          summary: 'Delete a webhook endpoint',
          params: IdParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await deps.webhooks.deleteEndpoint(contextOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );
    app.get(
      '/v1/webhooks/:id/deliveries',
      {
        config: { permission: 'webhooks:manage' },
        schema: {
          tags,
          operationId: 'listWebhookDeliveries',
          summary: 'The latest deliveries with their outcome',
          params: IdParams,
          querystring: z.object({ limit: pageLimit() }),
          response: { 200: listOf(s.Delivery) },
        },
      },
      async (request) => ({
        items: (await deps.webhooks.listDeliveries(
          contextOf(request),
          request.params.id,
          request.query.limit,
        )) as never,
        nextCursor: null,
      }),
    );
  };
}
