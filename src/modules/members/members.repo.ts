/** Queries of memberships and invitations within one tenant. */
import type { Role } from '../../core/permissions.js';
import type { Tx } from '../../platform/db/db.js';

export interface MemberRow {
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: Date;
}

export interface InvitationRow {
  readonly id: string;
  readonly tenantId: string;
  readonly email: string;
  readonly role: Role;
  readonly invitedBy: string;
  readonly expiresAt: Date;
  readonly acceptedAt: Date | null;
  readonly revokedAt: Date | null;
  readonly createdAt: Date;
}

export async function listMembers(tx: Tx, tenantId: string): Promise<MemberRow[]> {
  const rows = await tx.membership.findMany({
    where: { tenantId },
    orderBy: { createdAt: 'asc' },
    select: { userId: true, role: true, createdAt: true, user: { select: { email: true, name: true } } },
  });
  return rows.map((r) => ({
    userId: r.userId,
    email: r.user.email,
    name: r.user.name,
    role: r.role as Role,
    createdAt: r.createdAt,
  }));
}

export async function findMember(tx: Tx, tenantId: string, userId: string): Promise<MemberRow | null> {
  return (await listMembers(tx, tenantId)).find((m) => m.userId === userId) ?? null;
}

export async function findRole(tx: Tx, tenantId: string, userId: string): Promise<Role | null> {
  const row = await tx.membership.findUnique({
    where: { tenantId_userId: { tenantId, userId } },
    select: { role: true },
  });
  return (row?.role as Role | undefined) ?? null;
}

/** Locks the tenant's owner memberships so "is this the last owner?" cannot race. */
export async function lockOwners(tx: Tx, tenantId: string): Promise<number> {
  const rows = await tx.$queryRaw<{ user_id: string }[]>`
    SELECT user_id FROM memberships WHERE tenant_id = ${tenantId}::uuid AND role = 'owner' FOR UPDATE`;
  return rows.length;
}

export async function updateRole(tx: Tx, tenantId: string, userId: string, role: Role): Promise<void> {
  await tx.membership.update({ where: { tenantId_userId: { tenantId, userId } }, data: { role } });
}

export async function deleteMembership(tx: Tx, tenantId: string, userId: string): Promise<void> {
  await tx.membership.delete({ where: { tenantId_userId: { tenantId, userId } } });
}

export async function insertMembership(
  tx: Tx,
  membership: { tenantId: string; userId: string; role: Role },
): Promise<void> {
  await tx.membership.create({ data: membership });
}

const INVITATION = {
  id: true,
  tenantId: true,
  email: true,
  role: true,
  invitedBy: true,
  expiresAt: true,
  acceptedAt: true,
  revokedAt: true,
  createdAt: true,
} as const;

type RawInvitation = Omit<InvitationRow, 'role'> & { role: string };
const asInvitation = (row: RawInvitation): InvitationRow => ({ ...row, role: row.role as Role });

export async function insertInvitation(
  tx: Tx,
  invitation: Pick<InvitationRow, 'tenantId' | 'email' | 'role' | 'invitedBy' | 'expiresAt'> & {
    tokenHash: string;
  },
): Promise<InvitationRow> {
  return asInvitation(await tx.invitation.create({ data: invitation, select: INVITATION }));
}

export async function listInvitations(tx: Tx, tenantId: string): Promise<InvitationRow[]> {
  const rows = await tx.invitation.findMany({
    where: { tenantId },
    orderBy: { createdAt: 'desc' },
    select: INVITATION,
  });
  return rows.map(asInvitation);
}

export async function findInvitationByHash(tx: Tx, tokenHash: string): Promise<InvitationRow | null> {
  const row = await tx.invitation.findUnique({ where: { tokenHash }, select: INVITATION });
  return row ? asInvitation(row) : null;
}

export async function revokeInvitation(tx: Tx, tenantId: string, id: string, now: Date): Promise<boolean> {
  const { count } = await tx.invitation.updateMany({
    where: { tenantId, id, acceptedAt: null, revokedAt: null },
    data: { revokedAt: now },
  });
  return count === 1;
}

export async function findInvitation(tx: Tx, tenantId: string, id: string): Promise<InvitationRow | null> {
  const row = await tx.invitation.findFirst({ where: { tenantId, id }, select: INVITATION });
  return row ? asInvitation(row) : null;
}

/** Marks an open invitation accepted; false when it was accepted or revoked meanwhile. */
export async function acceptInvitation(tx: Tx, id: string, now: Date): Promise<boolean> {
  const { count } = await tx.invitation.updateMany({
    where: { id, acceptedAt: null, revokedAt: null },
    data: { acceptedAt: now },
  });
  return count === 1;
}
