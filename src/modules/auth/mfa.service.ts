/**
 * TOTP second factor (ASVS V2.8) with one-time recovery codes (V2.5.6). The seed is stored only
 * sealed (envelope encryption through the KMS); codes are accepted once (the used time step is
 * remembered atomically); recovery codes are stored as hashes and each works once.
 */
import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import type { Clock } from '../../core/clock.js';
import {
  AppError,
  ConflictError,
  NotFoundError,
  ReauthenticationFailedError,
  ValidationFailedError,
} from '../../core/errors.js';
import type { RequestContext } from '../../core/request-context.js';
import type { SecretBox } from '../../platform/crypto/secret-box.js';
import { hashToken } from '../../platform/crypto/tokens.js';
import type { Db, Tx } from '../../platform/db/db.js';
import type { Mailer } from '../../platform/mailer.js';
import type { MailLinks } from './mail-links.js';
import type { AuditService } from '../audit/audit.service.js';
import * as authRepo from './auth.repo.js';
import type { LoginThrottle } from './login-throttle.js';
import * as repo from './mfa.repo.js';
import { matchTotpStep, newTotpSecret, totpUri } from './totp.js';

const RECOVERY_CODE_COUNT = 10;

export interface SecondFactorProof {
  readonly code?: string | undefined;
  readonly recoveryCode?: string | undefined;
}

/** `XXXX-XXXX-XXXX` from an alphabet without look-alike characters; 60 bits each. */
function newRecoveryCode(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(12);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
}

function normalizeRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

export interface MfaService {
  hasConfirmedTotp(tx: Tx, userId: string): Promise<boolean>;
  /**
   * Checks a TOTP code or recovery code for the user, consuming it. Every wrong one counts against
   * the person's second-factor lockout (login-throttle.ts), whichever route asks: 429 while locked.
   */
  verifySecondFactor(
    tx: Tx,
    userId: string,
    proof: SecondFactorProof,
    ip: string,
  ): Promise<'totp' | 'recovery_code' | null>;
  /**
   * Starts enrolling an authenticator app. Needs the password (a session alone must not be able to
   * bind a second factor to the account) and a verified email address.
   */
  beginTotpEnrolment(
    ctx: RequestContext,
    proof: { password: string },
  ): Promise<{ secret: string; otpauthUrl: string; qrCode: string }>;
  confirmTotpEnrolment(ctx: RequestContext, code: string): Promise<{ recoveryCodes: string[] }>;
  disableTotp(ctx: RequestContext, proof: { password: string; code: string }): Promise<void>;
}

