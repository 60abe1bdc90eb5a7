/** The signed-in person's own account: profile, email, password, sessions, two-factor authentication. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { userOf } from '../http.js';
import { IdParams, listOf } from '../http-schemas.js';
import type { AccountService } from './account.service.js';
import * as s from './auth.schemas.js';
import type { EmailVerificationService } from './email-verification.service.js';
import type { MfaService } from './mfa.service.js';

const tags = ['me'];

export function meRoutes(deps: {
  accounts: AccountService;
  mfa: MfaService;
  emailVerification: EmailVerificationService;
}): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/me',
      {
        config: { userOnly: true },
        schema: {
          tags,
          operationId: 'getMe',
          summary: 'Who you are, in which firm, with which permissions',
          response: { 200: s.MeResponse },
        },
      },
      async (request) => {
        const { ctx, user } = userOf(request);
        const me = await deps.accounts.me(ctx, user.session.id);
        const current = me.memberships.find((m) => m.tenantId === ctx.tenantId);
        return {
          user: {
            id: me.user.id,
            email: me.user.email,
            name: me.user.name,
            emailVerified: me.user.emailVerifiedAt !== null,
          },
          tenant: {
            id: ctx.tenantId,
            name: current?.tenantName ?? '',
            role: current?.role ?? 'viewer',
            requireMfa: current?.requireMfa ?? false,
          },
          tenants: me.memberships.map((m) => ({ id: m.tenantId, name: m.tenantName, role: m.role })),
          permissions: [...ctx.permissions].sort(),
          mfaEnabled: me.mfaEnabled,
          mfaEnrolmentRequired: user.mfaEnrolmentRequired,
          session: { id: user.session.id, expiresAt: user.session.expiresAt },
        };
      },
    );

    app.post(
      '/v1/me/email/verification',
      {
        config: { userOnly: true },
        schema: {
          tags,
          operationId: 'resendEmailVerification',
          summary: 'Mail a new verification link to your address (at most one a minute)',
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await deps.emailVerification.resendSignupLink(userOf(request).ctx);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/v1/me/email',
      {
        config: { userOnly: true, stepUp: true },
        schema: {
          tags,
          operationId: 'changeEmail',
          summary:
            'Move your account to another email address: it changes once the link mailed there is followed',
          body: s.ChangeEmailBody,
          response: { 202: s.EmailChangeAccepted },
        },
      },
      async (request, reply) => {
        await deps.emailVerification.requestEmailChange(userOf(request).ctx, request.body);
        return reply.status(202).send({
          status: 'accepted' as const,
          detail: 'A confirmation link was sent to the new address; your address changes when it is opened.',
        });
      },
    );

    app.post(
      '/v1/me/password',
      {
        config: { userOnly: true },
        schema: {
          tags,
          operationId: 'changePassword',
          summary: 'Change your password; ends your other sessions',
          body: s.ChangePasswordBody,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        const { ctx, user } = userOf(request);
        await deps.accounts.changePassword(ctx, user.session.id, request.body);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/v1/me/sessions',
      {
        config: { userOnly: true },
        schema: {
          tags,
          operationId: 'listMySessions',
          summary: 'Your live sessions in every firm',
          response: { 200: listOf(s.SessionView) },
        },
      },
      async (request) => {
        const { ctx, user } = userOf(request);
        return { items: await deps.accounts.listSessions(ctx, user.session.id), nextCursor: null };
      },
    );

    app.delete(
      '/v1/me/sessions/:id',
      {
        config: { userOnly: true },
        schema: {
          tags,
          operationId: 'revokeMySession',
          summary: 'End one of your sessions',
          params: IdParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await deps.accounts.revokeSession(userOf(request).ctx, request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/v1/me/mfa/totp',
      {
        config: { userOnly: true, stepUp: true },
        schema: {
          tags,
          operationId: 'beginTotpEnrolment',
          summary: 'Start enrolling an authenticator app (needs your password and a verified email address)',
          body: s.TotpEnrolmentBody,
          response: { 200: s.TotpEnrolment },
        },
      },
      async (request) => deps.mfa.beginTotpEnrolment(userOf(request).ctx, request.body),
    );

    app.post(
      '/v1/me/mfa/totp/confirm',
      {
        config: { userOnly: true },
        schema: {
          tags,
          operationId: 'confirmTotpEnrolment',
          summary: 'Activate TOTP with a code; returns 10 one-time recovery codes',
          body: s.TotpConfirmBody,
          response: { 200: s.RecoveryCodes },
        },
      },
      async (request) => deps.mfa.confirmTotpEnrolment(userOf(request).ctx, request.body.code),
    );

    app.delete(
      '/v1/me/mfa/totp',
      {
        config: { userOnly: true },
        schema: {
          tags,
          operationId: 'disableTotp',
          summary: 'Turn TOTP off (needs your password and a current code)',
          body: s.TotpDisableBody,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await deps.mfa.disableTotp(userOf(request).ctx, request.body);
        return reply.status(204).send(null);
      },
    );
  };
}
