/**
 * Starts one BullMQ Worker per queue. No capability has background jobs yet (document processing,
 * retention sweeps and audit checkpoints arrive with their modules), so the list is empty and the
 * worker process idles until it is told to stop.
 */
import type { Container } from '../container.js';

export interface RunningWorkers {
  readonly queueNames: readonly string[];
  /** Stops taking jobs and waits for running ones. */
  close(): Promise<void>;
}

export async function startWorkers(_container: Container): Promise<RunningWorkers> {
  const workers: { name: string; close(): Promise<void> }[] = [];
  return {
    queueNames: workers.map((w) => w.name),
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
