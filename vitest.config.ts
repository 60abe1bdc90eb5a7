import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The scale-out proof runs on its own: `npm run test:scale` (vitest.scale.config.ts).
    exclude: [...configDefaults.exclude, 'test/scale/**'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Each integration test file gets its own database, Redis prefix and blob containers,
    // so files run in parallel without seeing each other's data.
    pool: 'forks',
    // Both cores: the tests mostly wait on PostgreSQL, Redis, Azurite and child processes; Vitest's
    // default (cores - 1) ran one file at a time here (594 s for the suite; 392 s with two).
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});
