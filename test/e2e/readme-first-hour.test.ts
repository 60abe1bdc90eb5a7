/**
 * The README's "first hour" block, run as a newcomer pastes it: bash and curl against
 * `npm run dev`. If it stops working, this fails, so the README cannot rot.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/dev-services/free-port.js';
import { pressCtrlC, startDevStack, useDevStackDirs } from '../helpers/dev-stack.js';
import { useTestEnv } from '../helpers/test-env.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const hasCurl = spawnSync('curl', ['--version']).status === 0;
if (!hasCurl) console.warn('[readme-first-hour] skipped: curl is not installed');

function firstHourBlock(): string {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const section = /<!-- first-hour:begin -->\s*```bash\n([\s\S]*?)```\s*<!-- first-hour:end -->/.exec(readme);
  if (!section) throw new Error('README.md has no first-hour block between its markers');
  return section[1]!;
}

const env = useTestEnv({ app: false });
const dirs = useDevStackDirs();

describe.skipIf(!hasCurl)("README's first hour", () => {
  it('runs as pasted: sign-up to an ERP token listing the validated invoice', async () => {
    const port = await freePort();
    const stack = await startDevStack(env, dirs, port);
    try {
      // -e: any failing curl (-f) stops the block; -x: the transcript names the failing line.
      const run = spawnSync('bash', ['-e', '-x', '-c', firstHourBlock()], {
        cwd: repoRoot,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, API: stack.api, INBOX: stack.inbox },
        encoding: 'utf8',
        timeout: 90_000,
      });
      expect(run.status, `${run.stderr}\n${run.stdout}\n${stack.output()}`).toBe(0);
      expect(run.stdout).toContain('"recoveryCodes"');
      expect(run.stdout).toContain('"invoiceNumber":{"value":"INV-2026-0042"');
      const listing = run.stdout.slice(run.stdout.lastIndexOf('{"items"'));
      expect(JSON.parse(listing).items).toMatchObject([
        { status: 'validated', fields: { invoiceNumber: 'INV-2026-0042', 'totals.gross': '1190.00' } },
      ]);
    } finally {
      expect(await pressCtrlC(stack)).toBe(0);
    }
  }, 240_000);
});
