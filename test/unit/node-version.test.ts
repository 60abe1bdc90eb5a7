import { describe, expect, it } from 'vitest';
import { MINIMUM_NODE_MAJOR, unsupportedNodeMessage } from '../../src/platform/node-version.js';

describe('Node.js version check', () => {
  it.each(['24.0.0', 'v24.11.1', '25.2.0', '100.0.0'])('accepts Node.js %s', (version) => {
    expect(unsupportedNodeMessage(version)).toBeUndefined();
  });

  it.each(['20.20.2', 'v22.11.0', '23.99.99', '8.0.0', '', 'nonsense'])(
    'refuses Node.js %j in one line naming the version needed and the one found',
    (version) => {
      const message = unsupportedNodeMessage(version);
      expect(message).toContain(`Node.js ${MINIMUM_NODE_MAJOR} or newer`);
      expect(message).toContain(`this is Node.js ${version}`);
      expect(message).not.toContain('\n');
    },
  );

  it('agrees with package.json engines', async () => {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      engines: { node: string };
    };
    expect(pkg.engines.node).toBe(`>=${MINIMUM_NODE_MAJOR}`);
  });
});
