/**
 * Integration tokens for ERP agents (ASVS V4, V3.5): shown once, stored as SHA-256, prefixed `dk_`
 * for secret scanners, with explicit scopes (a subset of the creator's permissions), an optional
 * expiry and IP allowlist. A token never has more power than its creator has now: the principal
 * cache (auth/principal-cache.ts) forgets a token's facts the moment the token, its creator's
 * membership or the tenant changes, so revocation is immediate.
 */
import { BlockList, isIP } from 'node:net';
import type { Clock } from '../../core/clock.js';
import { ForbiddenError, NotFoundError, ValidationFailedError } from '../../core/errors.js';
import { ROLE_PERMISSIONS, type Permission } from '../../core/permissions.js';
import type { RequestContext } from '../../core/request-context.js';
import { generateToken, hashToken } from '../../platform/crypto/tokens.js';
import type { Db } from '../../platform/db/db.js';
import type { AuditService } from '../audit/audit.service.js';
import type { CompaniesService } from '../companies/companies.service.js';
import type { MembersService } from '../members/members.service.js';
import type { TenantsService } from '../tenants/tenants.service.js';
import * as repo from './tokens.repo.js';
import type { TokenUseRecorder } from './tokens.use-recorder.js';

import { tokenView, type TokenView } from './tokens.views.js';

export type { TokenView } from './tokens.views.js';

export const TOKEN_PREFIX = 'dk_';
const DISPLAY_PREFIX_LENGTH = 10;

export interface CreateTokenInput {
  readonly name: string;
  readonly scopes: readonly Permission[];
  readonly expiresAt?: Date | undefined;
  readonly allowedIps?: readonly string[] | undefined;
  /** Limit the token to these companies of the firm (none: all of them). */
  readonly companyIds?: readonly string[] | undefined;
}

/** The firm statuses a principal can still have; an offboarded (or missing) firm has none. */
export type PrincipalTenantStatus = 'active' | 'suspended' | 'offboarding';

export function principalTenantStatus(status: string | undefined): PrincipalTenantStatus | undefined {
  return status === 'active' || status === 'suspended' || status === 'offboarding' ? status : undefined;
}

export interface TokenPrincipal {
  readonly tokenId: string;
  readonly tenantId: string;
  readonly permissions: ReadonlySet<Permission>;
  readonly companyIds?: ReadonlySet<string> | undefined;
  /** Anything but `active` is refused by authentication, with a problem that says why. */
  readonly tenantStatus: PrincipalTenantStatus;
}

/** What a stored token stands for, before the per-request checks (expiry, source address). */
export interface TokenFacts extends TokenPrincipal {
  readonly creatorId: string;
  readonly expiresAt: Date | null;
  /** Undefined: any address. */
  readonly allowedIps?: BlockList | undefined;
}

/** Parses allowlist entries (addresses or CIDR ranges); undefined when one is malformed. */
function toBlockList(entries: readonly string[]): BlockList | undefined {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/');
    const family = isIP(address ?? '');
    if (!family) return undefined;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address!, type);
    else if (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128))
      list.addSubnet(address!, Number(bits), type);
    else return undefined;
  }
  return list;
}

