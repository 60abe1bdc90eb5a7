/**
 * Sign-up, sign-in, second factor, step-up, tenant switch, password reset, email verification,
 * invitation acceptance.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { clientInfo, userOf } from '../http.js';
import type { AccountService } from './account.service.js';
import * as s from './auth.schemas.js';
import type { EmailVerificationService } from './email-verification.service.js';
import type { LoginService } from './login.service.js';
import type { PasswordResetService } from './password-reset.service.js';

export interface AuthRoutesDeps {
  readonly accounts: AccountService;
  readonly login: LoginService;
  readonly passwordResets: PasswordResetService;
  readonly emailVerification: EmailVerificationService;
}

const tags = ['auth'];

export function authRoutes(deps: AuthRoutesDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/auth/signup',
      {
        config: {
          public: true,
          docs: { errors: { 403: 'Sign-up is disabled on this server (code forbidden).' } },
        },
        schema: {
          tags,
          operationId: 'signup',
          summary: 'Create a firm (tenant) and its owner',
          body: s.SignupBody,
          response: { 201: s.SignupResponse },
        },
      },
      async (request, reply) => {
        const result = await deps.accounts.signup(clientInfo(request), request.body);
        return reply.status(201).header('location', '/v1/me').send(result);
      },
    );

    app.post(
      '/v1/auth/login',
      {
        config: {
          public: true,
          docs: { errors: { 401: 'The email or the password is not correct (code unauthorized).' } },
        },
        schema: {
          tags,
          operationId: 'login',
          summary:
            'Sign in with email and password; answers a challenge when the account has two-factor authentication',
          body: s.LoginBody,
          response: { 200: s.LoginResponse },
        },
      },
      async (request) => deps.login.login(clientInfo(request), request.body),
    );

    app.post(
      '/v1/auth/mfa/verify',
      {
        config: {
          public: true,
          docs: { errors: { 401: 'The code is not valid, or the sign-in has expired (code unauthorized).' } },
        },
        schema: {
          tags,
          operationId: 'verifyMfa',
          summary: 'Complete sign-in with a TOTP code or a recovery code',
          body: s.MfaVerifyBody,
          response: { 200: s.SessionToken },
        },
      },
      async (request) => deps.login.verifyMfa(clientInfo(request), request.body),
    );

    app.post(
      '/v1/auth/logout',
      {
        // Open while the firm is being closed: leaving it must stay possible.
        config: { userOnly: true, duringOffboarding: true },
        schema: {
          tags,
          operationId: 'logout',
          summary: 'End this session',

          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        const { ctx, user } = userOf(request);
        await deps.accounts.logout(ctx, user.session.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/v1/auth/switch-tenant',
      {
        // Open while the firm is being closed: leaving it must stay possible.
        config: { userOnly: true, duringOffboarding: true },
        schema: {
          tags,
          operationId: 'switchTenant',
          summary: 'Move to another firm you belong to (a new session token)',

          body: s.SwitchTenantBody,
          response: { 200: s.SessionToken },
        },
      },
      async (request) => {
        const { ctx, user } = userOf(request);
        return deps.accounts.switchTenant(ctx, user.session, request.body.tenantId);
      },
    );

    app.post(
      '/v1/auth/step-up',
      {
        config: { userOnly: true },
        schema: {
          tags,
          operationId: 'stepUp',
          summary: 'Confirm your password or a TOTP code before a sensitive action',

          body: s.StepUpBody,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        const { ctx, user } = userOf(request);
        await deps.accounts.stepUp(ctx, user.session.id, request.body);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/v1/auth/password-reset',
      {
        config: { public: true },
        schema: {
          tags,
          operationId: 'requestPasswordReset',
          summary: 'Mail a reset token if the email has an account (the answer is the same either way)',
          body: s.PasswordResetBody,
          response: { 202: s.PasswordResetAccepted },
        },
      },
      async (request, reply) => {
        await deps.passwordResets.requestReset(clientInfo(request), request.body.email);
        return reply.status(202).send({
          status: 'accepted' as const,
          detail: 'If an account exists for this email, a reset token has been sent to it.',
        });
      },
    );

    app.post(
      '/v1/auth/password-reset/confirm',
      {
        config: { public: true },
        schema: {
          tags,
          operationId: 'confirmPasswordReset',
          summary: 'Set a new password with a reset token; ends every session',
          body: s.PasswordResetConfirmBody,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await deps.passwordResets.confirmReset(clientInfo(request), request.body);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/v1/auth/email/verify',
      {
        config: { public: true },
        schema: {
          tags,
          operationId: 'verifyEmail',
          summary:
            'Follow an email verification link: proves the address, or completes an email change (which ends every session)',
          body: s.VerifyEmailBody,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await deps.emailVerification.confirm(clientInfo(request), request.body.token);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/v1/invitations/accept',
      {
        config: { public: true },
        schema: {
          tags: ['members'],
          operationId: 'acceptInvitation',
          summary: 'Join a firm with an invitation token',
          body: s.AcceptInvitationBody,
          response: { 200: s.SignupResponse },
        },
      },
      async (request) => deps.accounts.acceptInvitation(clientInfo(request), request.body),
    );
  };
}
