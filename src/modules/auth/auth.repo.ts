/** Queries for people, their memberships and sessions. Runs inside the caller's scoped transaction. */
import type { Role } from '../../core/permissions.js';
import type { Tx } from '../../platform/db/db.js';

export interface UserRow {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly passwordHash: string;
  /** When the person proved they read mail at `email`; null: never (the address is only claimed). */
  readonly emailVerifiedAt: Date | null;
}

export interface MembershipOfUser {
  readonly tenantId: string;
  readonly tenantName: string;
  readonly tenantStatus: string;
  readonly requireMfa: boolean;
  readonly role: Role;
  readonly createdAt: Date;
}

export interface SessionRow {
  readonly id: string;
  readonly tenantId: string;
  readonly userId: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly expiresAt: Date;
  readonly reauthenticatedAt: Date;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly revokedAt: Date | null;
}

const USER = { id: true, email: true, name: true, passwordHash: true, emailVerifiedAt: true } as const;

export async function findUserByEmail(tx: Tx, email: string): Promise<UserRow | null> {
  return tx.user.findUnique({ where: { email }, select: USER });
}

export async function findUserById(tx: Tx, id: string): Promise<UserRow | null> {
  return tx.user.findUnique({ where: { id }, select: USER });
}

export async function insertUser(
  tx: Tx,
  user: Omit<UserRow, 'emailVerifiedAt'> & { emailVerifiedAt?: Date },
): Promise<UserRow> {
  return tx.user.create({ data: user, select: USER });
}

/** Records that the person proved their current address; keeps the first proof's time. */
export async function markEmailVerified(tx: Tx, userId: string, now: Date): Promise<void> {
  await tx.user.updateMany({ where: { id: userId, emailVerifiedAt: null }, data: { emailVerifiedAt: now } });
}

/** Moves the account to a proved address (unique: a taken address fails with a unique violation). */
export async function changeEmail(tx: Tx, userId: string, email: string, now: Date): Promise<void> {
  await tx.user.update({ where: { id: userId }, data: { email, emailVerifiedAt: now } });
}

export async function updatePassword(
  tx: Tx,
  userId: string,
  passwordHash: string,
  changedAt?: Date,
): Promise<void> {
  await tx.user.update({
    where: { id: userId },
    data: { passwordHash, ...(changedAt ? { passwordChangedAt: changedAt } : {}) },
  });
}

export async function listMembershipsOfUser(tx: Tx, userId: string): Promise<MembershipOfUser[]> {
  const rows = await tx.membership.findMany({
    where: { userId },
    orderBy: { createdAt: 'asc' },
    select: {
      tenantId: true,
      role: true,
      createdAt: true,
      tenant: { select: { name: true, status: true, requireMfa: true } },
    },
  });
  return rows.map((r) => ({
    tenantId: r.tenantId,
    tenantName: r.tenant.name,
    tenantStatus: r.tenant.status,
    requireMfa: r.tenant.requireMfa,
    role: r.role as Role,
    createdAt: r.createdAt,
  }));
}

export async function insertSession(
  tx: Tx,
  session: Omit<SessionRow, 'id' | 'createdAt' | 'lastSeenAt' | 'revokedAt'> & {
    tokenHash: string;
    now: Date;
  },
): Promise<SessionRow> {
  const { now, ...data } = session;
  return tx.session.create({ data: { ...data, createdAt: now, lastSeenAt: now } });
}

export async function findSessionByTokenHash(tx: Tx, tokenHash: string): Promise<SessionRow | null> {
  return tx.session.findUnique({ where: { tokenHash } });
}

export async function touchSession(tx: Tx, id: string, now: Date): Promise<void> {
  await tx.session.update({ where: { id }, data: { lastSeenAt: now } });
}

export async function markReauthenticated(tx: Tx, id: string, now: Date): Promise<void> {
  await tx.session.update({ where: { id }, data: { reauthenticatedAt: now } });
}

export async function revokeSession(tx: Tx, id: string, now: Date, reason: string): Promise<boolean> {
  const { count } = await tx.session.updateMany({
    where: { id, revokedAt: null },
    data: { revokedAt: now, revokedReason: reason },
  });
  return count > 0;
}

/** Revokes a person's live sessions (in one tenant, or all of them), except `keepId`. */
export async function revokeUserSessions(
  tx: Tx,
  filter: { userId: string; tenantId?: string; keepId?: string },
  now: Date,
  reason: string,
): Promise<number> {
  const { count } = await tx.session.updateMany({
    where: {
      userId: filter.userId,
      revokedAt: null,
      ...(filter.tenantId ? { tenantId: filter.tenantId } : {}),
      ...(filter.keepId ? { id: { not: filter.keepId } } : {}),
    },
    data: { revokedAt: now, revokedReason: reason },
  });
  return count;
}

export async function listLiveSessions(tx: Tx, userId: string, now: Date): Promise<SessionRow[]> {
  return tx.session.findMany({
    where: { userId, revokedAt: null, expiresAt: { gt: now } },
    orderBy: { lastSeenAt: 'desc' },
  });
}

export interface PasswordResetRow {
  readonly id: string;
  readonly userId: string;
  readonly expiresAt: Date;
  readonly usedAt: Date | null;
}

export async function insertPasswordReset(
  tx: Tx,
  reset: { userId: string; tokenHash: string; expiresAt: Date },
): Promise<void> {
  await tx.passwordReset.create({ data: reset });
}

export async function findPasswordResetByHash(tx: Tx, tokenHash: string): Promise<PasswordResetRow | null> {
  return tx.passwordReset.findUnique({
    where: { tokenHash },
    select: { id: true, userId: true, expiresAt: true, usedAt: true },
  });
}

/** Marks a reset used; false when it already was (single use under concurrency). */
export async function consumePasswordReset(tx: Tx, id: string, now: Date): Promise<boolean> {
  const { count } = await tx.passwordReset.updateMany({ where: { id, usedAt: null }, data: { usedAt: now } });
  return count === 1;
}

/**
 * Ends every unused password reset of the person: when the address changes (they were mailed to
 * the old mailbox), and when the password is reset or changed (a later password must win).
 */
export async function revokePasswordResets(tx: Tx, userId: string, now: Date): Promise<void> {
  await tx.passwordReset.updateMany({ where: { userId, usedAt: null }, data: { usedAt: now } });
}
