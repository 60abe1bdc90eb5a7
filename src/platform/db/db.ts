/**
 * Database access for services and repos. The only way to reach tenant data is a scoped
 * transaction: it first sets transaction-local `app.*` settings, and PostgreSQL's row-level
 * security admits only the rows those settings allow, whatever the queries inside say.
 *
 * - `withTenant(ctx, fn)`: the usual case; sets `app.tenant_id` (and `app.user_id` for people).
 * - `withScope(scope, fn)`: for the few lookups made before a tenant is known (sign-in by email,
 *   resolving a bearer token); each setting admits only rows matching that exact value.
 */
import { isUuid } from '../../core/ids.js';
import type { RequestContext } from '../../core/request-context.js';
import type { Prisma, PrismaClient } from './prisma.js';

/** The transaction handle repos receive. Repos never open transactions of their own. */
export type Tx = Prisma.TransactionClient;

export interface DbScope {
  readonly tenantId?: string;
  readonly userId?: string;
  /** The (lower-cased) email being signed in with. */
  readonly loginEmail?: string;
  /** SHA-256 (hex) of a presented secret: session token, integration token, invitation, reset. */
  readonly sessionTokenHash?: string;
  readonly apiTokenHash?: string;
  readonly inviteTokenHash?: string;
  readonly resetTokenHash?: string;
  readonly verifyTokenHash?: string;
  /** Background sweeps only: lets the transaction list tenants (ids, names) to work through. */
  readonly systemScan?: true;
}

/** Scope member -> the PostgreSQL setting its policies read (see the migrations). */
const SETTINGS: Readonly<Record<keyof DbScope, string>> = {
  tenantId: 'app.tenant_id',
  userId: 'app.user_id',
  loginEmail: 'app.login_email',
  sessionTokenHash: 'app.session_token_hash',
  apiTokenHash: 'app.api_token_hash',
  inviteTokenHash: 'app.invite_token_hash',
  resetTokenHash: 'app.reset_token_hash',
  verifyTokenHash: 'app.verify_token_hash',
  systemScan: 'app.system_scan',
};

export interface Db {
  readonly prisma: PrismaClient;
  withTenant<T>(ctx: Pick<RequestContext, 'tenantId' | 'actor'>, fn: (tx: Tx) => Promise<T>): Promise<T>;
  withScope<T>(scope: DbScope, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** True when a trivial query succeeds within the pool's connect timeout. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

const TRANSACTION_OPTIONS = {
  maxWait: 5_000,
  timeout: 30_000,
  // READ COMMITTED on purpose: the audit chain relies on each statement seeing rows committed
  // by transactions that held the chain lock before it (see audit.repo.ts).
  isolationLevel: 'ReadCommitted',
} as const;

function assertScope(scope: DbScope): void {
  // A malformed id would only fail later inside a policy's uuid cast; fail clearly here.
  if (scope.tenantId !== undefined && !isUuid(scope.tenantId)) throw new TypeError('tenantId must be a UUID');
  if (scope.userId !== undefined && !isUuid(scope.userId)) throw new TypeError('userId must be a UUID');
}

export function createDb(prisma: PrismaClient): Db {
  const withScope: Db['withScope'] = (scope, fn) => {
    assertScope(scope);
    const entries = (Object.keys(SETTINGS) as (keyof DbScope)[])
      .filter((key) => scope[key] !== undefined)
      .map((key) => [SETTINGS[key], scope[key] === true ? 'on' : (scope[key] as string)] as const);
    return prisma.$transaction(async (tx) => {
      if (entries.length > 0) {
        // set_config(..., true) is transaction-local: the pooled connection forgets it at commit.
        const calls = entries.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ');
        await tx.$executeRawUnsafe(`SELECT ${calls}`, ...entries.flat());
      }
      return fn(tx);
    }, TRANSACTION_OPTIONS);
  };

  return {
    prisma,
    withScope,
    withTenant(ctx, fn) {
      if (!isUuid(ctx.tenantId)) throw new TypeError('withTenant: tenantId must be a UUID');
      return withScope(
        { tenantId: ctx.tenantId, ...(ctx.actor.kind === 'user' ? { userId: ctx.actor.id } : {}) },
        fn,
      );
    },
    async ping() {
      try {
        await prisma.$queryRaw`SELECT 1`;
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await prisma.$disconnect();
    },
  };
}