/** True when a request from `ip` may use a token with these facts now. */
export function tokenAdmits(facts: TokenFacts, ip: string, now: Date): boolean {
  if (facts.expiresAt && facts.expiresAt <= now) return false;
  if (!facts.allowedIps) return true;
  const family = isIP(ip);
  return family !== 0 && facts.allowedIps.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

export interface TokensService {
  /** The new token's view and, this once, its secret. */
  createToken(ctx: RequestContext, input: CreateTokenInput): Promise<TokenView & { token: string }>;
  listTokens(ctx: RequestContext): Promise<TokenView[]>;
  revokeToken(ctx: RequestContext, id: string): Promise<void>;
  /**
   * The facts of a live token by its hash: null when it is unknown or revoked, its creator is no
   * longer a member, or its firm is not active. Expiry and the IP allowlist are checked per
   * request (`tokenAdmits`), so the facts can be cached.
   */
  lookupToken(tokenHash: string): Promise<TokenFacts | null>;
  /** Records requests made with tokens (batched: tokens.use-recorder.ts). */
  readonly uses: TokenUseRecorder;
}

export function createTokensService(deps: {
  db: Db;
  audit: AuditService;
  members: MembersService;
  companies: CompaniesService;
  tenants: TenantsService;
  uses: TokenUseRecorder;
  clock: Clock;
}): TokensService {
  const { db, audit, clock } = deps;
  return {
    async createToken(ctx, input) {
      const excess = input.scopes.filter((s) => !ctx.permissions.has(s));
      if (excess.length > 0)
        throw new ForbiddenError(`A token cannot have permissions you lack: ${excess.join(', ')}.`);
      if (input.expiresAt && input.expiresAt <= clock()) {
        throw new ValidationFailedError('expiresAt must be in the future.', [
          { field: 'body.expiresAt', message: 'must be in the future' },
        ]);
      }
      const allowedIps = [...(input.allowedIps ?? [])];
      if (!toBlockList(allowedIps)) {
        throw new ValidationFailedError('allowedIps must be IP addresses or CIDR ranges.', [
          { field: 'body.allowedIps', message: 'must be IP addresses or CIDR ranges' },
        ]);
      }
      const companyIds = [...new Set(input.companyIds ?? [])];
      if (companyIds.length > 0) await deps.companies.assertAllExist(ctx, companyIds);
      const token = generateToken(TOKEN_PREFIX);
      return db.withTenant(ctx, async (tx) => {
        const row = await repo.insertToken(tx, {
          tenantId: ctx.tenantId,
          name: input.name.trim(),
          prefix: token.slice(0, DISPLAY_PREFIX_LENGTH),
          tokenHash: hashToken(token),
          scopes: [...new Set(input.scopes)],
          allowedIps,
          companyIds,
          expiresAt: input.expiresAt ?? null,
          createdBy: ctx.actor.id,
        });
        await audit.record(tx, ctx, {
          action: 'token.created',
          target: { type: 'token', id: row.id },
          payload: {
            name: row.name,
            prefix: row.prefix,
            scopes: row.scopes,
            expiresAt: row.expiresAt,
            allowedIps,
          },
        });
        return { ...tokenView(row), token };
      });
    },

    listTokens: async (ctx) =>
      (await db.withTenant(ctx, (tx) => repo.listTokens(tx, ctx.tenantId))).map(tokenView),

    async revokeToken(ctx, id) {
      await db.withTenant(ctx, async (tx) => {
        if (!(await repo.findToken(tx, ctx.tenantId, id)))
          throw new NotFoundError('The token does not exist.');
        if (await repo.revokeToken(tx, ctx.tenantId, id, clock())) {
          await audit.record(tx, ctx, { action: 'token.revoked', target: { type: 'token', id } });
        }
      });
    },

    async lookupToken(tokenHash) {
      const row = await db.withScope({ apiTokenHash: tokenHash }, (tx) =>
        repo.findTokenByHash(tx, tokenHash),
      );
      if (!row || row.revokedAt) return null;
      const ctx = { tenantId: row.tenantId, actor: { kind: 'token' as const, id: row.id } };
      const { creatorRole, tenant } = await db.withTenant(ctx, async (tx) => ({
        creatorRole: await deps.members.roleOf(tx, row.tenantId, row.createdBy),
        tenant: await deps.tenants.findTenant(tx, row.tenantId),
      }));
      const tenantStatus = principalTenantStatus(tenant?.status);
      if (!creatorRole || !tenantStatus) return null;
      const allowedIps = row.allowedIps.length > 0 ? toBlockList(row.allowedIps) : undefined;
      // An allowlist that cannot be read admits nobody (creation refuses such entries anyway).
      if (row.allowedIps.length > 0 && !allowedIps) return null;
      const creatorPermissions = ROLE_PERMISSIONS[creatorRole];
      const permissions = new Set(
        row.scopes.filter((s): s is Permission => creatorPermissions.has(s as Permission)),
      );
      return {
        tokenId: row.id,
        tenantId: row.tenantId,
        creatorId: row.createdBy,
        permissions,
        companyIds: row.companyIds.length > 0 ? new Set(row.companyIds) : undefined,
        expiresAt: row.expiresAt,
        allowedIps,
        tenantStatus,
      };
    },

    uses: deps.uses,
  };
}
