/**
 * The entry points as an operator runs them: real processes, real ports.
 */
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { useTestEnv } from '../helpers/test-env.js';

const env = useTestEnv({ app: false });

function baseEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: env.config.database.url,
    MIGRATION_DATABASE_URL: env.config.database.migrationUrl,
    REDIS_URL: env.config.redis.url,
    REDIS_KEY_PREFIX: env.config.redis.keyPrefix,
    AZURE_STORAGE_CONNECTION_STRING: env.config.blobs.connectionString,
    AUDIT_SIGNING_KEY: env.config.audit.signingKey.pem,
    AUDIT_SIGNING_KEY_CREATE: 'false',
    // Other test files and benchmarks run processes at the same time: any free metrics port.
    METRICS_PORT: '0',
    WORKER_METRICS_PORT: '0',
  };
}

describe('processes', () => {
  it('refuses to start with DATABASE_URL=nonsense, saying what is wrong without a stack trace', () => {
    const result = spawnSync('tsx', ['src/main-api.ts'], {
      encoding: 'utf8',
      env: { ...baseEnv(), DATABASE_URL: 'nonsense' },
      timeout: 30_000,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('Invalid configuration');
    expect(result.stderr).toContain('DATABASE_URL: must be a PostgreSQL connection URL');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('starts the API on PORT, becomes ready, and stops cleanly on SIGTERM', async () => {
    const child = spawn('tsx', ['src/main-api.ts'], {
      env: { ...baseEnv(), PORT: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`API did not start:\n${output}`)), 30_000);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /"address":"(http:\/\/[^"]+)"/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
    });
    try {
      const ready = await fetch(`${address}/readyz`);
      expect(ready.status).toBe(200);
      const docs = await fetch(`${address}/docs/json`);
      expect(((await docs.json()) as { openapi: string }).openapi).toBe('3.1.0');
      expect(output).toContain(`API docs at ${address}/docs`);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
