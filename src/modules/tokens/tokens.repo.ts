/** Queries of integration tokens. */
import type { Tx } from '../../platform/db/db.js';

export interface TokenRow {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly prefix: string;
  readonly scopes: string[];
  readonly allowedIps: string[];
  readonly companyIds: string[];
  readonly expiresAt: Date | null;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly lastUsedIp: string | null;
  readonly revokedAt: Date | null;
}

const COLUMNS = {
  id: true,
  tenantId: true,
  name: true,
  prefix: true,
  scopes: true,
  allowedIps: true,
  companyIds: true,
  expiresAt: true,
  createdBy: true,
  createdAt: true,
  lastUsedAt: true,
  lastUsedIp: true,
  revokedAt: true,
} as const;

export async function insertToken(
  tx: Tx,
  token: Pick<
    TokenRow,
    'tenantId' | 'name' | 'prefix' | 'scopes' | 'allowedIps' | 'companyIds' | 'expiresAt' | 'createdBy'
  > & { tokenHash: string },
): Promise<TokenRow> {
  return tx.apiToken.create({ data: token, select: COLUMNS });
}

export async function findTokenByHash(tx: Tx, tokenHash: string): Promise<TokenRow | null> {
  return tx.apiToken.findUnique({ where: { tokenHash }, select: COLUMNS });
}

export async function listTokens(tx: Tx, tenantId: string): Promise<TokenRow[]> {
  return tx.apiToken.findMany({ where: { tenantId }, orderBy: { createdAt: 'desc' }, select: COLUMNS });
}

export async function findToken(tx: Tx, tenantId: string, id: string): Promise<TokenRow | null> {
  return tx.apiToken.findFirst({ where: { tenantId, id }, select: COLUMNS });
}

export async function revokeToken(tx: Tx, tenantId: string, id: string, now: Date): Promise<boolean> {
  const { count } = await tx.apiToken.updateMany({
    where: { tenantId, id, revokedAt: null },
    data: { revokedAt: now },
  });
  return count === 1;
}

export async function recordTokenUse(
  tx: Tx,
  tenantId: string,
  id: string,
  now: Date,
  ip: string,
): Promise<void> {
  await tx.apiToken.updateMany({ where: { tenantId, id }, data: { lastUsedAt: now, lastUsedIp: ip } });
}

/** One request made with a token, as `api_token_uses` stores it. */
export interface TokenUse {
  readonly tenantId: string;
  readonly tokenId: string;
  readonly usedAt: Date;
  readonly ip: string | null;
  readonly method: string;
  readonly route: string;
  readonly statusCode: number;
  readonly requestId: string | null;
}

/** One statement for the whole batch (columns as arrays): a few hundred rows a second stay cheap. */
export async function insertTokenUses(tx: Tx, uses: readonly TokenUse[]): Promise<void> {
  const column = <K extends keyof TokenUse>(key: K) => uses.map((use) => use[key]);
  await tx.$executeRaw`
    INSERT INTO api_token_uses (tenant_id, token_id, used_at, ip, method, route, status_code, request_id)
    SELECT * FROM unnest(${column('tenantId')}::uuid[], ${column('tokenId')}::uuid[],
                         ${column('usedAt')}::timestamptz[], ${column('ip')}::text[],
                         ${column('method')}::text[], ${column('route')}::text[],
                         ${column('statusCode')}::int[], ${column('requestId')}::text[])`;
}
