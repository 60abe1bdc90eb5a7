/**
 * Finds the PostgreSQL, Redis and blob storage the tests use, in this order: URLs from the
 * environment (TEST_DATABASE_URL or DATABASE_URL, REDIS_URL, AZURE_STORAGE_CONNECTION_STRING);
 * services listening on localhost; containers started with testcontainers when Docker is
 * available. Azurite is started from its npm package when no blob connection string is given.
 */
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import pg from 'pg';

export interface TestServices {
  /** A superuser (or database-owner) URL used to create and migrate the test databases. */
  readonly adminDatabaseUrl: string;
  readonly redisUrl: string;
  readonly blobConnectionString: string;
  /** Unique per `npm test` run, so concurrent runs on one machine never collide. */
  readonly runId: string;
  readonly templateDatabase: string;
}

export interface Stoppable {
  stop(): Promise<unknown>;
}

const LOCAL_POSTGRES = 'postgresql://postgres@127.0.0.1:5432/postgres';
const LOCAL_REDIS = 'redis://127.0.0.1:6379';

async function postgresReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function redisReachable(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

function dockerAvailable(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

export interface ResolvedService<T> {
  readonly value: T;
  readonly description: string;
  readonly stoppable?: Stoppable;
}

export async function resolvePostgres(): Promise<ResolvedService<string>> {
  const fromEnv = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  if (fromEnv) return { value: fromEnv, description: 'PostgreSQL from TEST_DATABASE_URL/DATABASE_URL' };
  if (await postgresReachable(LOCAL_POSTGRES))
    return { value: LOCAL_POSTGRES, description: 'local PostgreSQL on 127.0.0.1:5432' };
  if (dockerAvailable()) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:17-alpine').start();
    return {
      value: container.getConnectionUri(),
      description: 'PostgreSQL in a testcontainer',
      stoppable: container,
    };
  }
  throw new Error(
    'No PostgreSQL for the tests: set TEST_DATABASE_URL (a superuser URL), start PostgreSQL on ' +
      '127.0.0.1:5432 with user postgres, or make Docker available for testcontainers.',
  );
}

export async function resolveRedis(): Promise<ResolvedService<string>> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) return { value: fromEnv, description: 'Redis from REDIS_URL' };
  if (await redisReachable(LOCAL_REDIS))
    return { value: LOCAL_REDIS, description: 'local Redis on 127.0.0.1:6379' };
  if (dockerAvailable()) {
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7-alpine').start();
    return {
      value: container.getConnectionUrl(),
      description: 'Redis in a testcontainer',
      stoppable: container,
    };
  }
  throw new Error(
    'No Redis for the tests: set REDIS_URL, start Redis on 127.0.0.1:6379, or make Docker available for testcontainers.',
  );
}
