import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createBackgroundTasks } from '../../src/platform/background-tasks.js';
import { createLogger } from '../../src/platform/logger.js';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { logger: createLogger('info', sink), lines };
}

describe('background tasks', () => {
  it('start only after the caller has moved on, and settled() waits for tasks they start', async () => {
    const tasks = createBackgroundTasks(capture().logger);
    const order: string[] = [];
    tasks.run('outer', async () => {
      order.push('outer');
      tasks.run('inner', async () => {
        order.push('inner');
      });
    });
    order.push('caller');
    await tasks.settled();
    expect(order).toEqual(['caller', 'outer', 'inner']);
  });

  it('log a failing task by its label and keep running the others', async () => {
    const { logger, lines } = capture();
    const tasks = createBackgroundTasks(logger);
    let ran = false;
    tasks.run('breaks', () => Promise.reject(new Error('smtp down')));
    tasks.run('works', async () => {
      ran = true;
    });
    await tasks.settled();
    expect(ran).toBe(true);
    expect(lines.join('')).toContain('"task":"breaks"');
  });
});
