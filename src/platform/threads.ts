/** Starting worker threads whose entry module sits next to the caller's module. */
import { Worker } from 'node:worker_threads';

/**
 * Starts the thread entry `name` (without extension) beside `callerUrl` (the caller's
 * `import.meta.url`): `<name>.ts` through the tsx loader when the caller runs from sources (tsx,
 * vitest), `<name>.js` when built.
 */
export function spawnSiblingThread(callerUrl: string, name: string): Worker {
  if (callerUrl.endsWith('.ts')) {
    return new Worker(new URL(`./${name}.ts`, callerUrl), { execArgv: ['--import', 'tsx'] });
  }
  return new Worker(new URL(`./${name}.js`, callerUrl));
}
