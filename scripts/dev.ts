/**
 * `npm run dev`: everything a developer needs on one machine with PostgreSQL and Redis running on
 * localhost and no environment set. Starts Azurite with its data on disk under .data/azurite
 * (unless AZURE_STORAGE_CONNECTION_STRING is set), so a restart keeps the documents PostgreSQL
 * still lists; a mail catcher with an inbox page, its mails under .data/mail (unless SMTP_URL is
 * set); creates and migrates the database; then runs the API and the worker with reload on
 * change. Ctrl-C stops it all, gracefully, in order: API and worker first, then what they use.
 * It runs as `node --import tsx`, not under the tsx CLI: that CLI's signal relay SIGKILLs its child
 * when the child has not acknowledged a Ctrl-C within 60 ms, which a loaded machine misses, and
 * the API and worker would be left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, loadEnvFileIfPresent } from '../src/platform/config.js';
import { applyMigrations, ensureDatabaseExists } from '../src/platform/db/migrations.js';
import { migrationsDir } from '../src/platform/package-root.js';
import { startAzurite, type AzuriteProcess } from './dev-services/azurite-process.js';
import { startMailCatcher, type MailCatcher } from './dev-mail-catcher.js';

/**
 * `--data-dir <dir>` (default .data) holds Azurite's blobs and the caught mails; `--any-ports`
 * takes free ports instead of the usual 10000 (Azurite), 1025 (SMTP), 1080 (inbox) and 9464/9465
 * (the API's and the worker's metrics). Both exist for the end-to-end tests, which run this script
 * as a developer does, but beside them and beside each other.
 */
const { values: args } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: '.data' },
    'any-ports': { type: 'boolean', default: false },
  },
});
const DATA_DIR = args['data-dir'];
const AZURITE_DIR = path.join(DATA_DIR, 'azurite');
const MAIL_DIR = path.join(DATA_DIR, 'mail');
const port = (usual: number) => (args['any-ports'] ? 0 : usual);
/** After this long a child that has not stopped is killed (its own grace period is shorter). */
const STOP_TIMEOUT_MS = 15_000;
/** Signals this soon after the first are the same Ctrl-C, relayed. */
const SIGNAL_ECHO_MS = 1_000;

function log(message: string): void {
  process.stderr.write(`[dev] ${message}\n`);
}

/** Stops a child run in its own process group: one polite signal, then SIGKILL for the group. */
function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => killGroup(child), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

async function main(): Promise<void> {
  loadEnvFileIfPresent();
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (args['any-ports']) {
    // Two stacks on the usual metrics ports: the second API and worker would fail to listen.
    env.METRICS_PORT ??= '0';
    env.WORKER_METRICS_PORT ??= '0';
  }
  let azurite: AzuriteProcess | undefined;
  let mail: MailCatcher | undefined;
  const children: ChildProcess[] = [];

  let stopping = false;
  let stopRequestedAt = 0;
  const stop = async () => {
    if (stopping) {
      // One Ctrl-C arrives several times (from the terminal, relayed by npm); a
      // second press, a moment later, means: do not wait any longer.
      if (Date.now() - stopRequestedAt < SIGNAL_ECHO_MS) return;
      log('stopping now');
      children.forEach(killGroup);
      process.exit(1);
    }
    stopping = true;
    stopRequestedAt = Date.now();
    log('stopping…');
    // The API and the worker first: they may still be writing blobs or sending mail.
    await Promise.all(children.map((child) => stopChild(child)));
    await azurite?.stop();
    await mail?.close();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  // Whatever ends this process (an error included) ends what it started.
  process.once('exit', () => {
    children.forEach(killGroup);
    // Azurite runs in its own process group too, so nothing else would end it.
    if (azurite) {
      try {
        process.kill(azurite.pid, 'SIGTERM');
      } catch {
        // Already stopped.
      }
    }
  });

  if (!env.AZURE_STORAGE_CONNECTION_STRING) {
    azurite = await startAzurite({ port: port(10000), location: AZURITE_DIR, ownProcessGroup: true }).catch(
      () => startAzurite({ location: AZURITE_DIR, ownProcessGroup: true }),
    );
    env.AZURE_STORAGE_CONNECTION_STRING = azurite.connectionString;
    log(`Azurite on 127.0.0.1:${azurite.port}, data in ${AZURITE_DIR}/ (kept across restarts)`);
  }
  if (!env.SMTP_URL) {
    mail = await startMailCatcher({
      dir: MAIL_DIR,
      smtpPort: port(1025),
      httpPort: port(1080),
      // Who and what only: the text carries tokens, which belong in the inbox, not the terminal.
      onMail: (m) => log(`mail to ${m.to}: "${m.subject}" → ${m.url}`),
    });
    env.SMTP_URL = mail.smtpUrl;
    log(`mail: SMTP on ${mail.smtpUrl.replace('smtp://', '')}; read mails at ${mail.inboxUrl}`);
  }
  const config = loadConfig(env);
  if (await ensureDatabaseExists(config.database.migrationUrl)) log('created the database');
  const report = await applyMigrations(config.database.migrationUrl, migrationsDir());
  log(`migrations: ${report.applied.length} applied, ${report.alreadyApplied.length} up to date`);

  for (const entry of ['src/main-api.ts', 'src/main-worker.ts']) {
    // Each in its own process group: the terminal's Ctrl-C reaches only this script, which then
    // stops each child exactly once (two signals made tsx force-kill them mid-shutdown).
    const child = spawn('tsx', ['watch', '--clear-screen=false', entry], {
      env,
      // No stdin: a background process group reading the terminal would be stopped (SIGTTIN).
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
    });
    child.once('exit', (code) => {
      if (!stopping && code !== 0 && code !== null)
        log(`${entry} exited with code ${code}; still watching for changes`);
    });
    children.push(child);
  }
  log(
    `API on http://${config.http.host}:${config.http.port} — API docs at http://${config.http.host}:${config.http.port}/docs`,
  );
}

main().catch((error: unknown) => {
  log(error instanceof ConfigError ? error.message : `failed: ${(error as Error).message}`);
  process.exit(1);
});
