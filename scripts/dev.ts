/**
 * `npm run dev`: everything a developer needs on one machine with PostgreSQL and Redis running on
 * localhost and no environment set. Starts Azurite in memory (unless
 * AZURE_STORAGE_CONNECTION_STRING is set), creates and migrates the database, then runs the API
 * and the worker with reload on change. Ctrl-C stops it all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ConfigError, loadConfig } from '../src/platform/config.js';
import { applyMigrations, ensureDatabaseExists } from '../src/platform/db/migrations.js';
import { migrationsDir } from '../src/platform/package-root.js';
import { startAzurite, type AzuriteProcess } from '../src/platform/storage/azurite-process.js';

function log(message: string): void {
  process.stderr.write(`[dev] ${message}\n`);
}

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  let azurite: AzuriteProcess | undefined;
  if (!env.AZURE_STORAGE_CONNECTION_STRING) {
    azurite = await startAzurite({ port: 10000 }).catch(() => startAzurite());
    env.AZURE_STORAGE_CONNECTION_STRING = azurite.connectionString;
    log(`Azurite (in memory) on 127.0.0.1:${azurite.port}`);
  }
  const config = loadConfig(env);
  if (await ensureDatabaseExists(config.MIGRATION_DATABASE_URL)) log('created the database');
  const report = await applyMigrations(config.MIGRATION_DATABASE_URL, migrationsDir());
  log(`migrations: ${report.applied.length} applied, ${report.alreadyApplied.length} up to date`);

  const children: ChildProcess[] = ['src/main-api.ts', 'src/main-worker.ts'].map((entry) =>
    spawn('tsx', ['watch', '--clear-screen=false', entry], { env, stdio: 'inherit' }),
  );
  log(`API on http://${config.HOST}:${config.PORT} — API docs at http://${config.HOST}:${config.PORT}/docs`);

  const stop = async () => {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      children.map(
        (c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve))),
      ),
    );
    await azurite?.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  for (const child of children) {
    child.once('exit', (code) => {
      if (code !== 0 && code !== null) log(`a process exited with code ${code}; still watching for changes`);
    });
  }
}

main().catch((error: unknown) => {
  log(error instanceof ConfigError ? error.message : `failed: ${(error as Error).message}`);
  process.exit(1);
});
