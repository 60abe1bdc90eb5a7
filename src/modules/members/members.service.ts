/**
 * The people of a firm and their roles. Only owners grant or take away the owner role, and a firm
 * always keeps at least one owner. Removing someone ends their sessions in the firm at once.
 */
import { ConflictError, ForbiddenError, NotFoundError } from '../../core/errors.js';
import type { Role } from '../../core/permissions.js';
import type { RequestContext } from '../../core/request-context.js';
import type { Db, Tx } from '../../platform/db/db.js';
import type { AuditService } from '../audit/audit.service.js';
import type { SessionManager } from '../auth/sessions.service.js';
import * as repo from './members.repo.js';

import { memberView, type MemberView } from './members.views.js';

export type { MemberView } from './members.views.js';

/** Owners are the members with `tenant:manage`. */
export function isOwnerContext(ctx: RequestContext): boolean {
  return ctx.permissions.has('tenant:manage');
}

export interface MembersService {
  listMembers(ctx: RequestContext): Promise<MemberView[]>;
  changeRole(ctx: RequestContext, userId: string, role: Role): Promise<MemberView>;
  removeMember(ctx: RequestContext, userId: string): Promise<void>;
  /** The person's role in the context's tenant, or null when they are not a member. */
  roleOf(tx: Tx, tenantId: string, userId: string): Promise<Role | null>;
  addMember(tx: Tx, membership: { tenantId: string; userId: string; role: Role }): Promise<void>;
}

export function createMembersService(deps: {
  db: Db;
  audit: AuditService;
  sessions: SessionManager;
}): MembersService {
  const { db, audit } = deps;

  async function lockedTarget(tx: Tx, ctx: RequestContext, userId: string) {
    const owners = await repo.lockOwners(tx, ctx.tenantId);
    const target = await repo.findMember(tx, ctx.tenantId, userId);
    if (!target) throw new NotFoundError('The member does not exist.');
    return { owners, target };
  }

  return {
    listMembers: async (ctx) =>
      (await db.withTenant(ctx, (tx) => repo.listMembers(tx, ctx.tenantId))).map(memberView),

    async changeRole(ctx, userId, role) {
      return db.withTenant(ctx, async (tx) => {
        const { owners, target } = await lockedTarget(tx, ctx, userId);
        if ((role === 'owner' || target.role === 'owner') && !isOwnerContext(ctx)) {
          throw new ForbiddenError('Only an owner can grant or take away the owner role.');
        }
        if (target.role === 'owner' && role !== 'owner' && owners <= 1) {
          throw new ConflictError('The firm must keep at least one owner.', 'last_owner');
        }
        if (target.role !== role) {
          await repo.updateRole(tx, ctx.tenantId, userId, role);
          await audit.record(tx, ctx, {
            action: 'member.role_changed',
            target: { type: 'user', id: userId },
            payload: { from: target.role, to: role },
          });
        }
        return memberView({ ...target, role });
      });
    },

    async removeMember(ctx, userId) {
      await db.withTenant(ctx, async (tx) => {
        const { owners, target } = await lockedTarget(tx, ctx, userId);
        if (target.role === 'owner' && !isOwnerContext(ctx))
          throw new ForbiddenError('Only an owner can remove an owner.');
        if (target.role === 'owner' && owners <= 1)
          throw new ConflictError('The firm must keep at least one owner.', 'last_owner');
        await repo.deleteMembership(tx, ctx.tenantId, userId);
        const revoked = await deps.sessions.revokeAllInTenant(tx, ctx.tenantId, userId, 'membership_removed');
        await audit.record(tx, ctx, {
          action: 'member.removed',
          target: { type: 'user', id: userId },
          payload: { role: target.role, sessionsRevoked: revoked },
        });
      });
    },

    roleOf: (tx, tenantId, userId) => repo.findRole(tx, tenantId, userId),
    addMember: (tx, membership) => repo.insertMembership(tx, membership),
  };
}
