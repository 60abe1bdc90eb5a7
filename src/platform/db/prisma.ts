import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../../generated/prisma/client.js';

export { PrismaClient };
export type { Prisma } from '../../generated/prisma/client.js';

export interface PoolSettings {
  readonly max: number;
  /** How long a request may wait for a free connection before it is refused as saturation. */
  readonly waitMs: number;
  /** Upper bound for one statement, enforced by PostgreSQL (0: none). */
  readonly statementTimeoutMs: number;
}

export interface DatabaseClient {
  readonly prisma: PrismaClient;
  /** The node-postgres pool under Prisma: one pool, one limit, for the whole process. */
  readonly pool: pg.Pool;
  /** Calls `handler` with the text of every NOTICE a pooled connection receives. */
  onNotice(handler: (message: string) => void): void;
}

/** A Prisma client over node-postgres. One per process: it owns the connection pool. */
export function createDatabaseClient(connectionString: string, settings: PoolSettings): DatabaseClient {
  const pool = new pg.Pool({
    connectionString,
    max: settings.max,
    connectionTimeoutMillis: settings.waitMs,
    // Statements a caller sends together go out together (node-postgres pipelining): the upload's
    // record sends BEGIN with its first read, then its two INSERTs together: three round trips
    // with COMMIT instead of five. Results still come back in order, one per statement; awaited one
    // at a time (Prisma, every other caller), statements run exactly as without it.
    pipeline: true,
    ...(settings.statementTimeoutMs > 0 ? { statement_timeout: settings.statementTimeoutMs } : {}),
  });
  const handlers: Array<(message: string) => void> = [];
  // Notices arrive while the statement that raised them runs, before its result: see
  // principal-cache.ts for the one use (forgetting a changed principal before the change returns).
  pool.on('connect', (client) => {
    client.on('notice', (notice) => {
      for (const handler of handlers) handler(notice.message ?? '');
    });
  });
  // An idle pooled connection that fails (server restart) must not crash the process; the pool
  // drops it and the next checkout opens a new one.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return { prisma, pool, onNotice: (handler) => void handlers.push(handler) };
}
