/** The public shape of an integration token: never its hash, tenant or creator. */
import type { TokenRow } from './tokens.repo.js';

export interface TokenView {
  readonly id: string;
  readonly name: string;
  /** The first characters of the token, to tell tokens apart. */
  readonly prefix: string;
  readonly scopes: string[];
  readonly allowedIps: string[];
  readonly companyIds: string[];
  readonly expiresAt: Date | null;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly lastUsedIp: string | null;
  readonly revokedAt: Date | null;
}

export function tokenView(row: TokenRow): TokenView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    allowedIps: row.allowedIps,
    companyIds: row.companyIds,
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    lastUsedIp: row.lastUsedIp,
    revokedAt: row.revokedAt,
  };
}
