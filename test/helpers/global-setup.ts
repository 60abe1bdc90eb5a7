/**
 * Runs once per `vitest` run: picks the services (and says which), starts Azurite when needed, and
 * migrates a template database that every test file clones for itself.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { applyMigrations, syncRuntimeRolePassword } from '../../src/platform/db/migrations.js';
import { migrationsDir } from '../../src/platform/package-root.js';
import { startAzurite } from '../../scripts/dev-services/azurite-process.js';
import { databaseUrl, runtimeDatabaseUrl } from './database-urls.js';
import { resolvePostgres, resolveRedis, type Stoppable, type TestServices } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    services: TestServices;
  }
}

async function adminQuery(adminUrl: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stoppables: Stoppable[] = [];
  const postgres = await resolvePostgres();
  const redis = await resolveRedis();
  if (postgres.stoppable) stoppables.push(postgres.stoppable);
  if (redis.stoppable) stoppables.push(redis.stoppable);

  let blobConnectionString = process.env.AZURE_STORAGE_CONNECTION_STRING;
  let blobDescription = 'blob storage from AZURE_STORAGE_CONNECTION_STRING';
  if (!blobConnectionString) {
    const azurite = await startAzurite();
    stoppables.push(azurite);
    blobConnectionString = azurite.connectionString;
    blobDescription = `Azurite (npm package, in memory) on 127.0.0.1:${azurite.port}`;
  }

  const runId = `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
  const templateDatabase = `doklad_tpl_${runId}`;
  await adminQuery(postgres.value, `CREATE DATABASE "${templateDatabase}"`);
  const templateUrl = databaseUrl(postgres.value, templateDatabase);
  await applyMigrations(templateUrl, migrationsDir());
  await syncRuntimeRolePassword(templateUrl, runtimeDatabaseUrl(postgres.value, templateDatabase));

  process.stdout.write(
    `[test services] ${postgres.description}; ${redis.description}; ${blobDescription}; ` +
      `template database ${templateDatabase}\n`,
  );
  const services: TestServices = {
    adminDatabaseUrl: postgres.value,
    redisUrl: redis.value,
    blobConnectionString,
    runId,
    templateDatabase,
  };
  project.provide('services', services);

  return async () => {
    // Drop this run's databases, including any a crashed test file left behind.
    const { rows } = await adminQuery(
      postgres.value,
      `SELECT datname FROM pg_database WHERE datname LIKE 'doklad_t%_${runId}%'`,
    );
    for (const { datname } of rows as { datname: string }[]) {
      await adminQuery(postgres.value, `DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    await adminQuery(postgres.value, `DROP DATABASE IF EXISTS "${templateDatabase}" WITH (FORCE)`);
    for (const s of stoppables.reverse()) await s.stop();
  };
}
