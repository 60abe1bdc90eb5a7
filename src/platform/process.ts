/** Start-up and shutdown plumbing shared by the entry points. */
import { ConfigError, loadConfig, loadEnvFileIfPresent, type Config } from './config.js';
import type { Logger } from './logger.js';

/**
 * Loads the configuration (the environment, plus `.env` when present) or ends the process with
 * the list of problems (exit code 78, EX_CONFIG).
 */
export function loadConfigOrExit(): Config {
  try {
    loadEnvFileIfPresent();
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee .env.example for every setting.\n`);
      process.exit(78);
    }
    throw error;
  }
}

/**
 * Runs `stop` once on SIGTERM or SIGINT and exits 0 when it finishes within `graceMs`, 1 otherwise.
 */
export function onShutdownSignal(logger: Logger, graceMs: number, stop: () => Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ graceMs }, 'shutdown grace period exceeded; exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', handle);
  process.once('SIGINT', handle);
}
