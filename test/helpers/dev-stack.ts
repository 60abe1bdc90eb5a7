/**
 * Runs `scripts/dev.ts` (what `npm run dev` runs) against a test file's own database, Redis
 * prefix and blob containers, with its data and keys in temporary directories and free ports,
 * so end-to-end tests use the development stack exactly as a developer does, beside them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import type { TestEnv } from './test-env.js';

export interface DevStack {
  readonly child: ChildProcess;
  readonly api: string;
  /** The dev inbox page of the mail catcher. */
  readonly inbox: string;
  output(): string;
}

export interface DevStackDirs {
  /** `--data-dir`: Azurite's blobs and the caught mails. */
  readonly dataDir: string;
  readonly keyDir: string;
}

/** Temporary directories for one file's dev stacks, removed after the file. */
export function useDevStackDirs(): DevStackDirs {
  const dirs = {
    dataDir: mkdtempSync(path.join(tmpdir(), 'doklad-dev-data-')),
    keyDir: mkdtempSync(path.join(tmpdir(), 'doklad-dev-keys-')),
  };
  afterAll(() => {
    for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true });
  });
  return dirs;
}

/** Starts the stack and resolves once the API is ready and the worker has started. */
export async function startDevStack(env: TestEnv, dirs: DevStackDirs, port: number): Promise<DevStack> {
  // As `npm run dev` runs it: node with the tsx loader, not the tsx CLI, whose signal relay
  // SIGKILLs its child (exit 130) when the child does not acknowledge a Ctrl-C within 60 ms.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/dev.ts', '--data-dir', dirs.dataDir, '--any-ports'],
    {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(port),
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        DATABASE_URL: env.config.database.url,
        MIGRATION_DATABASE_URL: env.config.database.migrationUrl,
        REDIS_URL: env.config.redis.url,
        REDIS_KEY_PREFIX: env.config.redis.keyPrefix,
        BLOB_CONTAINER_PREFIX: env.config.blobs.containerPrefix,
        AUDIT_SIGNING_KEY: env.config.audit.signingKey.pem,
        AUDIT_SIGNING_KEY_CREATE: 'false',
        LOCAL_KMS_MASTER_KEY: env.config.kms.localMasterKey,
        LOCAL_KMS_MASTER_KEY_CREATE: 'false',
        LOCAL_KMS_KEY_DIR: dirs.keyDir,
        ARGON2_MEMORY_KIB: '19456',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a test can send SIGINT to all of it like a terminal's Ctrl-C.
      detached: true,
    },
  );
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const api = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm run dev exited:\n${output}`);
    const ready = await fetch(`${api}/readyz`).catch(() => undefined);
    if (ready?.ok && /Doklad worker started/.test(output)) break;
    if (Date.now() > deadline) {
      process.kill(-child.pid!, 'SIGKILL');
      throw new Error(`npm run dev did not become ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const inbox = /read mails at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? '';
  return { child, api, inbox, output: () => output };
}

/** Ctrl-C: SIGINT to every process of the group; resolves with the exit code. */
export async function pressCtrlC(stack: DevStack): Promise<number | null> {
  if (stack.child.exitCode !== null) return stack.child.exitCode;
  const exited = new Promise<number | null>((resolve) => stack.child.once('exit', resolve));
  process.kill(-stack.child.pid!, 'SIGINT');
  return exited;
}