export function createMfaService(deps: {
  db: Db;
  audit: AuditService;
  secretBox: SecretBox;
  clock: Clock;
  verifyPassword: (hash: string, password: string) => Promise<boolean>;
  throttle: LoginThrottle;
  mailer: Mailer;
  links: MailLinks;
}): MfaService {
  const context = (userId: string) => `totp:${userId}`;
  const readSecret = async (factor: repo.TotpFactorRow) =>
    (await deps.secretBox.open(factor.secretSealed, context(factor.userId))).toString('utf8');

  async function verifyTotp(
    tx: Tx,
    userId: string,
    code: string,
    requireConfirmed: boolean,
  ): Promise<boolean> {
    const factor = await repo.findTotpFactor(tx, userId);
    if (!factor || (requireConfirmed && !factor.confirmedAt)) return false;
    const step = matchTotpStep(await readSecret(factor), code, deps.clock());
    return step !== null && (await repo.consumeTotpStep(tx, userId, step));
  }

  async function checkSecondFactor(
    tx: Tx,
    userId: string,
    proof: SecondFactorProof,
  ): Promise<'totp' | 'recovery_code' | null> {
    if (proof.code) return (await verifyTotp(tx, userId, proof.code, true)) ? 'totp' : null;
    if (proof.recoveryCode) {
      const hash = hashToken(normalizeRecoveryCode(proof.recoveryCode));
      return (await repo.consumeRecoveryCode(tx, userId, hash, deps.clock())) ? 'recovery_code' : null;
    }
    return null;
  }

  const verifySecondFactor: MfaService['verifySecondFactor'] = async (tx, userId, proof, ip) => {
    await deps.throttle.assertSecondFactorAllowed(userId, ip);
    const method = await checkSecondFactor(tx, userId, proof);
    // Only a completed sign-in forgets the failures (login.service.ts): a right code inside a
    // request that fails anyway (a wrong password with it) must not reset the count.
    if (!method) await deps.throttle.recordSecondFactorFailure(userId, ip);
    return method;
  };

  /**
   * A second factor binds the account to whoever enrols it, so only a proved mailbox owner may:
   * otherwise someone who signed up with another person's address could enrol first and keep
   * the real owner out even after the owner takes the account back with a password reset.
   */
  function assertEmailVerified(user: authRepo.UserRow) {
    if (!user.emailVerifiedAt)
      throw new AppError(
        403,
        'email_not_verified',
        'Forbidden',
        'Verify your email address first (follow the link mailed to you, or POST /v1/me/email/verification for a new one).',
      );
  }

  return {
    async hasConfirmedTotp(tx, userId) {
      return Boolean((await repo.findTotpFactor(tx, userId))?.confirmedAt);
    },

    verifySecondFactor,

    async beginTotpEnrolment(ctx, proof) {
      const user = await deps.db.withScope({ userId: ctx.actor.id }, (tx) =>
        authRepo.findUserById(tx, ctx.actor.id),
      );
      if (!user) throw new NotFoundError();
      assertEmailVerified(user);
      // The password check shares sign-in's lockout, so a stolen session cannot guess it here.
      const ip = ctx.ip ?? 'unknown';
      await deps.throttle.assertAllowed(user.email, ip);
      if (!(await deps.verifyPassword(user.passwordHash, proof.password))) {
        await deps.throttle.recordFailure(user.email, ip);
        throw new ReauthenticationFailedError('The password is not correct.');
      }
      const secret = newTotpSecret();
      const sealed = await deps.secretBox.seal(Buffer.from(secret, 'utf8'), context(ctx.actor.id));
      await deps.db.withTenant(ctx, async (tx) => {
        const existing = await repo.findTotpFactor(tx, ctx.actor.id);
        if (existing?.confirmedAt)
          throw new ConflictError('Two-factor authentication is already enabled.', 'mfa_already_enabled');
        await repo.upsertPendingTotp(tx, ctx.actor.id, sealed);
        await deps.audit.record(tx, ctx, {
          action: 'mfa.enrolment_started',
          target: { type: 'user', id: ctx.actor.id },
        });
      });
      const otpauthUrl = totpUri(secret, user.email);
      return { secret, otpauthUrl, qrCode: await QRCode.toDataURL(otpauthUrl) };
    },

    async confirmTotpEnrolment(ctx, code) {
      const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
      const email = await deps.db.withTenant(ctx, async (tx) => {
        const user = await authRepo.findUserById(tx, ctx.actor.id);
        if (!user) throw new NotFoundError();
        assertEmailVerified(user);
        const factor = await repo.findTotpFactor(tx, ctx.actor.id);
        if (!factor) throw new ConflictError('Start the enrolment first.', 'mfa_not_started');
        if (factor.confirmedAt)
          throw new ConflictError('Two-factor authentication is already enabled.', 'mfa_already_enabled');
        if (!(await verifyTotp(tx, ctx.actor.id, code, false))) {
          throw new ValidationFailedError('The code is not valid.', [
            { field: 'body.code', message: 'is not valid' },
          ]);
        }
        await repo.confirmTotp(tx, ctx.actor.id, deps.clock());
        await repo.replaceRecoveryCodes(
          tx,
          ctx.actor.id,
          recoveryCodes.map((c) => hashToken(normalizeRecoveryCode(c))),
        );
        await deps.audit.record(tx, ctx, {
          action: 'mfa.enabled',
          target: { type: 'user', id: ctx.actor.id },
        });
        return user.email;
      });
      // The owner hears of it at once: if it was not them, a second factor now guards their account.
      await deps.mailer.send({
        to: email,
        subject: 'Two-factor authentication was turned on for your Doklad account',
        text:
          'An authenticator app was just enrolled as the second factor of your Doklad account; ' +
          'signing in now needs its codes.\n\n' +
          `If this was not you, someone has your password: reset it now at ${deps.links.forgotPassword()} ` +
          "(or POST /v1/auth/password-reset with your email) and ask your firm's administrator or " +
          'Doklad support to remove the second factor.',
      });
      return { recoveryCodes };
    },

    async disableTotp(ctx, proof) {
      const ip = ctx.ip ?? 'unknown';
      const email = await deps.db.withTenant(ctx, async (tx) => {
        const user = await authRepo.findUserById(tx, ctx.actor.id);
        if (!user) throw new ReauthenticationFailedError();
        // Both checks share sign-in's lockouts, so a stolen session cannot guess either.
        await deps.throttle.assertAllowed(user.email, ip);
        const passwordOk = await deps.verifyPassword(user.passwordHash, proof.password);
        if (!passwordOk) await deps.throttle.recordFailure(user.email, ip);
        // Check both before answering, so the answer does not say which one was wrong.
        const codeOk = (await verifySecondFactor(tx, ctx.actor.id, { code: proof.code }, ip)) === 'totp';
        if (!passwordOk || !codeOk) throw new ReauthenticationFailedError();
        await repo.deleteTotp(tx, ctx.actor.id);
        await deps.audit.record(tx, ctx, {
          action: 'mfa.disabled',
          target: { type: 'user', id: ctx.actor.id },
        });
        return user.email;
      });
      await deps.mailer.send({
        to: email,
        subject: 'Two-factor authentication was turned off for your Doklad account',
        text:
          'The second factor of your Doklad account was just removed; signing in now needs only ' +
          'the password.\n\nIf this was not you, reset your password now at ' +
          `${deps.links.forgotPassword()} (or POST /v1/auth/password-reset with your email) and ` +
          'enrol again (POST /v1/me/mfa/totp).',
      });
    },
  };
}
