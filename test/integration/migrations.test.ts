import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { applyMigrations, MigrationError } from '../../src/platform/db/migrations.js';
import { migrationsDir } from '../../src/platform/package-root.js';
import { databaseUrl } from '../helpers/database-urls.js';

const services = inject('services');
const created: string[] = [];

async function admin<T extends pg.QueryResultRow = any>(url: string, sql: string, params?: unknown[]) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query<T>(sql, params);
  } finally {
    await client.end();
  }
}

/** An empty database of this run, dropped by the global teardown. */
async function emptyDatabase(): Promise<string> {
  const name = `doklad_t_${services.runId}_m${created.length}${Math.random().toString(36).slice(2, 6)}`;
  await admin(services.adminDatabaseUrl, `CREATE DATABASE "${name}"`);
  created.push(name);
  return databaseUrl(services.adminDatabaseUrl, name);
}

async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'doklad-migrations-'));
  await cp(migrationsDir(), dir, { recursive: true });
  return dir;
}

afterAll(async () => {
  for (const name of created)
    await admin(services.adminDatabaseUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
});

describe('migration runner', () => {
  it("applies every migration once, recording Prisma-compatible rows whose checksum is migration.sql's SHA-256", async () => {
    const url = await emptyDatabase();
    const first = await applyMigrations(url, migrationsDir());
    expect(first.applied.length).toBeGreaterThan(0);
    const second = await applyMigrations(url, migrationsDir());
    expect(second).toEqual({ applied: [], alreadyApplied: first.applied });

    const { rows } = await admin<{
      migration_name: string;
      checksum: string;
      finished_at: Date;
      applied_steps_count: number;
      rolled_back_at: null;
    }>(
      url,
      'SELECT migration_name, checksum, finished_at, applied_steps_count, rolled_back_at FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(rows.map((r) => r.migration_name)).toEqual(first.applied);
    for (const row of rows) {
      const sql = await readFile(path.join(migrationsDir(), row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(row).toMatchObject({ applied_steps_count: 1, rolled_back_at: null });
      expect(row.finished_at).toBeInstanceOf(Date);
    }
    const columns = await admin<{ column_name: string; data_type: string }>(
      url,
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns.rows.map((c) => c.column_name)).toEqual([
      'id',
      'checksum',
      'finished_at',
      'migration_name',
      'logs',
      'rolled_back_at',
      'started_at',
      'applied_steps_count',
    ]);
  });

  it('refuses to run when an applied migration file has changed', async () => {
    const url = await emptyDatabase();
    const dir = await copyOfMigrations();
    const [firstName] = (await applyMigrations(url, dir)).applied;
    const file = path.join(dir, firstName!, 'migration.sql');
    await writeFile(file, `${await readFile(file, 'utf8')}\n-- edited after release\n`);
    await expect(applyMigrations(url, dir)).rejects.toThrow(MigrationError);
    await expect(applyMigrations(url, dir)).rejects.toThrow(/was changed after it was applied/);
  });

  it('rolls a failing migration back completely and records nothing for it', async () => {
    const url = await emptyDatabase();
    const dir = await copyOfMigrations();
    await mkdir(path.join(dir, '29991231235959_broken'));
    await writeFile(
      path.join(dir, '29991231235959_broken', 'migration.sql'),
      'CREATE TABLE half_done (id int);\nSELECT * FROM table_that_does_not_exist;\n',
    );
    await expect(applyMigrations(url, dir)).rejects.toThrow(
      /"29991231235959_broken" failed and was rolled back/,
    );
    const recorded = await admin(
      url,
      `SELECT 1 FROM _prisma_migrations WHERE migration_name = '29991231235959_broken'`,
    );
    const table = await admin(url, `SELECT to_regclass('half_done') AS t`);
    expect(recorded.rowCount).toBe(0);
    expect(table.rows[0].t).toBeNull();
    const earlier = await admin(url, 'SELECT count(*)::int AS n FROM _prisma_migrations');
    expect(earlier.rows[0].n).toBeGreaterThan(0);
  });

  it('serializes concurrent runs so each migration is applied exactly once', async () => {
    const url = await emptyDatabase();
    const reports = await Promise.all([
      applyMigrations(url, migrationsDir()),
      applyMigrations(url, migrationsDir()),
    ]);
    const appliedTotal = reports.flatMap((r) => r.applied);
    expect(new Set(appliedTotal).size).toBe(appliedTotal.length);
    const { rows } = await admin(url, 'SELECT count(*)::int AS n FROM _prisma_migrations');
    expect(rows[0].n).toBe(appliedTotal.length);
  });
});
