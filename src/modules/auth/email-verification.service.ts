/**
 * Email ownership (ASVS V2.1 / V6: security finding High 1). An account only claims its address
 * until the person follows a single-use link mailed there: 256 random bits, stored as SHA-256,
 * valid `ttlMs`, and a newer link of the same purpose revokes the older ones.
 *
 * - Sign-up mails a link for the account's own address (purpose `signup`).
 * - An email change mails a link to the NEW address (purpose `email_change`, the address kept in
 *   the row) and a notice to the old one; the address changes only when that link is confirmed.
 * Confirmation events (`user.email_verified`, `user.email_changed`) are recorded in every firm the
 * person belongs to, like password resets: an address is the person's, not one firm's.
 */
import type { Clock } from '../../core/clock.js';
import {
  AppError,
  ConflictError,
  NotFoundError,
  ReauthenticationFailedError,
  TooManyRequestsError,
  ValidationFailedError,
} from '../../core/errors.js';
import type { RequestContext } from '../../core/request-context.js';
import type { PasswordHasher } from '../../platform/crypto/password-hasher.js';
import { generateToken, hashToken } from '../../platform/crypto/tokens.js';
import type { Db, Tx } from '../../platform/db/db.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import type { Mailer } from '../../platform/mailer.js';
import type { AuditService } from '../audit/audit.service.js';
import * as repo from './auth.repo.js';
import * as links from './email-verification.repo.js';
import type { MailLinks } from './mail-links.js';

/** What the web app does with a verification link, as an API call a person can make by hand. */
const apiCallSentence = (token: string) =>
  `Without the web app: POST /v1/auth/email/verify with {"token": "${token}"}.`;
import { normalizeEmail, type ClientInfo } from './client-info.js';
import type { LoginThrottle } from './login-throttle.js';
import { normalizePassword } from './password-policy.js';
import { recordInEveryTenant } from './user-audit.service.js';

export const VERIFICATION_TOKEN_PREFIX = 'evf_';
/** A person may ask for a new sign-up link at most this often. */
export const RESEND_INTERVAL_MS = 60_000;

/** Unknown, used, revoked and expired links all get this one answer, so none can be told apart. */
export class InvalidVerificationLinkError extends AppError {
  constructor() {
    super(
      400,
      'invalid_verification_token',
      'Bad Request',
      'The verification link is invalid, already used or expired. Request a new one.',
    );
  }
}

export interface EmailVerificationService {
  /** Mails a link proving the address of a newly created account. */
  sendSignupLink(user: { id: string; email: string }): Promise<void>;
  /** Mails a new sign-up link to the caller's own address (at most one a minute). */
  resendSignupLink(ctx: RequestContext): Promise<void>;
  /** Mails a link to `newEmail` that moves the account there once followed; needs the password. */
  requestEmailChange(ctx: RequestContext, input: { newEmail: string; password: string }): Promise<void>;
  /** Follows a link: marks the address verified, or moves the account to the proved address. */
  confirm(client: ClientInfo, token: string): Promise<void>;
}

