import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../generated/prisma/client.js';

export { PrismaClient };
export type { Prisma } from '../../generated/prisma/client.js';

/** A Prisma client over node-postgres. One per process: it owns the connection pool. */
export function createPrismaClient(connectionString: string, poolMax: number): PrismaClient {
  const adapter = new PrismaPg({ connectionString, max: poolMax, connectionTimeoutMillis: 5_000 });
  return new PrismaClient({ adapter });
}
