/**
 * A signed-in person's own account: sign-up, profile, password change, sessions, step-up and
 * switching between the firms they belong to.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ReauthenticationFailedError,
  ValidationFailedError,
} from '../../core/errors.js';
import type { Role } from '../../core/permissions.js';
import type { RequestContext } from '../../core/request-context.js';
import type { PasswordHasher } from '../../platform/crypto/password-hasher.js';
import type { Db, Tx } from '../../platform/db/db.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { EmailVerificationService } from './email-verification.service.js';
import type { InvitationsService } from '../members/invitations.service.js';
import type { MembersService } from '../members/members.service.js';
import type { TenantsService } from '../tenants/tenants.service.js';
import * as repo from './auth.repo.js';
import { normalizeEmail, type ClientInfo } from './client-info.js';
import type { LoginThrottle } from './login-throttle.js';
import type { MfaService } from './mfa.service.js';
import { checkPassword, normalizePassword, type PasswordContext } from './password-policy.js';
import type { SessionManager } from './sessions.service.js';

export interface SignupInput {
  readonly tenantName: string;
  readonly email: string;
  readonly password: string;
  readonly name: string;
}

export interface SessionView {
  readonly id: string;
  readonly tenantId: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly expiresAt: Date;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly current: boolean;
}

/** Refuses a password that breaks the policy, naming every reason. */
export async function assertAcceptablePassword(
  password: string,
  context: PasswordContext,
  field = 'body.password',
): Promise<void> {
  const problems = await checkPassword(password, context);
  if (problems.length > 0) {
    throw new ValidationFailedError(
      `The password ${problems.join('; ')}.`,
      problems.map((message) => ({ field, message })),
    );
  }
}

/** A person now in a firm, signed in: sign-up and accepting an invitation both end here. */
export interface JoinedFirm {
  readonly tenant: { id: string; name: string };
  readonly user: { id: string; email: string };
  readonly token: string;
  readonly expiresAt: Date;
}

export interface AccountService {
  signup(client: ClientInfo, input: SignupInput): Promise<JoinedFirm>;
  me(
    ctx: RequestContext,
    sessionId: string,
  ): Promise<{
    user: repo.UserRow;
    memberships: repo.MembershipOfUser[];
    mfaEnabled: boolean;
    session: repo.SessionRow;
  }>;
  changePassword(
    ctx: RequestContext,
    sessionId: string,
    input: { currentPassword: string; newPassword: string },
  ): Promise<void>;
  listSessions(ctx: RequestContext, currentSessionId: string): Promise<SessionView[]>;
  revokeSession(ctx: RequestContext, sessionId: string): Promise<void>;
  logout(ctx: RequestContext, sessionId: string): Promise<void>;
  switchTenant(
    ctx: RequestContext,
    session: repo.SessionRow,
    tenantId: string,
  ): Promise<{ token: string; expiresAt: Date }>;
  stepUp(
    ctx: RequestContext,
    sessionId: string,
    proof: { password?: string | undefined; code?: string | undefined },
  ): Promise<void>;
  acceptInvitation(
    client: ClientInfo,
    input: { token: string; password: string; name?: string | undefined },
  ): Promise<JoinedFirm>;
}

