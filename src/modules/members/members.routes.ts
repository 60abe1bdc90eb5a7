/** Members of the firm and invitations. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf, userOf } from '../http.js';
import { IdParams, listOf } from '../http-schemas.js';
import type { InvitationsService } from './invitations.service.js';
import type { MembersService } from './members.service.js';
import * as s from './members.schemas.js';

const tags = ['members'];

export function membersRoutes(deps: {
  members: MembersService;
  invitations: InvitationsService;
}): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/members',
      {
        config: { permission: 'members:read' },
        schema: {
          tags,
          operationId: 'listMembers',
          summary: 'List the people of the firm and their roles',
          response: { 200: listOf(s.Member) },
        },
      },
      async (request) => ({ items: await deps.members.listMembers(contextOf(request)), nextCursor: null }),
    );

    app.patch(
      '/v1/members/:userId',
      {
        config: { permission: 'members:manage', userOnly: true, stepUp: true },
        schema: {
          tags,
          operationId: 'changeMemberRole',
          summary: "Change a member's role",
          params: s.UserParams,
          body: z.object({ role: s.Role }),
          response: { 200: s.Member },
        },
      },
      async (request) =>
        deps.members.changeRole(userOf(request).ctx, request.params.userId, request.body.role),
    );

    app.delete(
      '/v1/members/:userId',
      {
        config: { permission: 'members:manage', userOnly: true, stepUp: true },
        schema: {
          tags,
          operationId: 'removeMember',
          summary: 'Remove a member; ends their sessions in this firm',
          params: s.UserParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await deps.members.removeMember(userOf(request).ctx, request.params.userId);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/v1/invitations',
      {
        config: { permission: 'members:manage', userOnly: true },
        schema: {
          tags,
          operationId: 'createInvitation',
          summary: 'Invite someone by email (the token is mailed to them)',
          body: z.object({ email: z.email(), role: s.Role }),
          response: { 201: s.Invitation },
        },
      },
      async (request, reply) => {
        const invitation = await deps.invitations.createInvitation(userOf(request).ctx, request.body);
        return reply.status(201).header('location', `/v1/invitations/${invitation.id}`).send(invitation);
      },
    );

    app.get(
      '/v1/invitations',
      {
        config: { permission: 'members:manage', userOnly: true },
        schema: {
          tags,
          operationId: 'listInvitations',
          summary: 'List pending invitations',
          response: { 200: listOf(s.Invitation) },
        },
      },
      async (request) => ({
        items: await deps.invitations.listInvitations(userOf(request).ctx),
        nextCursor: null,
      }),
    );

    app.delete(
      '/v1/invitations/:id',
      {
        config: { permission: 'members:manage', userOnly: true },
        schema: {
          tags,
          operationId: 'revokeInvitation',
          summary: 'Revoke a pending invitation',
          params: IdParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await deps.invitations.revokeInvitation(userOf(request).ctx, request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