export function createEmailVerificationService(deps: {
  db: Db;
  audit: AuditService;
  hasher: PasswordHasher;
  throttle: LoginThrottle;
  mailer: Mailer;
  clock: Clock;
  ttlMs: number;
  links: MailLinks;
}): EmailVerificationService {
  const { db, clock } = deps;
  const hours = Math.round(deps.ttlMs / 3_600_000);

  /** A new link in the caller's transaction; older unused links of the purpose stop working. */
  async function issueLink(
    tx: Tx,
    link: { userId: string; email: string; purpose: links.EmailVerificationPurpose },
  ): Promise<string> {
    const now = clock();
    const token = generateToken(VERIFICATION_TOKEN_PREFIX);
    await links.revokeEmailVerifications(tx, link.userId, link.purpose, now);
    await links.insertEmailVerification(tx, {
      ...link,
      tokenHash: hashToken(token),
      expiresAt: new Date(now.getTime() + deps.ttlMs),
      now,
    });
    return token;
  }

  function mailSignupLink(email: string, token: string) {
    return deps.mailer.send({
      to: email,
      subject: 'Confirm your Doklad email address',
      text:
        `Please confirm that ${email} is your address by opening this link within ${hours} hours:\n` +
        `${deps.links.verifyEmail(token)}\n\n` +
        `${apiCallSentence(token)}\n\nIf you did not create a Doklad account, ignore this message.`,
    });
  }

  async function assertAddressFree(email: string): Promise<void> {
    const holder = await db.withScope({ loginEmail: email }, (tx) => repo.findUserByEmail(tx, email));
    if (holder) throw new ConflictError('An account with this email already exists.', 'email_taken');
  }

  /** The address change itself, in the person's scope; returns the audit event to record. */
  async function moveToAddress(tx: Tx, link: links.EmailVerificationRow, now: Date) {
    try {
      await repo.changeEmail(tx, link.userId, link.email, now);
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConflictError('An account with this email already exists.', 'email_taken');
      throw error;
    }
    // Whoever holds a session or a link sent to the old mailbox loses it with the address.
    const sessionsRevoked = await repo.revokeUserSessions(tx, { userId: link.userId }, now, 'email_changed');
    await repo.revokePasswordResets(tx, link.userId, now);
    await links.revokeEmailVerifications(tx, link.userId, undefined, now);
    return { action: 'user.email_changed', payload: { sessionsRevoked } };
  }

  return {
    async sendSignupLink(user) {
      const token = await db.withScope({ userId: user.id }, (tx) =>
        issueLink(tx, { userId: user.id, email: user.email, purpose: 'signup' }),
      );
      await mailSignupLink(user.email, token);
    },

    async resendSignupLink(ctx) {
      const userId = ctx.actor.id;
      const issued = await db.withScope({ userId }, async (tx) => {
        const user = await repo.findUserById(tx, userId);
        if (!user) throw new NotFoundError();
        if (user.emailVerifiedAt)
          throw new ConflictError('Your email address is already verified.', 'email_already_verified');
        const latest = await links.latestEmailVerification(tx, userId, 'signup');
        const waitMs = latest ? latest.createdAt.getTime() + RESEND_INTERVAL_MS - clock().getTime() : 0;
        if (waitMs > 0)
          throw new TooManyRequestsError(
            'A verification link was sent less than a minute ago; check your mailbox or try again shortly.',
            Math.ceil(waitMs / 1000),
          );
        return {
          email: user.email,
          token: await issueLink(tx, { userId, email: user.email, purpose: 'signup' }),
        };
      });
      await mailSignupLink(issued.email, issued.token);
    },

    async requestEmailChange(ctx, input) {
      const user = await db.withScope({ userId: ctx.actor.id }, (tx) => repo.findUserById(tx, ctx.actor.id));
      if (!user) throw new NotFoundError();
      const ip = ctx.ip ?? 'unknown';
      // The password check shares sign-in's lockout, so a stolen session cannot guess the password.
      await deps.throttle.assertAllowed(user.email, ip);
      if (!(await deps.hasher.verify(user.passwordHash, normalizePassword(input.password)))) {
        await deps.throttle.recordFailure(user.email, ip);
        throw new ReauthenticationFailedError('The password is not correct.');
      }
      const newEmail = normalizeEmail(input.newEmail);
      if (newEmail === user.email)
        throw new ValidationFailedError('This already is your email address.', [
          { field: 'body.newEmail', message: 'is your current address' },
        ]);
      await assertAddressFree(newEmail);
      const token = await db.withTenant(ctx, async (tx) => {
        const issued = await issueLink(tx, { userId: user.id, email: newEmail, purpose: 'email_change' });
        await deps.audit.record(tx, ctx, {
          action: 'user.email_change_requested',
          target: { type: 'user', id: user.id },
        });
        return issued;
      });
      await deps.mailer.send({
        to: newEmail,
        subject: 'Confirm your new Doklad email address',
        text:
          `Someone (hopefully you) asked to move a Doklad account to ${newEmail}. To confirm, open ` +
          `this link within ${hours} hours:\n${deps.links.verifyEmail(token)}\n\n` +
          `${apiCallSentence(token)}\n\n` +
          'If you did not ask for this, ignore this message; nothing changes.',
      });
      await deps.mailer.send({
        to: user.email,
        subject: 'Your Doklad email address is about to change',
        text:
          'Someone signed in to your Doklad account asked to move it to another email address. ' +
          'It changes only when the link sent to the new address is opened.\n\n' +
          `If this was not you, reset your password now (${deps.links.forgotPassword()}, or ` +
          'POST /v1/auth/password-reset with your email) and end your other sessions.',
      });
    },

    async confirm(client, token) {
      const tokenHash = hashToken(token);
      const link = await db.withScope({ verifyTokenHash: tokenHash }, (tx) =>
        links.findEmailVerificationByHash(tx, tokenHash),
      );
      const now = clock();
      if (!link || link.usedAt || link.expiresAt <= now) throw new InvalidVerificationLinkError();
      // Checked before the change too, so a taken address answers 409 without using up the link.
      if (link.purpose === 'email_change') await assertAddressFree(link.email);
      const event = await db.withScope({ userId: link.userId }, async (tx) => {
        const user = await repo.findUserById(tx, link.userId);
        // A sign-up link proves only the address it was sent to, not one the account moved to.
        if (!user || (link.purpose === 'signup' && user.email !== link.email))
          throw new InvalidVerificationLinkError();
        // Single use, even under concurrent confirmations: only one update can flip used_at.
        if (!(await links.consumeEmailVerification(tx, link.id, now)))
          throw new InvalidVerificationLinkError();
        if (link.purpose === 'email_change') return moveToAddress(tx, link, now);
        await repo.markEmailVerified(tx, user.id, now);
        return { action: 'user.email_verified', payload: {} };
      });
      await recordInEveryTenant(deps, client, link.userId, event);
    },
  };
}
