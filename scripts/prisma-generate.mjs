// Runs `prisma generate` without network access. Generating the client needs no schema engine,
// but the Prisma CLI tries to download one unless PRISMA_SCHEMA_ENGINE_BINARY names a path,
// so we point it at an existing placeholder file (this script) when the caller has not chosen a
// real binary; generate never executes it.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(import.meta.url);

const result = spawnSync('prisma', ['generate'], {
  stdio: 'inherit',
  env,
  shell: process.platform === 'win32',
});
process.exit(result.status ?? 1);
