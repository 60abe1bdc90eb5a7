/**
 * Small helpers shared by the modules' route files: what they read from a Fastify request.
 * Services never see Fastify objects; routes turn requests into these plain values.
 */
import type { FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../core/errors.js';
import type { RequestContext } from '../core/request-context.js';
import type { UserPrincipal } from './auth/principal.service.js';
import type { ClientInfo } from './auth/client-info.js';

export function clientInfo(request: FastifyRequest): ClientInfo {
  return { ip: request.ip, userAgent: request.headers['user-agent'], requestId: request.id };
}

/** The caller's context on a route that declared a permission or userOnly (the guard ran). */
export function contextOf(request: FastifyRequest): RequestContext {
  if (!request.ctx) throw new UnauthorizedError();
  return request.ctx;
}

/** The signed-in person on a `userOnly` route. */
export function userOf(request: FastifyRequest): { ctx: RequestContext; user: UserPrincipal } {
  if (!request.ctx || !request.user) throw new UnauthorizedError();
  return { ctx: request.ctx, user: request.user };
}
