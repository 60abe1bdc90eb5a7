/**
 * Request metrics: in-flight requests and a duration histogram by method, route template and
 * status. The route is Fastify's template (`/v1/documents/:id`), never the raw URL, so the label
 * holds no ids, names or query strings and its cardinality is the number of routes; a request
 * that matched no route is `unmatched`. Cost per request: two gauge updates and one histogram
 * observation (no allocation beyond the label lookup).
 */
import type { FastifyInstance } from 'fastify';
import { httpRequestDuration, httpRequestsInFlight } from '../platform/metrics.js';

const startedAt = Symbol('metricsStartedAt');

declare module 'fastify' {
  interface FastifyRequest {
    [startedAt]?: number;
  }
}

export function registerHttpMetrics(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    request[startedAt] = performance.now();
    httpRequestsInFlight.inc();
  });
  app.addHook('onResponse', async (request, reply) => {
    const started = request[startedAt];
    if (started === undefined) return;
    httpRequestsInFlight.dec();
    httpRequestDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: reply.statusCode,
      },
      (performance.now() - started) / 1000,
    );
  });
  // A client that hangs up never reaches onResponse for some paths; do not leak the gauge.
  app.addHook('onRequestAbort', async (request) => {
    if (request[startedAt] === undefined) return;
    request[startedAt] = undefined;
    httpRequestsInFlight.dec();
  });
}
