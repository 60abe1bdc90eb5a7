/**
 * Every column that holds a person's own data, in one place: what erasure scrubs and what a
 * firm's personal-data export reads. Erasure is cross-cutting by nature (accounts, sessions,
 * factors, invitations, tokens), so these queries live here rather than as one method in each
 * module; the erasure test scans every text column of every table, so a new column that holds a
 * name or an address and is missing here fails it. The documents table is the exception: erasure
 * changes no document row (uploaders are referenced by id), and the export's count of a person's
 * uploads comes from the table's owner (DocumentsService.countUploadedBy).
 */
import type { Tx } from '../../platform/db/db.js';

/** Marks an erased account's password: not an argon2 hash, so no password ever matches it. */
const ERASED_PASSWORD = '!erased';

export interface PersonMembership {
  readonly tenantId: string;
  readonly role: string;
}

/** Inside the person's own scope (app.user_id). */
export async function listOwnMemberships(tx: Tx, userId: string): Promise<PersonMembership[]> {
  return tx.membership.findMany({ where: { userId }, select: { tenantId: true, role: true } });
}

/**
 * Makes the transaction act for `userId` too (RLS then also admits that person's own rows), or
 * for nobody with null. Only for the purge of a closed firm, which must see whether each member
 * belongs to any other firm, and erase those who do not.
 */
export async function actAsUser(tx: Tx, userId: string | null): Promise<void> {
  await tx.$executeRaw`SELECT set_config('app.user_id', ${userId ?? ''}, true)`;
}

export async function listMemberIds(tx: Tx, tenantId: string): Promise<string[]> {
  const rows = await tx.membership.findMany({ where: { tenantId }, select: { userId: true } });
  return rows.map((r) => r.userId);
}

export async function countOwners(tx: Tx, tenantId: string): Promise<number> {
  return tx.membership.count({ where: { tenantId, role: 'owner' } });
}

export async function findUser(tx: Tx, userId: string) {
  return tx.user.findUnique({
    where: { id: userId },
    select: { id: true, name: true, email: true, emailVerifiedAt: true, createdAt: true },
  });
}

/**
 * The account keeps its id (the pseudonymous id audit events refer to) and loses everything
 * that says who it was. Runs in the person's own scope: their sessions in every firm, factors,
 * codes and pending email links.
 */
export async function scrubAccount(
  tx: Tx,
  userId: string,
  pseudonym: { name: string; email: string },
  now: Date,
): Promise<{ sessionsRevoked: number }> {
  await tx.user.update({
    where: { id: userId },
    data: {
      name: pseudonym.name,
      email: pseudonym.email,
      passwordHash: ERASED_PASSWORD,
      emailVerifiedAt: null,
    },
  });
  const sessions = await tx.session.updateMany({
    where: { userId, revokedAt: null },
    data: { revokedAt: now, revokedReason: 'person_erased' },
  });
  // Where and with what a person signed in is theirs too, revoked sessions included.
  await tx.session.updateMany({ where: { userId }, data: { ip: null, userAgent: null } });
  await tx.recoveryCode.deleteMany({ where: { userId } });
  await tx.mfaFactor.deleteMany({ where: { userId } });
  await tx.emailVerification.updateMany({
    where: { userId },
    data: { email: pseudonym.email, usedAt: now },
  });
  await tx.passwordReset.updateMany({ where: { userId, usedAt: null }, data: { usedAt: now } });
  return { sessionsRevoked: sessions.count };
}

/** In one firm's context: the person leaves it, their tokens stop, invitations to them lose the address. */
export async function scrubMembership(
  tx: Tx,
  tenantId: string,
  userId: string,
  formerEmail: string,
  pseudonymEmail: string,
  now: Date,
): Promise<{ tokensRevoked: number; invitationsScrubbed: number }> {
  const tokens = await tx.apiToken.updateMany({
    where: { tenantId, createdBy: userId, revokedAt: null },
    data: { revokedAt: now },
  });
  const invitations = await tx.invitation.updateMany({
    where: { tenantId, email: formerEmail },
    data: { email: pseudonymEmail, revokedAt: now },
  });
  await tx.membership.deleteMany({ where: { tenantId, userId } });
  return { tokensRevoked: tokens.count, invitationsScrubbed: invitations.count };
}

const AUDIT_EXPORT_LIMIT = 1_000;

/**
 * What one firm holds about one of its members (GDPR art. 15), inside that firm's context. The
 * account's second factor is the person's, not the firm's (RLS shows it to them alone).
 */
export async function readPersonalData(tx: Tx, tenantId: string, userId: string) {
  // One statement at a time: a transaction has one connection.
  const membership = await tx.membership.findUnique({
    where: { tenantId_userId: { tenantId, userId } },
    select: { role: true, createdAt: true },
  });
  const user = await findUser(tx, userId);
  const sessions = await tx.session.findMany({
    where: { tenantId, userId },
    select: { createdAt: true, lastSeenAt: true, ip: true, userAgent: true, revokedAt: true },
    orderBy: { createdAt: 'desc' },
    take: AUDIT_EXPORT_LIMIT,
  });
  const tokens = await tx.apiToken.findMany({
    where: { tenantId, createdBy: userId },
    select: { id: true, name: true, createdAt: true, lastUsedAt: true, revokedAt: true },
    orderBy: { createdAt: 'desc' },
  });
  if (!membership || !user) return null;
  const invitations = await tx.invitation.findMany({
    where: { tenantId, email: user.email },
    select: { id: true, role: true, createdAt: true, acceptedAt: true },
  });
  const events = await tx.auditEvent.findMany({
    where: {
      tenantId,
      OR: [
        { actorKind: 'user', actorId: userId },
        { targetType: 'user', targetId: userId },
      ],
    },
    select: {
      occurredAt: true,
      action: true,
      actorId: true,
      targetType: true,
      targetId: true,
      ip: true,
      userAgent: true,
      requestId: true,
    },
    orderBy: { ingestId: 'desc' },
    take: AUDIT_EXPORT_LIMIT + 1,
  });
  return {
    subject: user,
    membership,
    sessions,
    tokensCreated: tokens,
    invitations,
    auditEvents: events.slice(0, AUDIT_EXPORT_LIMIT),
    auditEventsTruncated: events.length > AUDIT_EXPORT_LIMIT,
  };
}
