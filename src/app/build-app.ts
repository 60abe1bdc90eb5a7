/**
 * Builds the Fastify application from already-constructed dependencies; it opens no connections
 * and listens on nothing, so tests can `inject()` into it and main-api.ts can `listen()`.
 */
import { randomUUID } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
} from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { pingRedis } from '../platform/redis.js';
import { countHealthyWorkers } from '../platform/worker-health.js';
import multipart from '@fastify/multipart';
import { auditRoutes } from '../modules/audit/audit.routes.js';
import { authRoutes } from '../modules/auth/auth.routes.js';
import { companiesRoutes } from '../modules/companies/companies.routes.js';
import { documentsRoutes } from '../modules/documents/documents.routes.js';
import { extractionsRoutes } from '../modules/extractions/extractions.routes.js';
import { webhooksRoutes } from '../modules/webhooks/webhooks.routes.js';
import { retentionRoutes } from '../modules/documents/retention.routes.js';
import { consoleSessionRoutes } from '../modules/auth/console-session.routes.js';
import { meRoutes } from '../modules/auth/me.routes.js';
import { membersRoutes } from '../modules/members/members.routes.js';
import { tenantsRoutes } from '../modules/tenants/tenants.routes.js';
import { privacyRoutes } from '../modules/privacy/privacy.routes.js';
import { exportsRoutes } from '../modules/privacy/privacy.exports.routes.js';
import { tokensRoutes } from '../modules/tokens/tokens.routes.js';
import { registerAdminQueues } from './admin-queues.js';
import { registerAuthentication } from './authenticate.js';
import { registerErrorHandling, renderFrameworkError } from './error-handler.js';
import { registerHttpMetrics } from './http-metrics.js';
import { registerTextInputCheck } from './text-input.js';
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

export type AppDeps = Container;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    genReqId: requestIdOf,
    requestIdHeader: false,
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    return503OnClosing: true,
    // One line per request (below) instead of Fastify's two ("incoming request" and "request
    // completed"), which doubled the log and split what belongs together.
    logController: new LogController({ disableRequestLogging: true }),
    frameworkErrors: renderFrameworkError,
  });

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route's template, never the URL: paths and queries can carry ids and tokens.
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? '(no route)',
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
  });

  // Observability first, so every request (refused ones too) is timed. /metrics itself is served
  // on a listener of its own (platform/metrics-server.ts), never by this app.
  registerHttpMetrics(app);
  registerAuthentication(app, deps);
  // Security (and so the rate limit) before the guard: refused credentials are counted too.
  await registerSecurity(app, {
    redis: deps.redis,
    redisKeyPrefix: config.redis.keyPrefix,
    rateLimitMax: config.http.rateLimit.max,
    rateLimitWindowMs: config.http.rateLimit.windowMs,
  });
  registerRouteGuard(app, { clock: deps.clock, stepUpWindowMs: config.sessions.stepUpWindowMs });
  registerErrorHandling(app);
  registerTextInputCheck(app);
  await app.register(multipart, {
    // One file per upload; our own streaming check enforces the size limit (one byte more here, so
    // ours fires first with a clear 413).
    limits: { files: 1, fields: 10, fieldSize: 4096, parts: 12, fileSize: config.documents.maxBytes + 1 },
  });
  if (config.http.docsEnabled) await registerOpenApi(app, deps.version);

  const checks: ReadinessCheck[] = [
    { name: 'database', check: () => deps.db.ping() },
    { name: 'redis', check: () => pingRedis(deps.redis) },
    {
      name: 'blobStorage',
      check: async () =>
        (await Promise.all(deps.blobStores.all().map((store) => store.ping()))).every(Boolean),
    },
    // Reachable is not enough: a wiped or swapped store answers too, without the documents.
    { name: 'blobContents', check: () => deps.blobPresence.check() },
  ];
  await app.register(
    healthRoutes(checks, {
      check: async () => (await countHealthyWorkers(deps.redis, config.redis.keyPrefix)) > 0,
    }),
  );
  await app.register(authRoutes(deps));
  await app.register(meRoutes(deps));
  await app.register(tenantsRoutes(deps));
  await app.register(membersRoutes(deps));
  await app.register(tokensRoutes(deps));
  await app.register(companiesRoutes(deps));
  await app.register(retentionRoutes(deps));
  await app.register(documentsRoutes({ ...deps, maxBytes: config.documents.maxBytes }));
  await app.register(extractionsRoutes(deps));
  await app.register(webhooksRoutes(deps));
  await app.register(auditRoutes(deps));
  await app.register(privacyRoutes(deps));
  await app.register(exportsRoutes(deps));
  await app.register(
    consoleSessionRoutes({
      platformAdmins: deps.platformAdmins,
      clock: deps.clock,
      sessionIdleTimeoutMs: config.sessions.idleTimeoutMs,
    }),
  );
  // Always registered: who may use it is decided per request (platform role, verified email, TOTP).
  await registerAdminQueues(app, {
    queues: () => deps.queues.all(),
    principals: deps.principals,
    platformAdmins: deps.platformAdmins,
    clock: deps.clock,
    stepUpWindowMs: config.sessions.stepUpWindowMs,
    publicOrigin: new URL(config.http.publicBaseUrl).origin,
  });

  return app;
}
