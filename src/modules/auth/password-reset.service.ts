/**
 * Password reset (ASVS V2.5): a single-use token, valid 30 minutes, mailed to the account. The
 * request's answer is the same whether or not the email is registered, and so is its timing:
 * looking the address up, storing the token and mailing it all happen after the answer. A reset
 * revokes every session and every other reset link, and lifts every sign-in lock of the account,
 * but never removes the second factor: the next sign-in still asks for it. Using a reset link
 * proves the mailbox, so it also marks the account's address verified.
 */
import type { Clock } from '../../core/clock.js';
import { ValidationFailedError } from '../../core/errors.js';
import { generateToken, hashToken } from '../../platform/crypto/tokens.js';
import type { PasswordHasher } from '../../platform/crypto/password-hasher.js';
import type { Db } from '../../platform/db/db.js';
import type { BackgroundTasks } from '../../platform/background-tasks.js';
import type { Mailer } from '../../platform/mailer.js';
import type { MailLinks } from './mail-links.js';
import type { AuditService } from '../audit/audit.service.js';
import { assertAcceptablePassword } from './account.service.js';
import * as repo from './auth.repo.js';
import { normalizeEmail, type ClientInfo } from './client-info.js';
import { normalizePassword } from './password-policy.js';
import type { LoginThrottle } from './login-throttle.js';
import { recordInEveryTenant } from './user-audit.service.js';

export interface PasswordResetService {
  requestReset(client: ClientInfo, email: string): Promise<void>;
  confirmReset(client: ClientInfo, input: { token: string; newPassword: string }): Promise<void>;
}

const INVALID_TOKEN = 'The reset link is invalid or has expired. Request a new one.';

export function createPasswordResetService(deps: {
  db: Db;
  audit: AuditService;
  hasher: PasswordHasher;
  mailer: Mailer;
  backgroundTasks: BackgroundTasks;
  throttle: LoginThrottle;
  clock: Clock;
  ttlMs: number;
  links: MailLinks;
}): PasswordResetService {
  const { db, clock } = deps;

  const auditInEveryTenant = (client: ClientInfo, userId: string, action: string) =>
    recordInEveryTenant(deps, client, userId, { action });

  /** Looks the address up and, when it has an account, stores a token and mails it. */
  async function sendResetLink(client: ClientInfo, email: string): Promise<void> {
    const user = await db.withScope({ loginEmail: email }, (tx) => repo.findUserByEmail(tx, email));
    if (!user) return;
    const token = generateToken('pwr_');
    const now = clock();
    await db.withScope({ userId: user.id }, (tx) =>
      repo.insertPasswordReset(tx, {
        userId: user.id,
        tokenHash: hashToken(token),
        expiresAt: new Date(now.getTime() + deps.ttlMs),
      }),
    );
    await deps.mailer.send({
      to: user.email,
      subject: 'Reset your Doklad password',
      text:
        `Someone (hopefully you) asked to reset the password of ${user.email}.\n\n` +
        `To choose a new password, open this link within ${Math.round(deps.ttlMs / 60_000)} minutes:\n` +
        `${deps.links.resetPassword(token)}\n\n` +
        `Without the web app: POST /v1/auth/password-reset/confirm with ` +
        `{"token": "${token}", "newPassword": "…"}.\n\n` +
        'If you did not ask for this, ignore this message; your password stays as it is.',
    });
    await auditInEveryTenant(client, user.id, 'user.password_reset_requested');
  }

  return {
    async requestReset(client, rawEmail) {
      const email = normalizeEmail(rawEmail);
      // Nothing is read, written or mailed before the answer, for a registered address or not:
      // both paths do exactly this, so neither the answer nor its timing tells them apart.
      deps.backgroundTasks.run('password-reset-link', () => sendResetLink(client, email));
    },

    async confirmReset(client, input) {
      const tokenHash = hashToken(input.token);
      const reset = await db.withScope({ resetTokenHash: tokenHash }, (tx) =>
        repo.findPasswordResetByHash(tx, tokenHash),
      );
      const now = clock();
      if (!reset || reset.usedAt || reset.expiresAt <= now) {
        throw new ValidationFailedError(INVALID_TOKEN, [
          { field: 'body.token', message: 'is invalid or expired' },
        ]);
      }
      const email = await db.withScope({ userId: reset.userId }, async (tx) => {
        const user = await repo.findUserById(tx, reset.userId);
        if (!user) throw new ValidationFailedError(INVALID_TOKEN);
        await assertAcceptablePassword(
          input.newPassword,
          { email: user.email, name: user.name },
          'body.newPassword',
        );
        // Single use, even under concurrent confirmations: only one update can flip used_at.
        if (!(await repo.consumePasswordReset(tx, reset.id, now)))
          throw new ValidationFailedError(INVALID_TOKEN);
        await repo.updatePassword(
          tx,
          user.id,
          await deps.hasher.hash(normalizePassword(input.newPassword)),
          now,
        );
        await repo.revokeUserSessions(tx, { userId: user.id }, now, 'password_reset');
        // Every other outstanding link dies with this one: a link mailed earlier must not undo it.
        await repo.revokePasswordResets(tx, user.id, now);
        // The reset link was mailed to the account's address: using it proves the mailbox.
        await repo.markEmailVerified(tx, user.id, now);
        return user.email;
      });
      // The owner just proved the mailbox: whatever locks others caused are lifted. A Redis hiccup
      // here must not turn a completed reset into an error; the locks then simply run out.
      await deps.throttle.clearAccount(email).catch(() => undefined);
      await auditInEveryTenant(client, reset.userId, 'user.password_reset');
    },
  };
}
