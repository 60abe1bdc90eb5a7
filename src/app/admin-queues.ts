/**
 * The queue console (Bull Board) at /admin/queues: it shows every tenant's jobs and can pause
 * extraction for all of them, so it is for platform administrators only. Access takes a live
 * Doklad session, the same token and validation as the API: a bearer header (already resolved by
 * the global authentication hook) or the `doklad_console` cookie that POST
 * /v1/admin/console-session sets for browsers, resolved through the same PrincipalService. On every
 * request the person must hold the platform role (read from the database, so a revocation applies
 * at once), a verified email and TOTP; requests that change state also need a recent step-up and,
 * when the browser names one, our own Origin. No email address and no password opens it.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.js';
import { AppError, StepUpRequiredError } from '../core/errors.js';
import { CONSOLE_COOKIE, CONSOLE_PATH } from '../modules/auth/console-session.routes.js';
import type { PlatformAdminsService } from '../modules/auth/platform-admins.service.js';
import type { PrincipalService, UserPrincipal } from '../modules/auth/principal.service.js';
import { sendProblem } from './error-handler.js';

export const ADMIN_QUEUES_PREFIX = CONSOLE_PATH;

const CONSOLE_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'";

export interface AdminQueuesDeps {
  readonly queues: () => readonly Queue[];
  readonly principals: Pick<PrincipalService, 'resolveSessionToken'>;
  readonly platformAdmins: Pick<PlatformAdminsService, 'assertConsoleAccess'>;
  readonly clock: Clock;
  readonly stepUpWindowMs: number;
  /** The server's own origin (from PUBLIC_BASE_URL): the only one allowed to change state. */
  readonly publicOrigin: string;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** The signed-in person behind a console request, or an error saying why there is none. */
async function consoleUser(request: FastifyRequest, deps: AdminQueuesDeps): Promise<UserPrincipal> {
  const unauthorized = (detail: string) => new AppError(401, 'unauthorized', 'Unauthorized', detail);
  // With an Authorization header the global hook has resolved it; anything but a live session
  // (Basic credentials, an integration token, a revoked session) is refused.
  if (request.headers.authorization) {
    // As before suspension and offboarding existed: only a person of an active firm opens it.
    if (request.user?.tenantStatus === 'active') return request.user;
    if (request.user) throw new AppError(403, 'forbidden', 'Forbidden', 'Your firm is not active.');
    if (request.ctx)
      throw new AppError(403, 'forbidden', 'Forbidden', 'Only a signed-in person can do this.');
    throw unauthorized(request.authFailure ?? 'A Doklad session is required.');
  }
  const token = cookieValue(request.headers.cookie, CONSOLE_COOKIE);
  const user = token ? await deps.principals.resolveSessionToken(token) : null;
  if (user?.tenantStatus !== 'active')
    throw unauthorized('Sign in, then open the console with POST /v1/admin/console-session.');
  return user;
}

async function authorize(request: FastifyRequest, deps: AdminQueuesDeps): Promise<UserPrincipal> {
  const user = await consoleUser(request, deps);
  await deps.platformAdmins.assertConsoleAccess(user);
  if (!SAFE_METHODS.has(request.method)) {
    // SameSite=Strict keeps the cookie off cross-site requests; the Origin check is the second lock.
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== deps.publicOrigin)
      throw new AppError(403, 'cross_origin_refused', 'Forbidden', 'The request comes from another origin.');
    if (deps.clock().getTime() - user.session.reauthenticatedAt.getTime() > deps.stepUpWindowMs)
      throw new StepUpRequiredError();
  }
  return user;
}

function refuse(request: FastifyRequest, reply: FastifyReply, error: AppError) {
  return sendProblem(request, reply, {
    status: error.status,
    code: error.code,
    title: error.title,
    detail: error.detail,
  });
}

export async function registerAdminQueues(app: FastifyInstance, deps: AdminQueuesDeps): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      try {
        const user = await authorize(request, deps);
        request.log.info({ userId: user.userId, method: request.method }, 'queue console access');
      } catch (error) {
        // Bull Board installs its own error handler, so refusals are rendered here.
        if (error instanceof AppError) return refuse(request, reply, error);
        throw error;
      }
    });
    scope.addHook('onSend', async (_request, reply) => {
      reply.header('content-security-policy', CONSOLE_CSP);
    });
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath(ADMIN_QUEUES_PREFIX);
    createBullBoard({
      queues: deps.queues().map((q) => new BullMQAdapter(q)),
      serverAdapter,
      options: { uiConfig: { boardTitle: 'Doklad queues' } },
    });
    await scope.register(serverAdapter.registerPlugin(), {
      prefix: ADMIN_QUEUES_PREFIX,
      basePath: ADMIN_QUEUES_PREFIX,
    } as never);
  });
}
