/**
 * Work a request starts but does not wait for: it runs after the answer has gone out, so what it
 * does (or does not do) cannot be read from the answer's timing. The password-reset request is the
 * case in point: the answer for a registered address must take as long as for an unknown one.
 *
 * Tasks live in this process only: a crash loses the ones still running, which suits work a person
 * can simply ask for again (a reset mail, a notice). Work that must survive belongs in a BullMQ job.
 * A failing task is logged and forgotten.
 */
import type { Logger } from './logger.js';

export interface BackgroundTasks {
  /** Runs `task` after the current request's work, on a later turn of the event loop. */
  run(label: string, task: () => Promise<void>): void;
  /** Resolves once every task started so far (and any they started) has finished. */
  settled(): Promise<void>;
}

/** How a task is put off: `setImmediate` in production; tests may hold tasks back to inspect. */
export type ScheduleTask = (start: () => void) => void;

export function createBackgroundTasks(
  logger: Logger,
  schedule: ScheduleTask = (start) => setImmediate(start),
): BackgroundTasks {
  const running = new Set<Promise<void>>();
  return {
    run(label, task) {
      let started!: () => void;
      const done = new Promise<void>((resolve) => {
        started = resolve;
      })
        .then(task)
        .catch((error: unknown) => logger.error({ err: error, task: label }, 'background task failed'))
        .finally(() => running.delete(done));
      running.add(done);
      schedule(started);
    },
    async settled() {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}
