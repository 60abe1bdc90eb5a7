/**
 * Builds the Fastify application from already-constructed dependencies; it opens no connections
 * and listens on nothing, so tests can `inject()` into it and main-api.ts can `listen()`.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { pingRedis } from '../platform/redis.js';
import { registerErrorHandling } from './error-handler.js';
import { healthRoutes, type ReadinessCheck } from './health.routes.js';
import { registerOpenApi } from './openapi.js';
import { registerRouteGuard } from './route-guard.js';
import { registerSecurity } from './security.js';
import type { Container } from '../container.js';

/** A caller-supplied request id is kept only when it is short and plain, so it is safe to log. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

function requestIdOf(request: { headers: FastifyRequest['headers'] }): string {
  const supplied = request.headers['x-request-id'];
  return typeof supplied === 'string' && SAFE_REQUEST_ID.test(supplied) ? supplied : randomUUID();
}

export type AppDeps = Pick<Container, 'config' | 'logger' | 'db' | 'redis' | 'blobStore' | 'version'>;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    genReqId: requestIdOf,
    requestIdHeader: false,
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    return503OnClosing: true,
  });

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  registerRouteGuard(app);
  await registerSecurity(app, {
    redis: deps.redis,
    redisKeyPrefix: config.REDIS_KEY_PREFIX,
    rateLimitMax: config.RATE_LIMIT_MAX,
    rateLimitWindowMs: config.RATE_LIMIT_WINDOW_MS,
  });
  registerErrorHandling(app);
  if (config.DOCS_ENABLED) await registerOpenApi(app, deps.version);

  const checks: ReadinessCheck[] = [
    { name: 'database', check: () => deps.db.ping() },
    { name: 'redis', check: () => pingRedis(deps.redis) },
    { name: 'blobStorage', check: () => deps.blobStore.ping() },
  ];
  await app.register(healthRoutes(checks));

  return app;
}
