/**
 * `npm run dev` as a developer uses it: start, sign up, upload, Ctrl-C (SIGINT to the whole
 * process group, as a terminal sends it), start again. The document must come back byte for byte
 * (Azurite keeps its data on disk), the stop must be graceful and quiet, and mail must have gone
 * through the dev mail catcher into the data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/platform/free-port.js';
import { samplePdf } from '../helpers/documents.js';
import { STRONG_PASSWORD, uniqueEmail } from '../helpers/auth.js';
import { useTestEnv } from '../helpers/test-env.js';

const env = useTestEnv({ app: false });
const dataDir = mkdtempSync(path.join(tmpdir(), 'doklad-dev-data-'));
const keyDir = mkdtempSync(path.join(tmpdir(), 'doklad-dev-keys-'));
afterAll(() => {
  for (const dir of [dataDir, keyDir]) rmSync(dir, { recursive: true, force: true });
});

interface DevStack {
  readonly child: ChildProcess;
  readonly api: string;
  output(): string;
}

async function startDev(port: number): Promise<DevStack> {
  const child = spawn('tsx', ['scripts/dev.ts', '--data-dir', dataDir, '--any-ports'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      DATABASE_URL: env.config.DATABASE_URL,
      MIGRATION_DATABASE_URL: env.config.MIGRATION_DATABASE_URL,
      REDIS_URL: env.config.REDIS_URL,
      REDIS_KEY_PREFIX: env.config.REDIS_KEY_PREFIX,
      AUDIT_SIGNING_KEY: env.config.AUDIT_SIGNING_KEY,
      AUDIT_SIGNING_KEY_CREATE: 'false',
      LOCAL_KMS_MASTER_KEY: env.config.LOCAL_KMS_MASTER_KEY,
      LOCAL_KMS_MASTER_KEY_CREATE: 'false',
      LOCAL_KMS_KEY_DIR: keyDir,
      ARGON2_MEMORY_KIB: '19456',
      // A second stack beside a developer's: its own blob containers.
      BLOB_CONTAINER_PREFIX: env.config.BLOB_CONTAINER_PREFIX,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so the test can send SIGINT to all of it like a terminal's Ctrl-C.
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const api = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm run dev exited:\n${output}`);
    const ready = await fetch(`${api}/readyz`).catch(() => undefined);
    if (ready?.ok && /Doklad worker started/.test(output)) break;
    if (Date.now() > deadline) throw new Error(`npm run dev did not become ready:\n${output}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return { child, api, output: () => output };
}

/** Ctrl-C: SIGINT to every process of the group; resolves with the exit code. */
async function pressCtrlC(stack: DevStack): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => stack.child.once('exit', resolve));
  process.kill(-stack.child.pid!, 'SIGINT');
  return exited;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('npm run dev', () => {
  it('keeps uploaded documents across a Ctrl-C and restart, stopping gracefully and quietly', async () => {
    const port = await freePort();
    const pdf = samplePdf();
    const first = await startDev(port);
    let session: string;
    let documentId: string;
    try {
      const email = uniqueEmail('dev');
      const signup = await fetch(`${first.api}/v1/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tenantName: 'Dev Firm', email, password: STRONG_PASSWORD, name: 'Dev' }),
      });
      expect(signup.status).toBe(201);
      session = ((await signup.json()) as { token: string }).token;
      const upload = await fetch(`${first.api}/v1/documents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${session}`, 'content-type': 'application/pdf' },
        body: pdf,
      });
      expect(upload.status).toBe(201);
      documentId = ((await upload.json()) as { id: string }).id;
    } finally {
      expect(await pressCtrlC(first)).toBe(0);
    }
    expect(first.output()).toContain('[dev] stopped');
    expect(first.output()).not.toMatch(/Force killing|hasn't exited|\.env not found/);
    expect(first.output()).toMatch(/"signal":"SIG(INT|TERM)","msg":"shutting down"/);
    // The verification mail went to the catcher, and only its subject reached the terminal.
    expect(readdirSync(path.join(dataDir, 'mail')).filter((f) => f.endsWith('.eml'))).toHaveLength(1);
    expect(first.output()).toContain('"Confirm your Doklad email address"');
    expect(first.output()).not.toMatch(/evf_[A-Za-z0-9_-]{10}/);

    const second = await startDev(port);
    try {
      const download = await fetch(`${second.api}/v1/documents/${documentId}/content`, {
        headers: { authorization: `Bearer ${session}` },
      });
      expect(download.status).toBe(200);
      expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(sha256(pdf));
      const ready = await fetch(`${second.api}/readyz`);
      expect(((await ready.json()) as { checks: Record<string, string> }).checks.blobContents).toBe('up');
    } finally {
      expect(await pressCtrlC(second)).toBe(0);
    }
  }, 240_000);
});
