/**
 * Every route declares who may call it: `config: { permission: '...' }` or `config: { public: true }`.
 * A route that declares neither stops the app from starting, so an endpoint can never be
 * unprotected by omission. The permission check runs before the handler (preHandler), after the
 * auth plugin has resolved the caller's RequestContext.
 */
import type { FastifyInstance } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../core/errors.js';
import type { Permission } from '../core/permissions.js';
import type { RequestContext } from '../core/request-context.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission a caller needs; checked before the handler runs. */
    permission?: Permission;
    /** Explicitly reachable without authentication (health checks, sign-in). */
    public?: boolean;
  }
  interface FastifyRequest {
    /** Set by the auth plugin for authenticated requests. */
    ctx?: RequestContext;
  }
}

/** Routes registered by the OpenAPI UI plugin, which cannot carry our config; they are public. */
const DOCS_PREFIX = '/docs';

export class UndeclaredRouteAccessError extends Error {
  override name = 'UndeclaredRouteAccessError';
}

export function registerRouteGuard(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const config = route.config as { permission?: Permission; public?: boolean } | undefined;
    const declared = config?.public === true || typeof config?.permission === 'string';
    if (!declared && !route.url.startsWith(DOCS_PREFIX)) {
      throw new UndeclaredRouteAccessError(
        `Route ${String(route.method)} ${route.url} declares neither config.permission nor config.public`,
      );
    }
  });

  app.addHook('preHandler', async (request) => {
    const { permission } = request.routeOptions.config;
    if (!permission) return;
    if (!request.ctx) throw new UnauthorizedError();
    if (!request.ctx.permissions.has(permission)) {
      throw new ForbiddenError(`This action needs the permission "${permission}".`);
    }
  });
}

/** The caller's context inside a handler of a route that declares a permission. */
export function requireContext(ctx: RequestContext | undefined): RequestContext {
  if (!ctx) throw new UnauthorizedError();
  return ctx;
}
