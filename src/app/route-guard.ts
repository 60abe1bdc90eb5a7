/**
 * Every route declares who may call it, in `config`:
 *   - `public: true`: anyone (health checks, sign-in);
 *   - `permission: '...'`: a principal (person or integration token) holding that permission;
 *   - `userOnly: true`: only people (sessions), never integration tokens; alone it admits any
 *     signed-in person (their own profile), combined with a permission it narrows it;
 *   - `stepUp: true`: people with 2FA must have confirmed their password or a code recently;
 *     `stepUp: 'always'`: everyone must have (signing in counts), for irreversible actions;
 *   - `duringOffboarding: true`: still open to the people of a firm that is being closed (only
 *     data export and cancelling the closure are; every other route answers tenant_offboarding).
 * A route that declares none of public/permission/userOnly stops the app from starting, so an
 * endpoint is never unprotected by omission. The checks run before the handler (preHandler),
 * after the rate limit, so failed authentication is throttled too.
 */
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../core/clock.js';
import {
  AppError,
  ForbiddenError,
  StepUpRequiredError,
  TenantUnavailableError,
  UnauthorizedError,
} from '../core/errors.js';
import type { Permission } from '../core/permissions.js';
import type { RequestContext } from '../core/request-context.js';
import type { UserPrincipal } from '../modules/auth/principal.service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    permission?: Permission;
    public?: boolean;
    userOnly?: boolean;
    stepUp?: boolean | 'always';
    duringOffboarding?: boolean;
  }
  interface FastifyRequest {
    /** Set by the authentication hook for authenticated requests. */
    ctx?: RequestContext;
    /** The signed-in person, for session-authenticated requests. */
    user?: UserPrincipal;
    /** Why a presented credential was refused (reported as 401 on protected routes). */
    authFailure?: string;
    /** A credential that is fine but may not be used now (its firm is suspended or closing). */
    authProblem?: AppError;
  }
}

/** Routes registered by the OpenAPI UI plugin, which cannot carry our config; they are public. */
const DOCS_PREFIX = '/docs';
/**
 * Routes of the queue console (Bull Board, which cannot carry our config): its own scope checks the
 * session, the platform role, a verified email and TOTP on every request (admin-queues.ts).
 */
const ADMIN_QUEUES_PREFIX = '/admin/queues';

export class UndeclaredRouteAccessError extends Error {
  override name = 'UndeclaredRouteAccessError';
}

export interface DeclaredRoute {
  readonly method: string;
  readonly url: string;
  readonly public: boolean;
  readonly permission?: Permission | undefined;
  readonly userOnly: boolean;
}

declare module 'fastify' {
  // An augmentation must repeat the interface's type parameters, used or not.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface FastifyInstance<RawServer, RawRequest, RawReply, Logger, TypeProvider> {
    /** Every route with the access it declared, for documentation and the route-security tests. */
    declaredRoutes: DeclaredRoute[];
  }
}

export function registerRouteGuard(
  app: FastifyInstance,
  options: { clock: Clock; stepUpWindowMs: number },
): void {
  app.decorate('declaredRoutes', [] as DeclaredRoute[]);
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith(DOCS_PREFIX) || route.url.startsWith(ADMIN_QUEUES_PREFIX)) return;
    const config = route.config as
      { permission?: Permission; public?: boolean; userOnly?: boolean } | undefined;
    const isPublic = config?.public === true;
    if (!isPublic && typeof config?.permission !== 'string' && config?.userOnly !== true) {
      throw new UndeclaredRouteAccessError(
        `Route ${String(route.method)} ${route.url} declares neither config.permission nor config.public`,
      );
    }
    for (const method of [route.method].flat().filter((m) => m !== 'HEAD')) {
      app.declaredRoutes.push({
        method,
        url: route.url,
        public: isPublic,
        permission: config?.permission,
        userOnly: config?.userOnly === true,
      });
    }
    // /docs shows which operations need a bearer token and which permission, derived from the
    // declaration itself; a public operation says explicitly that it needs none.
    route.schema = {
      ...route.schema,
      security: isPublic ? [] : [{ bearerAuth: [] }],
      ...(!isPublic && config?.permission ? { 'x-required-permission': config.permission } : {}),
      // Integration tokens are refused whatever their scopes (docs/permissions.md shows this).
      ...(config?.userOnly === true ? { 'x-people-only': true } : {}),
    };
  });

  app.addHook('preHandler', async (request) => {
    const { permission, public: isPublic, userOnly, stepUp, duringOffboarding } = request.routeOptions.config;
    if (isPublic || (!permission && !userOnly)) return;
    const { ctx, user } = request;
    if (!ctx) throw request.authProblem ?? new UnauthorizedError(request.authFailure);
    if (user?.tenantStatus === 'suspended') throw new TenantUnavailableError('suspended');
    if (user?.tenantStatus === 'offboarding' && !duringOffboarding) {
      throw new TenantUnavailableError('offboarding');
    }
    if (userOnly && !user)
      throw new ForbiddenError('Only a signed-in person can do this, not an integration token.');
    if (permission && !ctx.permissions.has(permission)) {
      if (user?.mfaEnrolmentRequired) {
        throw new AppError(
          403,
          'mfa_enrolment_required',
          'Forbidden',
          'Your firm requires two-factor authentication: enrol first (POST /v1/me/mfa/totp).',
        );
      }
      throw new ForbiddenError(`This action needs the permission "${permission}".`);
    }
    if (stepUp === 'always' || (stepUp && user?.mfaEnabled)) {
      // `userOnly` routes only reach here with a user; a step-up route without it is a bug.
      if (!user) throw new ForbiddenError('Only a signed-in person can do this, not an integration token.');
      const age = options.clock().getTime() - user.session.reauthenticatedAt.getTime();
      if (age > options.stepUpWindowMs) throw new StepUpRequiredError();
    }
  });
}
