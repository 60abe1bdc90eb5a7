/**
 * Database access for services and repos. The only way to reach tenant data is `withTenant`:
 * a transaction that first sets `app.tenant_id` (and `app.user_id` for people), so PostgreSQL's
 * row-level security confines every statement in it to that tenant, whatever the query says.
 */
import { isUuid } from '../../core/ids.js';
import type { RequestContext } from '../../core/request-context.js';
import type { Prisma, PrismaClient } from './prisma.js';

/** The transaction handle repos receive. Repos never open transactions of their own. */
export type Tx = Prisma.TransactionClient;

export interface Db {
  readonly prisma: PrismaClient;
  withTenant<T>(ctx: Pick<RequestContext, 'tenantId' | 'actor'>, fn: (tx: Tx) => Promise<T>): Promise<T>;
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

export function createDb(prisma: PrismaClient): Db {
  return {
    prisma,
    async withTenant(ctx, fn) {
      // A malformed id would only fail later inside the policy's uuid cast; fail clearly here.
      if (!isUuid(ctx.tenantId)) throw new TypeError('withTenant: tenantId must be a UUID');
      return prisma.$transaction(async (tx) => {
        const userId = ctx.actor.kind === 'user' ? ctx.actor.id : '';
        // set_config(..., true) is transaction-local: the pooled connection forgets it at commit.
        await tx.$executeRaw`SELECT set_config('app.tenant_id', ${ctx.tenantId}, true), set_config('app.user_id', ${userId}, true)`;
        return fn(tx);
      }, TRANSACTION_OPTIONS);
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
