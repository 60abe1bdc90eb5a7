/** The public shapes of a member and of an invitation (never its tenant, inviter or token). */
import type { Role } from '../../core/permissions.js';
import type { InvitationRow, MemberRow } from './members.repo.js';

export interface MemberView {
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: Date;
}

export interface InvitationView {
  readonly id: string;
  readonly email: string;
  readonly role: Role;
  readonly expiresAt: Date;
  readonly acceptedAt: Date | null;
  readonly revokedAt: Date | null;
  readonly createdAt: Date;
}

export function memberView(row: MemberRow): MemberView {
  return { userId: row.userId, email: row.email, name: row.name, role: row.role, createdAt: row.createdAt };
}

export function invitationView(row: InvitationRow): InvitationView {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    expiresAt: row.expiresAt,
    acceptedAt: row.acceptedAt,
    revokedAt: row.revokedAt,
    createdAt: row.createdAt,
  };
}
