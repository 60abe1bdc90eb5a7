/**
 * `npm run dev` as a developer uses it: start, sign up, upload, Ctrl-C (SIGINT to the whole
 * process group, as a terminal sends it), start again. The document must come back byte for byte
 * (Azurite keeps its data on disk), the stop must be graceful and quiet, and mail must have gone
 * through the dev mail catcher into the data directory.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/dev-services/free-port.js';
import { samplePdf } from '../helpers/documents.js';
import { STRONG_PASSWORD, uniqueEmail } from '../helpers/auth.js';
import { pressCtrlC, startDevStack, useDevStackDirs } from '../helpers/dev-stack.js';
import { useTestEnv } from '../helpers/test-env.js';

const env = useTestEnv({ app: false });
const dirs = useDevStackDirs();

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('npm run dev', () => {
  it('keeps uploaded documents across a Ctrl-C and restart, stopping gracefully and quietly', async () => {
    const port = await freePort();
    const pdf = samplePdf();
    const first = await startDevStack(env, dirs, port);
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
    expect(readdirSync(path.join(dirs.dataDir, 'mail')).filter((f) => f.endsWith('.eml'))).toHaveLength(1);
    expect(first.output()).toContain('"Confirm your Doklad email address"');
    expect(first.output()).not.toMatch(/evf_[A-Za-z0-9_-]{10}/);

    const second = await startDevStack(env, dirs, port);
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
