/**
 * The queue console (Bull Board) at /admin/queues, for platform administrators only: people whose
 * email is listed in PLATFORM_ADMIN_EMAILS, signing in with their Doklad password over HTTP Basic
 * authentication (a browser UI cannot send our bearer tokens). Attempts go through the same
 * throttle as sign-in. Not registered at all when no administrator is configured.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from './error-handler.js';

export const ADMIN_QUEUES_PREFIX = '/admin/queues';

const CONSOLE_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'";

export interface AdminQueuesDeps {
  readonly queues: () => readonly Queue[];
  /** True when the email belongs to a platform administrator and the password is theirs. */
  readonly verifyAdmin: (email: string, password: string, ip: string) => Promise<boolean>;
}

function basicCredentials(header: string | undefined): { email: string; password: string } | null {
  const encoded = header && /^Basic ([A-Za-z0-9+/=]{4,2000})$/.exec(header)?.[1];
  if (!encoded) return null;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 ? { email: decoded.slice(0, colon), password: decoded.slice(colon + 1) } : null;
}

function refuse(request: FastifyRequest, reply: FastifyReply) {
  reply.header('www-authenticate', 'Basic realm="Doklad queue console", charset="UTF-8"');
  return sendProblem(request, reply, {
    status: 401,
    code: 'unauthorized',
    detail: 'Platform administrators only.',
  });
}

export async function registerAdminQueues(app: FastifyInstance, deps: AdminQueuesDeps): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      const credentials = basicCredentials(request.headers.authorization);
      if (!credentials || !(await deps.verifyAdmin(credentials.email, credentials.password, request.ip)))
        return refuse(request, reply);
      request.log.info({ admin: credentials.email.toLowerCase() }, 'queue console access');
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
