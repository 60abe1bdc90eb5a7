/**
 * Database access for services and repos. The only way to reach tenant data is a scoped
 * transaction: it first sets transaction-local `app.*` settings, and PostgreSQL's row-level
 * security admits only the rows those settings allow, whatever the queries inside say.
 *
 * - `withTenant(ctx, fn)`: the usual case; sets `app.tenant_id` (and `app.user_id` for people).
 * - `withScope(scope, fn)`: for the few lookups made before a tenant is known (sign-in by email,
 *   resolving a bearer token); each setting admits only rows matching that exact value.
 */
import { createHash } from 'node:crypto';
import { ServiceUnavailableError } from '../../core/errors.js';
import { isUuid } from '../../core/ids.js';
import type { RequestContext } from '../../core/request-context.js';
import { observePool } from '../metrics.js';
import { isPoolSaturation } from './errors.js';
import { createDatabaseClient, type DatabaseClient, type Prisma, type PrismaClient } from './prisma.js';

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
  /** An erasure receipt's token, after the purge (no member remains to sign in). */
  readonly receiptTokenHash?: string;
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
  receiptTokenHash: 'app.receipt_token_hash',
  systemScan: 'app.system_scan',
};

/** Plain SQL inside a `read` transaction: parameters as `$1, $2, ...`, rows as PostgreSQL returns them. */
export interface SqlReader {
  query<R extends object>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

/** Plain SQL inside a `write` transaction: the same calls as a reader, named for what it may do. */
export type SqlWriter = SqlReader;

export interface Db {
  readonly prisma: PrismaClient;
  /**
   * A READ ONLY tenant transaction in plain SQL, for the hot read endpoints (document list and
   * detail, ERP export list). Same RLS settings as `withTenant`, at about a third of the CPU of a
   * Prisma interactive transaction (docs/architecture.md has the measurements). Writes and
   * everything else use `withTenant`.
   */
  read<T>(ctx: Pick<RequestContext, 'tenantId' | 'actor'>, fn: (sql: SqlReader) => Promise<T>): Promise<T>;
  /**
   * A read-write tenant transaction in plain SQL, for the hot write path (the upload's record of
   * a document: a few statements instead of a Prisma interactive transaction's many). The same
   * RLS settings and connection handling as `read`; everything else writes with `withTenant`.
   */
  write<T>(ctx: Pick<RequestContext, 'tenantId' | 'actor'>, fn: (sql: SqlWriter) => Promise<T>): Promise<T>;
  /** Calls `handler` with every NOTICE raised on a pooled connection (principal-cache.ts). */
  onNotice(handler: (message: string) => void): void;
  withTenant<T>(ctx: Pick<RequestContext, 'tenantId' | 'actor'>, fn: (tx: Tx) => Promise<T>): Promise<T>;
  withScope<T>(scope: DbScope, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** True when a trivial query succeeds within the pool's connect timeout. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface TransactionSettings {
  /** How long to wait for a pooled connection; past it the caller gets 503 with Retry-After. */
  readonly poolWaitMs: number;
  /** Upper bound for one interactive transaction. */
  readonly transactionTimeoutMs: number;
}

/** Seconds a refused caller is told to wait: long enough for a burst to drain. */
const SATURATION_RETRY_AFTER_SECONDS = 1;

function assertScope(scope: DbScope): void {
  // A malformed id would only fail later inside a policy's uuid cast; fail clearly here.
  if (scope.tenantId !== undefined && !isUuid(scope.tenantId)) throw new TypeError('tenantId must be a UUID');
  if (scope.userId !== undefined && !isUuid(scope.userId)) throw new TypeError('userId must be a UUID');
}

/**
 * Transactions run at PostgreSQL's default isolation, READ COMMITTED, without saying so: naming it
 * costs a `SET TRANSACTION` round trip per transaction. Nothing needs more: the audit chainer
 * serialises itself with a per-tenant lock and, in READ COMMITTED, each of its statements sees
 * the events committed before it (audit.chainer.ts).
 */
const statementNames = new Map<string, string>();

/**
 * A stable prepared-statement name for a SQL text (node-postgres prepares it per connection). It
 * starts with the statement's command (`SELECT_`, `INSERT_`, `WITH_`): traces name a query's span
 * after its prepared statement, and the command says what the span did.
 */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    const command = /^\s*([A-Za-z]+)/.exec(text)?.[1]?.toUpperCase() ?? 'SQL';
    name = `${command}_doklad_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

function saturated(): ServiceUnavailableError {
  return new ServiceUnavailableError(
    'The service is busy right now; retry shortly.',
    SATURATION_RETRY_AFTER_SECONDS,
  );
}

export function createDb(client: DatabaseClient, settings: TransactionSettings): Db {
  const { prisma, pool } = client;
  // In use / idle / waiting, read from the pool at every scrape (doklad_db_pool_*).
  const unobservePool = observePool(pool);
  const options = { maxWait: settings.poolWaitMs, timeout: settings.transactionTimeoutMs };
  const withScope: Db['withScope'] = async (scope, fn) => {
    assertScope(scope);
    const entries = (Object.keys(SETTINGS) as (keyof DbScope)[])
      .filter((key) => scope[key] !== undefined)
      .map((key) => [SETTINGS[key], scope[key] === true ? 'on' : (scope[key] as string)] as const);
    try {
      return await prisma.$transaction(async (tx) => {
        if (entries.length > 0) {
          // set_config(..., true) is transaction-local: the pooled connection forgets it at commit.
          const calls = entries.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ');
          await tx.$executeRawUnsafe(`SELECT ${calls}`, ...entries.flat());
        }
        return fn(tx);
      }, options);
    } catch (error) {
      // Saturation is back-pressure, not a failure: the caller may retry shortly.
      if (isPoolSaturation(error)) throw saturated();
      throw error;
    }
  };

  /**
   * A tenant transaction in plain SQL on a pooled connection (`read` and `write`): one round trip
   * opens it and sets the RLS scope, statements are named (prepared once per connection).
   */
  async function plainTransaction<T>(
    ctx: Pick<RequestContext, 'tenantId' | 'actor'>,
    mode: 'READ ONLY' | 'READ WRITE',
    fn: (sql: SqlWriter) => Promise<T>,
  ): Promise<T> {
    const userId = ctx.actor.kind === 'user' ? ctx.actor.id : undefined;
    assertScope({ tenantId: ctx.tenantId, userId });
    let connection;
    try {
      connection = await pool.connect();
    } catch (error) {
      if (isPoolSaturation(error)) throw saturated();
      throw error;
    }
    let broken: Error | undefined;
    try {
      // One round trip opens the transaction and sets the RLS scope. The values are inlined
      // because a multi-statement query takes no parameters; both were just checked to be UUIDs,
      // so they cannot carry SQL.
      const scope = [`set_config('app.tenant_id', '${ctx.tenantId}', true)`];
      if (userId) scope.push(`set_config('app.user_id', '${userId}', true)`);
      // The connection pipelines (prisma.ts): the first statement goes out behind BEGIN without
      // waiting for its answer, and every statement's result also waits for BEGIN's, so none is
      // taken for a result inside the transaction unless the transaction did begin.
      const begun = connection.query(`BEGIN ${mode}; SELECT ${scope.join(', ')}`);
      begun.catch(() => undefined); // awaited with every statement and before COMMIT
      const sql: SqlWriter = {
        // Named, so each pooled connection parses and plans a statement once and then only binds
        // it. The texts are the code's own (values travel as parameters), so they are few.
        query: async <R extends object>(text: string, params: readonly unknown[] = []) => {
          const statement = connection.query<R>({ name: statementName(text), text, values: [...params] });
          return (await Promise.all([begun, statement]))[1].rows;
        },
      };
      const result = await fn(sql);
      await begun;
      await connection.query('COMMIT');
      return result;
    } catch (error) {
      await connection.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      connection.release(broken);
    }
  }

  return {
    prisma,
    onNotice: client.onNotice,
    withScope,
    read: (ctx, fn) => plainTransaction(ctx, 'READ ONLY', fn),
    write: (ctx, fn) => plainTransaction(ctx, 'READ WRITE', fn),
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
      unobservePool();
      await prisma.$disconnect();
      await client.pool.end().catch(() => undefined);
    },
  };
}

/**
 * A Db of its own for tools and tests (CLI maintenance commands, benchmarks, a second replica):
 * `poolMax` connections, waits long enough that a busy machine does not turn into errors.
 */
export function openDb(connectionString: string, poolMax = 1): Db {
  return createDb(
    createDatabaseClient(connectionString, { max: poolMax, waitMs: 10_000, statementTimeoutMs: 0 }),
    {
      poolWaitMs: 10_000,
      transactionTimeoutMs: 60_000,
    },
  );
}
