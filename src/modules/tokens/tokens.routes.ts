/** Integration tokens for ERP agents. Only people manage them, never other tokens. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { userOf } from '../http.js';
import { listOf } from '../http-schemas.js';
import type { TokensService } from './tokens.service.js';
import * as s from './tokens.schemas.js';

const tags = ['tokens'];

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
          body: s.CreateTokenBody,
          response: { 201: s.CreatedToken },
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
          response: { 200: listOf(s.TokenView) },
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