export function createAccountService(deps: {
  db: Db;
  audit: AuditService;
  tenants: TenantsService;
  members: MembersService;
  invitations: InvitationsService;
  hasher: PasswordHasher;
  mfa: MfaService;
  sessions: SessionManager;
  throttle: LoginThrottle;
  clock: Clock;
  signupEnabled: boolean;
  /** Mails the link that proves a new account's address (email-verification.service.ts). */
  emailVerification: Pick<EmailVerificationService, 'sendSignupLink'>;
}): AccountService {
  const { db, audit, clock } = deps;
  const own = (ctx: RequestContext) => ({ userId: ctx.actor.id });

  /**
   * The last steps of sign-up and of accepting an invitation, in the caller's transaction: the
   * person becomes a member, gets a session in the firm, and the event is audited.
   */
  async function joinTenant(
    tx: Tx,
    ctx: RequestContext,
    join: {
      tenant: { id: string; name: string };
      user: { id: string; email: string };
      role: Role;
      client: ClientInfo;
    },
    event: { action: string; payload: Record<string, unknown> },
  ) {
    await deps.members.addMember(tx, { tenantId: join.tenant.id, userId: join.user.id, role: join.role });
    const session = await deps.sessions.issue(tx, {
      tenantId: join.tenant.id,
      userId: join.user.id,
      ip: join.client.ip,
      userAgent: join.client.userAgent,
    });
    await audit.record(tx, ctx, {
      action: event.action,
      target: { type: 'user', id: join.user.id },
      payload: event.payload,
    });
    return { tenant: join.tenant, user: join.user, token: session.token, expiresAt: session.expiresAt };
  }

  return {
    async signup(client, input) {
      if (!deps.signupEnabled)
        throw new ForbiddenError('Sign-up is disabled on this server; ask your firm for an invitation.');
      const email = normalizeEmail(input.email);
      const name = input.name.normalize('NFC').trim();
      await assertAcceptablePassword(input.password, { email, name, tenantName: input.tenantName });
      const passwordHash = await deps.hasher.hash(normalizePassword(input.password));
      const userId = randomUUID();
      let joined: JoinedFirm;
      try {
        // The account only claims its address until the link mailed there is followed; until then
        // it counts as nobody's address (no platform role can be granted to it, for one).
        joined = await deps.tenants.createTenant(
          { actor: { kind: 'user', id: userId }, ...client },
          { name: input.tenantName },
          async (tx, ctx, tenant) => {
            await repo.insertUser(tx, { id: userId, email, name, passwordHash });
            return joinTenant(
              tx,
              ctx,
              {
                tenant: { id: tenant.id, name: tenant.name },
                user: { id: userId, email },
                role: 'owner',
                client,
              },
              { action: 'user.signed_up', payload: { role: 'owner' } },
            );
          },
        );
      } catch (error) {
        if (isUniqueViolation(error))
          throw new ConflictError(
            'An account with this email already exists; sign in instead.',
            'email_taken',
          );
        throw error;
      }
      await deps.emailVerification.sendSignupLink({ id: userId, email });
      return joined;
    },

    async me(ctx, sessionId) {
      return db.withScope(own(ctx), async (tx) => {
        const user = await repo.findUserById(tx, ctx.actor.id);
        const session = (await repo.listLiveSessions(tx, ctx.actor.id, clock())).find(
          (s) => s.id === sessionId,
        );
        if (!user || !session) throw new NotFoundError();
        const memberships = (await repo.listMembershipsOfUser(tx, ctx.actor.id)).filter(
          (m) => m.tenantStatus === 'active',
        );
        return { user, memberships, mfaEnabled: await deps.mfa.hasConfirmedTotp(tx, ctx.actor.id), session };
      });
    },

    async changePassword(ctx, sessionId, input) {
      const user = await db.withScope(own(ctx), (tx) => repo.findUserById(tx, ctx.actor.id));
      if (!user) throw new NotFoundError();
      // The current-password check shares sign-in's lockout: otherwise a stolen session would be
      // an unthrottled oracle for the password.
      const ip = ctx.ip ?? 'unknown';
      await deps.throttle.assertAllowed(user.email, ip);
      if (!(await deps.hasher.verify(user.passwordHash, normalizePassword(input.currentPassword)))) {
        await deps.throttle.recordFailure(user.email, ip);
        throw new ReauthenticationFailedError('The current password is not correct.');
      }
      await db.withTenant(ctx, async (tx) => {
        await assertAcceptablePassword(
          input.newPassword,
          { email: user.email, name: user.name },
          'body.newPassword',
        );
        const now = clock();
        await repo.updatePassword(
          tx,
          user.id,
          await deps.hasher.hash(normalizePassword(input.newPassword)),
          now,
        );
        const revoked = await repo.revokeUserSessions(
          tx,
          { userId: user.id, keepId: sessionId },
          now,
          'password_changed',
        );
        // A reset link mailed before the change would otherwise still set a password over it.
        await repo.revokePasswordResets(tx, user.id, now);
        await audit.record(tx, ctx, {
          action: 'user.password_changed',
          target: { type: 'user', id: user.id },
          payload: { sessionsRevoked: revoked },
        });
      });
    },

    async listSessions(ctx, currentSessionId) {
      const rows = await db.withScope(own(ctx), (tx) => repo.listLiveSessions(tx, ctx.actor.id, clock()));
      return rows.map((s) => ({
        id: s.id,
        tenantId: s.tenantId,
        createdAt: s.createdAt,
        lastSeenAt: s.lastSeenAt,
        expiresAt: deps.sessions.idleExpiry(s),
        ip: s.ip,
        userAgent: s.userAgent,
        current: s.id === currentSessionId,
      }));
    },

    async revokeSession(ctx, sessionId) {
      await db.withTenant(ctx, async (tx) => {
        const mine = (await repo.listLiveSessions(tx, ctx.actor.id, clock())).some((s) => s.id === sessionId);
        // Another person's session, or an unknown id: the same 404.
        if (!mine) throw new NotFoundError('The session does not exist.');
        await repo.revokeSession(tx, sessionId, clock(), 'revoked_by_user');
        await audit.record(tx, ctx, {
          action: 'session.revoked',
          target: { type: 'session', id: sessionId },
        });
      });
    },

    async logout(ctx, sessionId) {
      await db.withTenant(ctx, async (tx) => {
        await repo.revokeSession(tx, sessionId, clock(), 'logout');
        await audit.record(tx, ctx, {
          action: 'user.logged_out',
          target: { type: 'session', id: sessionId },
        });
      });
    },

    async switchTenant(ctx, session, tenantId) {
      const memberships = await db.withScope(own(ctx), (tx) => repo.listMembershipsOfUser(tx, ctx.actor.id));
      // A firm that is being closed stays reachable, for its export and cancel routes only.
      const reachable = (status: string) => status === 'active' || status === 'offboarding';
      if (!memberships.some((m) => m.tenantId === tenantId && reachable(m.tenantStatus))) {
        throw new NotFoundError('The firm does not exist.');
      }
      await db.withTenant(ctx, (tx) => repo.revokeSession(tx, session.id, clock(), 'switched_tenant'));
      const target: RequestContext = { ...ctx, tenantId };
      return db.withTenant(target, async (tx) => {
        // The new session inherits the old one's lifetime and step-up time: switching never extends them.
        const issued = await deps.sessions.issue(tx, {
          tenantId,
          userId: ctx.actor.id,
          ip: ctx.ip,
          userAgent: ctx.userAgent,
          expiresAt: session.expiresAt,
          reauthenticatedAt: session.reauthenticatedAt,
        });
        await audit.record(tx, target, {
          action: 'session.tenant_switched',
          target: { type: 'session', id: issued.id },
          payload: { fromTenantId: ctx.tenantId },
        });
        return { token: issued.token, expiresAt: issued.expiresAt };
      });
    },

    async stepUp(ctx, sessionId, proof) {
      const user = await db.withScope(own(ctx), (tx) => repo.findUserById(tx, ctx.actor.id));
      if (!user) throw new NotFoundError();
      const ip = ctx.ip ?? 'unknown';
      // Confirmations count against the same lockouts as sign-in, so a stolen session cannot be
      // used to guess the password or the codes (a code's lockout is checked by the MFA service).
      if (!proof.code) await deps.throttle.assertAllowed(user.email, ip);
      const ok = await db.withTenant(ctx, async (tx) => {
        const valid = proof.code
          ? (await deps.mfa.verifySecondFactor(tx, ctx.actor.id, { code: proof.code }, ip)) === 'totp'
          : Boolean(
              proof.password &&
              (await deps.hasher.verify(user.passwordHash, normalizePassword(proof.password))),
            );
        if (!valid) return false;
        await repo.markReauthenticated(tx, sessionId, clock());
        await audit.record(tx, ctx, {
          action: 'session.reauthenticated',
          target: { type: 'session', id: sessionId },
          payload: { method: proof.code ? 'totp' : 'password' },
        });
        return true;
      });
      if (!ok) {
        if (!proof.code) await deps.throttle.recordFailure(user.email, ip);
        throw new ReauthenticationFailedError();
      }
    },

    async acceptInvitation(client, input) {
      const invitation = await deps.invitations.openInvitation(input.token);
      const existing = await db.withScope({ loginEmail: invitation.email }, (tx) =>
        repo.findUserByEmail(tx, invitation.email),
      );
      let passwordHash: string | undefined;
      if (existing) {
        // Joining with an existing account proves ownership of it with its password.
        await deps.throttle.assertAllowed(existing.email, client.ip);
        if (!(await deps.hasher.verify(existing.passwordHash, normalizePassword(input.password)))) {
          await deps.throttle.recordFailure(existing.email, client.ip);
          throw new ReauthenticationFailedError('The password is not correct for this account.');
        }
      } else {
        if (!input.name?.trim())
          throw new ValidationFailedError('Your name is required.', [
            { field: 'body.name', message: 'is required' },
          ]);
        await assertAcceptablePassword(input.password, {
          email: invitation.email,
          name: input.name,
          tenantName: invitation.tenantName,
        });
        passwordHash = await deps.hasher.hash(normalizePassword(input.password));
      }
      const userId = existing?.id ?? randomUUID();
      const ctx: RequestContext = {
        tenantId: invitation.tenantId,
        actor: { kind: 'user', id: userId },
        permissions: new Set(),
        ...client,
      };
      try {
        return await db.withTenant(ctx, async (tx) => {
          // The invitation token was mailed to this address: accepting it proves the mailbox, for a
          // new account and for an existing one alike.
          if (passwordHash)
            await repo.insertUser(tx, {
              id: userId,
              email: invitation.email,
              name: input.name!.normalize('NFC').trim(),
              passwordHash,
              emailVerifiedAt: clock(),
            });
          else await repo.markEmailVerified(tx, userId, clock());
          await deps.invitations.markAccepted(tx, invitation.id);
          return joinTenant(
            tx,
            ctx,
            {
              tenant: { id: invitation.tenantId, name: invitation.tenantName },
              user: { id: userId, email: invitation.email },
              role: invitation.role,
              client,
            },
            { action: 'member.joined', payload: { role: invitation.role, invitationId: invitation.id } },
          );
        });
      } catch (error) {
        if (isUniqueViolation(error))
          throw new ConflictError('You are already a member of this firm.', 'already_member');
        throw error;
      }
    },
  };
}
