/**
 * Resolves `Authorization: Bearer <token>` into the request's context, once per request, before
 * anything else: an integration token (`dk_...`) or a session token. A refused credential is
 * remembered, not thrown here, so the rate limit still counts the request; the route guard then
 * answers 401 (or 403 naming the firm's state when the firm is suspended or closing, since signing
 * in again would not help). Requests made with integration tokens are recorded when they finish (in batches:
 * tokens.use-recorder.ts), so recording never makes a request wait.
 */
import type { FastifyInstance } from 'fastify';
import { TenantUnavailableError } from '../core/errors.js';
import type { PrincipalService } from '../modules/auth/principal.service.js';
import { TOKEN_PREFIX, type TokensService } from '../modules/tokens/tokens.service.js';

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{16,200})$/;

export function registerAuthentication(
  app: FastifyInstance,
  deps: { principals: PrincipalService; tokens: TokensService },
): void {
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (!header || request.routeOptions.config?.public) return;
    const token = BEARER.exec(header)?.[1];
    if (!token) {
      request.authFailure = 'The Authorization header must be "Bearer <token>".';
      return;
    }
    const client = { requestId: request.id, ip: request.ip, userAgent: request.headers['user-agent'] };
    if (token.startsWith(TOKEN_PREFIX)) {
      const principal = await deps.principals.resolveIntegrationToken(token, request.ip);
      if (!principal) {
        request.authFailure =
          'The integration token is invalid, expired, revoked or not allowed from this address.';
        return;
      }
      // Integration tokens work only for an active firm: while it is suspended or closing none does.
      if (principal.tenantStatus !== 'active') {
        request.authProblem = new TenantUnavailableError(principal.tenantStatus, 'token');
        return;
      }
      request.ctx = {
        tenantId: principal.tenantId,
        actor: { kind: 'token', id: principal.tokenId },
        permissions: principal.permissions,
        companyIds: principal.companyIds,
        ...client,
      };
      return;
    }
    const user = await deps.principals.resolveSessionToken(token);
    if (!user) {
      request.authFailure = 'The session has expired or was revoked. Sign in again.';
      return;
    }
    if (user.tenantStatus === 'suspended') {
      request.authProblem = new TenantUnavailableError('suspended');
      return;
    }
    // An offboarding firm's people keep their context: the route guard admits them to the few
    // routes that declare `duringOffboarding` (export, cancel) and refuses every other.
    request.user = user;
    request.ctx = {
      tenantId: user.tenantId,
      actor: { kind: 'user', id: user.userId },
      permissions: user.permissions,
      ...client,
    };
  });

  app.addHook('onResponse', async (request, reply) => {
    if (request.ctx?.actor.kind !== 'token') return;
    deps.tokens.uses.record(request.ctx, {
      method: request.method,
      route: request.routeOptions.url ?? 'unknown',
      statusCode: reply.statusCode,
    });
  });
}
