/**
 * Opens the queue console for a platform administrator's browser. Bull Board is a browser app
 * that cannot send bearer headers, so this route hands the caller's own session token back as an
 * HttpOnly cookie that only /admin/queues receives; the console resolves it exactly like a bearer
 * token on every request (admin-queues.ts), so logout, revocation and expiry apply to it at once.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { UnauthorizedError } from '../../core/errors.js';
import { userOf } from '../http.js';
import type { PlatformAdminsService } from './platform-admins.service.js';

export const CONSOLE_COOKIE = 'doklad_console';
export const CONSOLE_PATH = '/admin/queues';

export function consoleSessionRoutes(deps: {
  platformAdmins: PlatformAdminsService;
  clock: () => Date;
  /** The cookie never outlives the session's idle timeout (nor its absolute end). */
  sessionIdleTimeoutMs: number;
}): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/admin/console-session',
      {
        config: { userOnly: true, stepUp: true },
        schema: {
          tags: ['admin'],
          operationId: 'openConsoleSession',
          summary:
            'Let this browser open the queue console (/admin/queues): platform administrators with a verified email and TOTP only',
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        const { user } = userOf(request);
        await deps.platformAdmins.assertConsoleAccess(user);
        const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
        if (!token) throw new UnauthorizedError();
        const untilEndMs = user.session.expiresAt.getTime() - deps.clock().getTime();
        const maxAgeSeconds = Math.max(0, Math.floor(Math.min(deps.sessionIdleTimeoutMs, untilEndMs) / 1000));
        reply.header(
          'set-cookie',
          `${CONSOLE_COOKIE}=${token}; HttpOnly; Secure; SameSite=Strict; Path=${CONSOLE_PATH}; Max-Age=${maxAgeSeconds}`,
        );
        return reply.status(204).send(null);
      },
    );
  };
}
