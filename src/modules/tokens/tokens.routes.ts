/** Integration tokens for ERP agents. Only people manage them, never other tokens. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PERMISSIONS } from '../../core/permissions.js';
import { userOf } from '../http.js';
import { IsoDateTime, listOf } from '../http-schemas.js';
import type { TokensService } from './tokens.service.js';

const tags = ['tokens'];
const Scope = z.enum(PERMISSIONS);
const TokenView = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string().describe('The first characters of the token, to tell tokens apart'),
  scopes: z.array(z.string()),
  allowedIps: z.array(z.string()),
  companyIds: z.array(z.uuid()),
  expiresAt: IsoDateTime.nullable(),
  createdAt: IsoDateTime,
  lastUsedAt: IsoDateTime.nullable(),
  lastUsedIp: z.string().nullable(),
  revokedAt: IsoDateTime.nullable(),
});
const CreateTokenBody = z.object({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(Scope).min(1),
  expiresAt: IsoDateTime.optional(),
  allowedIps: z
    .array(z.string().max(64))
    .max(50)
    .optional()
    .describe('IP addresses or CIDR ranges; empty = any'),
  companyIds: z
    .array(z.uuid())
    .max(1000)
    .optional()
    .describe('Limit the token to these companies; empty = all'),
});
const CreatedToken = z.object({
  id: z.uuid(),
  name: z.string(),
  token: z.string().describe('The secret, shown only in this response'),
  prefix: z.string(),
  scopes: z.array(z.string()),
  companyIds: z.array(z.uuid()),
  expiresAt: IsoDateTime.nullable(),
});

export function tokensRoutes(deps: { tokens: TokensService }): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/tokens',
      {
        config: { permission: 'tokens:manage', userOnly: true, stepUp: true },
        schema: {
          tags,
          operationId: 'createToken',
          summary: 'Create an integration token (shown once)',
          body: CreateTokenBody,
          response: { 201: CreatedToken },
        },
      },
      async (request, reply) => {
        const created = await deps.tokens.createToken(userOf(request).ctx, request.body);
        return reply
          .status(201)
          .header('location', `/v1/tokens/${created.id}`)
          .header('cache-control', 'no-store')
          .send({
            id: created.id,
            name: created.name,
            token: created.token,
            prefix: created.prefix,
            scopes: created.scopes,
            companyIds: created.companyIds,
            expiresAt: created.expiresAt,
          });
      },
    );

    app.get(
      '/v1/tokens',
      {
        config: { permission: 'tokens:manage', userOnly: true },
        schema: {
          tags,
          operationId: 'listTokens',
          summary: 'List integration tokens (never their secrets)',
          response: { 200: listOf(TokenView) },
        },
      },
      async (request) => ({ items: await deps.tokens.listTokens(userOf(request).ctx), nextCursor: null }),
    );

    app.delete(
      '/v1/tokens/:id',
      {
        config: { permission: 'tokens:manage', userOnly: true },
        schema: {
          tags,
          operationId: 'revokeToken',
          summary: 'Revoke a token; its next request gets 401',
          params: z.object({ id: z.uuid() }),
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await deps.tokens.revokeToken(userOf(request).ctx, request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
