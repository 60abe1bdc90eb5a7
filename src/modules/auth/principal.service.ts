/**
 * Turns a presented session token into the caller's context, on every request: the session must
 * be live, the person still a member of its tenant and the tenant active. Permissions come from
 * the member's current role, so a role change applies to the very next request. A firm that
 * requires two-factor authentication gives members without it no permissions until they enrol.
 */
import { ROLE_PERMISSIONS, type Permission } from '../../core/permissions.js';
import type { Db } from '../../platform/db/db.js';
import type { MembersService } from '../members/members.service.js';
import type { TenantsService } from '../tenants/tenants.service.js';
import type { SessionRow } from './auth.repo.js';
import type { MfaService } from './mfa.service.js';
import type { SessionManager } from './sessions.js';

export interface UserPrincipal {
  readonly tenantId: string;
  readonly userId: string;
  readonly permissions: ReadonlySet<Permission>;
  readonly session: SessionRow;
  readonly mfaEnabled: boolean;
  /** The firm requires 2FA and this person has not enrolled: they may only enrol. */
  readonly mfaEnrolmentRequired: boolean;
}

export interface PrincipalService {
  resolveSessionToken(token: string): Promise<UserPrincipal | null>;
}

export function createPrincipalService(deps: {
  db: Db;
  sessions: SessionManager;
  members: MembersService;
  tenants: TenantsService;
  mfa: MfaService;
}): PrincipalService {
  return {
    async resolveSessionToken(token) {
      const session = await deps.sessions.resolve(token);
      if (!session) return null;
      const ctx = { tenantId: session.tenantId, actor: { kind: 'user' as const, id: session.userId } };
      const facts = await deps.db.withTenant(ctx, async (tx) => ({
        role: await deps.members.roleOf(tx, session.tenantId, session.userId),
        tenant: await deps.tenants.findTenant(tx, session.tenantId),
        mfaEnabled: await deps.mfa.hasConfirmedTotp(tx, session.userId),
      }));
      if (!facts.role || facts.tenant?.status !== 'active') return null;
      const mfaEnrolmentRequired = facts.tenant.requireMfa && !facts.mfaEnabled;
      return {
        tenantId: session.tenantId,
        userId: session.userId,
        permissions: mfaEnrolmentRequired ? new Set() : ROLE_PERMISSIONS[facts.role],
        session,
        mfaEnabled: facts.mfaEnabled,
        mfaEnrolmentRequired,
      };
    },
  };
}
