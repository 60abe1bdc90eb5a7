/**
 * Turns a presented bearer token into the caller's principal, on every request.
 *
 * A session must be live, the person still a member of its tenant and the tenant active;
 * permissions come from the member's current role. A firm that requires two-factor
 * authentication gives members without it no permissions until they enrol. An integration token
 * must be unrevoked, unexpired, used from an allowed address, its creator still a member and its
 * firm active; it never has more power than its creator has now.
 *
 * The facts behind a token are cached for a few seconds (principal-cache.ts), so an ordinary
 * request costs no database work before its handler's own transaction. Expiry, idleness and the
 * IP allowlist are still checked on every request; every change of the facts themselves empties
 * the affected entries at once (in this process from the database's NOTICE, in every process from
 * its NOTIFY).
 */
import { ROLE_PERMISSIONS, type Permission } from '../../core/permissions.js';
import { hashToken } from '../../platform/crypto/tokens.js';
import type { Db } from '../../platform/db/db.js';
import { listenForNotifications, type NotificationListener } from '../../platform/db/notifications.js';
import type { Logger } from '../../platform/logger.js';
import type { MembersService } from '../members/members.service.js';
import type { TenantsService } from '../tenants/tenants.service.js';
import {
  TOKEN_PREFIX,
  tokenAdmits,
  type PrincipalTenantStatus,
  type TokenFacts,
  type TokenPrincipal,
  type TokensService,
} from '../tokens/tokens.service.js';
import { principalTenantStatus } from '../tokens/tokens.service.js';
import type { SessionRow } from './auth.repo.js';
import type { MfaService } from './mfa.service.js';
import { createPrincipalCache } from './principal-cache.js';
import type { SessionManager } from './sessions.service.js';

export interface UserPrincipal {
  readonly tenantId: string;
  readonly userId: string;
  readonly permissions: ReadonlySet<Permission>;
  readonly session: SessionRow;
  readonly mfaEnabled: boolean;
  /** The firm requires 2FA and this person has not enrolled: they may only enrol. */
  readonly mfaEnrolmentRequired: boolean;
  /**
   * Not `active`: the route guard refuses the request (suspended: all of them; offboarding: all
   * but the routes that declare `duringOffboarding`). An offboarded firm has no principals.
   */
  readonly tenantStatus: PrincipalTenantStatus;
}

export interface PrincipalService {
  resolveSessionToken(token: string): Promise<UserPrincipal | null>;
  resolveIntegrationToken(token: string, ip: string): Promise<TokenPrincipal | null>;
  /** How many principals this process holds in its cache now (tests, metrics). */
  cachedEntries(): number;
  /** True when the principal of this bearer token would be served from the cache now. */
  isCached(token: string): boolean;
  /** Stops listening for changes. */
  close(): Promise<void>;
}

/** The channel and NOTICE prefix of the triggers in migration 20261201030000. */
const CHANNEL = 'doklad_principals';
const NOTICE_PREFIX = `${CHANNEL} `;
const SESSION_TOKEN_LENGTH = { min: 32, max: 128 };

type Cached =
  | { readonly kind: 'session'; readonly user: UserPrincipal }
  | { readonly kind: 'token'; readonly facts: TokenFacts };

export function createPrincipalService(deps: {
  db: Db;
  sessions: SessionManager;
  members: MembersService;
  tenants: TenantsService;
  mfa: MfaService;
  tokens: TokensService;
  clock: () => Date;
  logger: Logger;
  cache: { ttlMs: number; maxEntries: number; listenUrl: string };
}): PrincipalService {
  let listener: NotificationListener | undefined;
  const cache = createPrincipalCache<Cached>({
    ttlMs: deps.cache.ttlMs,
    maxEntries: deps.cache.maxEntries,
    isTrustworthy: () => listener?.isListening() ?? false,
  });
  // Started on first use: only the API resolves bearer tokens; the worker and CLI never listen.
  const startListening = () => {
    if (listener || deps.cache.ttlMs <= 0) return;
    listener = listenForNotifications({
      connectionString: deps.cache.listenUrl,
      channel: CHANNEL,
      logger: deps.logger,
      onNotification: (payload) => cache.applyNotification(payload),
      onListening: () => cache.clear(),
    });
    deps.db.onNotice((message) => {
      if (message.startsWith(NOTICE_PREFIX)) cache.applyNotification(message.slice(NOTICE_PREFIX.length));
    });
  };

  async function loadSession(tokenHash: string): Promise<UserPrincipal | null> {
    const session = await deps.sessions.findByTokenHash(tokenHash);
    if (!session || !deps.sessions.isLive(session)) return null;
    const ctx = { tenantId: session.tenantId, actor: { kind: 'user' as const, id: session.userId } };
    const facts = await deps.db.withTenant(ctx, async (tx) => ({
      role: await deps.members.roleOf(tx, session.tenantId, session.userId),
      tenant: await deps.tenants.findTenant(tx, session.tenantId),
      mfaEnabled: await deps.mfa.hasConfirmedTotp(tx, session.userId),
    }));
    const tenantStatus = principalTenantStatus(facts.tenant?.status);
    if (!facts.role || !facts.tenant || !tenantStatus) return null;
    const mfaEnrolmentRequired = facts.tenant.requireMfa && !facts.mfaEnabled;
    // A suspended firm's people hold no permission at all, whatever else the guard does.
    const noPermissions = mfaEnrolmentRequired || tenantStatus === 'suspended';
    return {
      tenantId: session.tenantId,
      userId: session.userId,
      permissions: noPermissions ? new Set() : ROLE_PERMISSIONS[facts.role],
      session,
      mfaEnabled: facts.mfaEnabled,
      mfaEnrolmentRequired,
      tenantStatus,
    };
  }

  return {
    async resolveSessionToken(token) {
      if (token.length < SESSION_TOKEN_LENGTH.min || token.length > SESSION_TOKEN_LENGTH.max) return null;
      startListening();
      const tokenHash = hashToken(token);
      const loadedAt = cache.version();
      const hit = cache.get(tokenHash);
      let user = hit?.kind === 'session' ? hit.user : await loadSession(tokenHash);
      if (!user || !deps.sessions.isLive(user.session)) return null;
      const session = await deps.sessions.touchIfDue(user.session);
      if (session !== user.session || !hit) {
        user = { ...user, session };
        const tags = { tenantId: user.tenantId, userId: user.userId };
        cache.set(tokenHash, { kind: 'session', user }, tags, loadedAt);
      }
      return user;
    },

    async resolveIntegrationToken(token, ip) {
      if (!token.startsWith(TOKEN_PREFIX) || token.length > 128) return null;
      startListening();
      const tokenHash = hashToken(token);
      const loadedAt = cache.version();
      const hit = cache.get(tokenHash);
      const facts = hit?.kind === 'token' ? hit.facts : await deps.tokens.lookupToken(tokenHash);
      if (!facts) return null;
      if (!hit) {
        const tags = { tenantId: facts.tenantId, userId: facts.creatorId };
        cache.set(tokenHash, { kind: 'token', facts }, tags, loadedAt);
      }
      if (!tokenAdmits(facts, ip, deps.clock())) return null;
      return {
        tokenId: facts.tokenId,
        tenantId: facts.tenantId,
        permissions: facts.permissions,
        companyIds: facts.companyIds,
        tenantStatus: facts.tenantStatus,
      };
    },

    cachedEntries: () => cache.size,
    isCached: (token) => cache.get(hashToken(token)) !== undefined,

    async close() {
      await listener?.close();
    },
  };
}
