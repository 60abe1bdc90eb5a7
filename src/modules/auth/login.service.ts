/**
 * Signing in (ASVS V2.2, V3.2): password, then TOTP when the user has it. Unknown emails and wrong
 * passwords get the same answer after the same work (a dummy argon2 verification), failed attempts
 * are throttled per account and per IP, and a correct password with a weaker-than-current hash is
 * re-hashed on the spot.
 */
import type { Clock } from '../../core/clock.js';
import { UnauthorizedError } from '../../core/errors.js';
import type { RequestContext } from '../../core/request-context.js';
import type { PasswordHasher } from '../../platform/crypto/password-hasher.js';
import type { Db } from '../../platform/db/db.js';
import type { AuditService } from '../audit/audit.service.js';
import * as repo from './auth.repo.js';
import { normalizeEmail, type ClientInfo } from './client-info.js';
import type { LoginThrottle } from './login-throttle.js';
import type { MfaChallenges } from './mfa-challenges.js';
import type { MfaService, SecondFactorProof } from './mfa.service.js';
import { normalizePassword } from './password-policy.js';
import type { SessionManager } from './sessions.service.js';

export type LoginResult = { token: string; expiresAt: Date } | { mfaRequired: true; challengeToken: string };

const INVALID_CREDENTIALS = 'The email or password is not correct.';

export interface LoginService {
  login(
    client: ClientInfo,
    input: { email: string; password: string; tenantId?: string | undefined },
  ): Promise<LoginResult>;
  verifyMfa(
    client: ClientInfo,
    input: { challengeToken: string } & SecondFactorProof,
  ): Promise<{ token: string; expiresAt: Date }>;
}

export function createLoginService(deps: {
  db: Db;
  audit: AuditService;
  hasher: PasswordHasher;
  throttle: LoginThrottle;
  challenges: MfaChallenges;
  mfa: MfaService;
  sessions: SessionManager;
  clock: Clock;
}): LoginService {
  const userCtx = (tenantId: string, userId: string, client: ClientInfo): RequestContext => ({
    tenantId,
    actor: { kind: 'user', id: userId },
    permissions: new Set(),
    ...client,
  });

  async function checkPassword(email: string, password: string): Promise<repo.UserRow | null> {
    const user = await deps.db.withScope({ loginEmail: email }, (tx) => repo.findUserByEmail(tx, email));
    if (!user) return deps.hasher.verifyAgainstDummy(password).then(() => null);
    return (await deps.hasher.verify(user.passwordHash, password)) ? user : null;
  }

  /**
   * The firm to sign in to: the one asked for, else the person's first active membership. A firm
   * that is being closed can be signed in to (its grace period lasts weeks, sessions hours), but
   * only when nothing else is chosen: such a session reaches only export and cancel.
   */
  async function chooseTenant(userId: string, tenantId?: string): Promise<repo.MembershipOfUser | undefined> {
    const memberships = await deps.db.withScope({ userId }, (tx) => repo.listMembershipsOfUser(tx, userId));
    const open = memberships.filter((m) => m.tenantStatus === 'active' || m.tenantStatus === 'offboarding');
    if (tenantId) return open.find((m) => m.tenantId === tenantId);
    return open.find((m) => m.tenantStatus === 'active') ?? open[0];
  }

  async function recordFailure(
    email: string,
    client: ClientInfo,
    user: repo.UserRow | null,
    tenantId?: string,
  ) {
    await deps.throttle.recordFailure(email, client.ip);
    if (!user) return;
    const membership = await chooseTenant(user.id, tenantId);
    if (!membership) return;
    const ctx = userCtx(membership.tenantId, user.id, client);
    await deps.db.withTenant(ctx, (tx) =>
      deps.audit.record(tx, ctx, {
        action: 'user.login_failed',
        target: { type: 'user', id: user.id },
        payload: { reason: 'password' },
      }),
    );
  }

  async function startSession(client: ClientInfo, userId: string, tenantId: string, method: string) {
    const ctx = userCtx(tenantId, userId, client);
    return deps.db.withTenant(ctx, async (tx) => {
      const session = await deps.sessions.issue(tx, {
        tenantId,
        userId,
        ip: client.ip,
        userAgent: client.userAgent,
      });
      await deps.audit.record(tx, ctx, {
        action: 'user.logged_in',
        target: { type: 'session', id: session.id },
        payload: { method },
      });
      return { token: session.token, expiresAt: session.expiresAt };
    });
  }

  return {
    async login(client, input) {
      const email = normalizeEmail(input.email);
      const password = normalizePassword(input.password);
      await deps.throttle.assertAllowed(email, client.ip);
      const user = await checkPassword(email, password);
      if (!user) {
        await recordFailure(email, client, null);
        throw new UnauthorizedError(INVALID_CREDENTIALS);
      }
      const membership = await chooseTenant(user.id, input.tenantId);
      if (!membership) {
        await recordFailure(email, client, user, input.tenantId);
        throw new UnauthorizedError(INVALID_CREDENTIALS);
      }
      await deps.throttle.recordSuccess(email, client.ip);
      if (deps.hasher.needsRehash(user.passwordHash)) {
        const rehashed = await deps.hasher.hash(password);
        await deps.db.withScope({ userId: user.id }, (tx) => repo.updatePassword(tx, user.id, rehashed));
      }
      const hasTotp = await deps.db.withScope({ userId: user.id }, (tx) =>
        deps.mfa.hasConfirmedTotp(tx, user.id),
      );
      if (hasTotp) {
        return {
          mfaRequired: true,
          challengeToken: await deps.challenges.create({ userId: user.id, tenantId: membership.tenantId }),
        };
      }
      return startSession(client, user.id, membership.tenantId, 'password');
    },

    async verifyMfa(client, input) {
      const pending = await deps.challenges.attempt(input.challengeToken);
      if (!pending) throw new UnauthorizedError('The sign-in has expired. Sign in again.');
      const method = await deps.db.withScope({ userId: pending.userId }, (tx) =>
        deps.mfa.verifySecondFactor(tx, pending.userId, input, client.ip),
      );
      if (!method) {
        const ctx = userCtx(pending.tenantId, pending.userId, client);
        await deps.db.withTenant(ctx, (tx) =>
          deps.audit.record(tx, ctx, {
            action: 'user.login_failed',
            target: { type: 'user', id: pending.userId },
            payload: { reason: 'second_factor' },
          }),
        );
        throw new UnauthorizedError('The code is not valid.');
      }
      await deps.challenges.finish(input.challengeToken);
      await deps.throttle.recordSecondFactorSuccess(pending.userId);
      return startSession(client, pending.userId, pending.tenantId, `password+${method}`);
    },
  };
}
