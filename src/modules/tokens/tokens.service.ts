/**
 * Integration tokens for ERP agents (ASVS V4, V3.5): shown once, stored as SHA-256, prefixed `dk_`
 * for secret scanners, with explicit scopes (a subset of the creator's permissions), an optional
 * expiry and IP allowlist. Every use is checked against the database, so revocation is immediate,
 * and a token never has more power than its creator has now.
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
import * as repo from './tokens.repo.js';

export type { TokenRow } from './tokens.repo.js';

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

export interface TokenPrincipal {
  readonly tokenId: string;
  readonly tenantId: string;
  readonly permissions: ReadonlySet<Permission>;
  readonly companyIds?: ReadonlySet<string> | undefined;
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

function ipAllowed(allowedIps: readonly string[], ip: string): boolean {
  if (allowedIps.length === 0) return true;
  const family = isIP(ip);
  return family !== 0 && Boolean(toBlockList(allowedIps)?.check(ip, family === 4 ? 'ipv4' : 'ipv6'));
}

export interface TokensService {
  createToken(ctx: RequestContext, input: CreateTokenInput): Promise<repo.TokenRow & { token: string }>;
  listTokens(ctx: RequestContext): Promise<repo.TokenRow[]>;
  revokeToken(ctx: RequestContext, id: string): Promise<void>;
  /** The principal a presented token stands for, or null (unknown, revoked, expired, wrong IP). */
  resolveToken(token: string, ip: string): Promise<TokenPrincipal | null>;
  /** Records a request made with a token: last use, and an audit event. */
  recordUse(
    ctx: RequestContext,
    details: { method: string; route: string; statusCode: number },
  ): Promise<void>;
}

export function createTokensService(deps: {
  db: Db;
  audit: AuditService;
  members: MembersService;
  companies: CompaniesService;
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
        return { ...row, token };
      });
    },

    listTokens: (ctx) => db.withTenant(ctx, (tx) => repo.listTokens(tx, ctx.tenantId)),

    async revokeToken(ctx, id) {
      await db.withTenant(ctx, async (tx) => {
        if (!(await repo.findToken(tx, ctx.tenantId, id)))
          throw new NotFoundError('The token does not exist.');
        if (await repo.revokeToken(tx, ctx.tenantId, id, clock())) {
          await audit.record(tx, ctx, { action: 'token.revoked', target: { type: 'token', id } });
        }
      });
    },

    async resolveToken(token, ip) {
      if (!token.startsWith(TOKEN_PREFIX) || token.length > 128) return null;
      const tokenHash = hashToken(token);
      const row = await db.withScope({ apiTokenHash: tokenHash }, (tx) =>
        repo.findTokenByHash(tx, tokenHash),
      );
      if (
        !row ||
        row.revokedAt ||
        (row.expiresAt && row.expiresAt <= clock()) ||
        !ipAllowed(row.allowedIps, ip)
      )
        return null;
      const ctx = { tenantId: row.tenantId, actor: { kind: 'token' as const, id: row.id } };
      const creatorRole = await db.withTenant(ctx, (tx) =>
        deps.members.roleOf(tx, row.tenantId, row.createdBy),
      );
      if (!creatorRole) return null;
      const creatorPermissions = ROLE_PERMISSIONS[creatorRole];
      const permissions = new Set(
        row.scopes.filter((s): s is Permission => creatorPermissions.has(s as Permission)),
      );
      const companyIds = row.companyIds.length > 0 ? new Set(row.companyIds) : undefined;
      return { tokenId: row.id, tenantId: row.tenantId, permissions, companyIds };
    },

    async recordUse(ctx, details) {
      await db.withTenant(ctx, async (tx) => {
        await repo.recordTokenUse(tx, ctx.tenantId, ctx.actor.id, clock(), ctx.ip ?? '');
        await audit.record(tx, ctx, {
          action: 'token.used',
          target: { type: 'token', id: ctx.actor.id },
          payload: details,
        });
      });
    },
  };
}
