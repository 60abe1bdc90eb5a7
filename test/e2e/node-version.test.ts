/**
 * The entry points on a Node.js older than 24, the way CI machines and many developer machines
 * have one on PATH: a one-line refusal and exit code 1, never argon2's segmentation fault. The
 * old node runs the TypeScript entry points through tsx's loader, so no build is needed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MINIMUM_NODE_MAJOR } from '../../src/platform/node-version.js';

/** The first `node` on PATH older than the minimum (npm puts the project's own Node first). */
function findOldNode(): { path: string; version: string } | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'node');
    try {
      accessSync(candidate, constants.X_OK);
      const version = execFileSync(candidate, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
      if (Number(/^v(\d+)\./.exec(version)?.[1]) < MINIMUM_NODE_MAJOR) return { path: candidate, version };
    } catch {
      // not there, or not runnable: try the next one
    }
  }
  return undefined;
}

const oldNode = findOldNode();
if (!oldNode) console.warn(`No node older than ${MINIMUM_NODE_MAJOR} on PATH: skipping the refusal test.`);

describe.skipIf(!oldNode)(`entry points on ${oldNode?.version ?? 'an old Node.js'}`, () => {
  it.each(['src/main-api.ts', 'src/main-worker.ts', 'src/cli.ts'])(
    '%s refuses with one line on stderr and exit code 1, before loading argon2',
    (entry) => {
      const result = spawnSync(oldNode!.path, ['--import', 'tsx', entry, '--help'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        timeout: 60_000,
      });
      expect(result.signal, result.stderr).toBeNull();
      expect(result.status, result.stderr).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([
        expect.stringContaining(`Doklad needs Node.js ${MINIMUM_NODE_MAJOR} or newer`),
      ]);
      expect(result.stdout).toBe('');
    },
  );
});
