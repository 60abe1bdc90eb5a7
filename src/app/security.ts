/**
 * Protective HTTP behaviour shared by every route: helmet's headers and a Redis-backed rate limit
 * keyed by the authenticated principal when there is one, otherwise by client IP.
 */
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { rateLimitRefusals } from '../platform/metrics.js';

export interface SecurityOptions {
  readonly redis: Redis;
  readonly redisKeyPrefix: string;
  readonly rateLimitMax: number;
  readonly rateLimitWindowMs: number;
}

export async function registerSecurity(app: FastifyInstance, options: SecurityOptions): Promise<void> {
  await app.register(helmet, {
    // A JSON API renders no documents, so the strictest policy fits; /docs sets its own.
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  // API answers carry tenant data or secrets (session tokens from sign-in and sign-up): no cache
  // may keep them. A route that wants other caching sets its own header.
  app.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });
  await app.register(rateLimit, {
    global: true,
    // After the authentication hook (also onRequest, registered first) so the key can be the
    // principal, and before the route guard (preHandler), so refused credentials count too: a
    // client guessing tokens is throttled like any other.
    hook: 'onRequest',
    max: options.rateLimitMax,
    timeWindow: options.rateLimitWindowMs,
    redis: options.redis,
    nameSpace: `${options.redisKeyPrefix}:rate-limit:`,
    keyGenerator: (request) =>
      request.ctx ? `${request.ctx.actor.kind}:${request.ctx.actor.id}` : `ip:${request.ip}`,
    // While Redis is unreachable requests are served without counting (and /readyz reports the
    // outage) rather than the whole API failing; login throttling does not depend on this limit.
    skipOnError: true,
    onExceeded: (request) =>
      rateLimitRefusals.inc({ principal_kind: request.ctx?.actor.kind ?? 'anonymous' }),
  });
}
