import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_NODE_FLAGS } from '../../bench/support.js';

// The API's V8 flags are written in four places (npm start, the Dockerfile, the benches' entry,
// the bench:storage script, whose client runs with them too: bench/README.md says why);
// a flag that reaches one and not the others would make the benches measure something else.
describe('API Node flags', () => {
  const packageJson = JSON.parse(readFileSync('package.json', 'utf8')) as {
    scripts: { start: string; 'bench:storage': string };
  };
  const dockerfile = readFileSync('Dockerfile', 'utf8');

  it('are the same in npm start, the Dockerfile and the benchmarks', () => {
    expect(API_NODE_FLAGS.length).toBeGreaterThan(0);
    // All of them, in the same order, right after `node`; other arguments (the tracing preload
    // module) may follow.
    expect(packageJson.scripts.start).toContain(`node ${API_NODE_FLAGS.join(' ')} `);
    const quoted = API_NODE_FLAGS.map((flag) => `"${flag}", `).join('');
    expect(dockerfile).toMatch(new RegExp(`CMD \\["node", ${quoted}(?:"[^"]+", )*"dist/src/main-api.js"\\]`));
  });

  it('start the storage benchmark client as well', () => {
    expect(packageJson.scripts['bench:storage']).toBe(
      `node ${API_NODE_FLAGS.join(' ')} --import tsx bench/storage.ts`,
    );
  });
});
