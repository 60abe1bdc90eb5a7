/**
 * Applies the hand-written SQL migrations in prisma/migrations/<timestamp>_<name>/migration.sql.
 *
 * We cannot run `prisma migrate` where Prisma's native schema engine cannot be downloaded, so this
 * runner does the same job and keeps the same bookkeeping: rows in `_prisma_migrations` whose
 * checksum is the SHA-256 of migration.sql, so `prisma migrate deploy` on a machine that has the
 * engine agrees about what is applied. Each migration runs in its own transaction together with
 * its bookkeeping row, so a failure leaves nothing half-applied. Runs are serialized by an advisory
 * lock, are idempotent, and refuse to continue when an applied migration's file has changed.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

export interface MigrationFile {
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export interface MigrationReport {
  readonly applied: readonly string[];
  readonly alreadyApplied: readonly string[];
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** Prisma's own DDL for its bookkeeping table, so both tools can share it. */
const CREATE_BOOKKEEPING_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

/** Arbitrary constant that names "the migration lock" among advisory locks. */
const MIGRATION_LOCK_KEY = 72_706_150_401;

export async function readMigrations(migrationsDir: string): Promise<MigrationFile[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      if (!/^\d{14}_[a-z0-9_]+$/.test(name)) {
        throw new MigrationError(
          `Migration folder "${name}" is not named <14-digit timestamp>_<snake_case_name>`,
        );
      }
      const bytes = await readFile(path.join(migrationsDir, name, 'migration.sql'));
      return {
        name,
        sql: bytes.toString('utf8'),
        checksum: createHash('sha256').update(bytes).digest('hex'),
      };
    }),
  );
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export async function applyMigrations(
  connectionString: string,
  migrationsDir: string,
): Promise<MigrationReport> {
  const migrations = await readMigrations(migrationsDir);
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(CREATE_BOOKKEEPING_TABLE);
    const { rows } = await client.query<AppliedRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL',
    );
    const pending = checkHistory(migrations, rows);
    for (const migration of pending) await applyOne(client, migration);
    return {
      applied: pending.map((m) => m.name),
      alreadyApplied: migrations.filter((m) => !pending.includes(m)).map((m) => m.name),
    };
  } finally {
    await client.end();
  }
}

/** Returns the migrations still to apply, or throws when the recorded history forbids going on. */
function checkHistory(migrations: readonly MigrationFile[], rows: readonly AppliedRow[]): MigrationFile[] {
  const failed = rows.find((r) => r.finished_at === null);
  if (failed) {
    throw new MigrationError(
      `Migration "${failed.migration_name}" started but never finished; resolve it by hand before migrating.`,
    );
  }
  const applied = new Map(rows.map((r) => [r.migration_name, r.checksum]));
  for (const m of migrations) {
    const checksum = applied.get(m.name);
    if (checksum !== undefined && checksum !== m.checksum) {
      throw new MigrationError(
        `Migration "${m.name}" was changed after it was applied (checksum ${checksum.slice(0, 12)}… in the ` +
          `database, ${m.checksum.slice(0, 12)}… on disk). Never edit an applied migration; add a new one.`,
      );
    }
  }
  return migrations.filter((m) => !applied.has(m.name));
}

async function applyOne(client: pg.Client, migration: MigrationFile): Promise<void> {
  const id = randomUUID();
  try {
    await client.query('BEGIN');
    await client.query(
      'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())',
      [id, migration.checksum, migration.name],
    );
    await client.query(migration.sql);
    await client.query(
      'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1',
      [id],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`Migration "${migration.name}" failed and was rolled back: ${reason}`);
  }
}

/** Creates the database named in the URL when it does not exist yet (connecting to `postgres`). */
export async function ensureDatabaseExists(connectionString: string): Promise<boolean> {
  const url = new URL(connectionString);
  const database = decodeURIComponent(url.pathname.slice(1));
  if (!/^[A-Za-z0-9_]{1,63}$/.test(database)) {
    throw new MigrationError(`Database name "${database}" must be 1-63 letters, digits or underscores`);
  }
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount) return false;
    await client.query(`CREATE DATABASE "${database}"`);
    return true;
  } finally {
    await client.end();
  }
}

/**
 * Gives the runtime role the password from its connection URL, so that a deployment only has to
 * configure DATABASE_URL. Skipped when the URL has no password (trust or peer authentication).
 */
export async function syncRuntimeRolePassword(ownerUrl: string, runtimeUrl: string): Promise<boolean> {
  const runtime = new URL(runtimeUrl);
  const password = decodeURIComponent(runtime.password);
  if (!password || decodeURIComponent(runtime.username) !== RUNTIME_ROLE) return false;
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query(`ALTER ROLE ${RUNTIME_ROLE} WITH PASSWORD ${client.escapeLiteral(password)}`);
    return true;
  } finally {
    await client.end();
  }
}

/** The role created by the first migration; the API and workers connect as it. */
export const RUNTIME_ROLE = 'doklad_app';
