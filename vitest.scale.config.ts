import { defineConfig } from 'vitest/config';

/**
 * `npm run test:scale`: the scale-out proof (test/scale/), several API and worker processes at
 * once. Kept out of `npm test` (it alone takes about a minute of both cores); .ci/run runs it.
 */
export default defineConfig({
  test: {
    include: ['test/scale/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    testTimeout: 300_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
