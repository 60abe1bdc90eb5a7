/**
 * A background pass repeated every `intervalMs` in one process (the audit chainer, the audit
 * sink): the next pass is scheduled only after the previous one finished, so passes never overlap,
 * and a failing pass is logged and retried at the next interval. `stop()` aborts the running pass
 * through its signal and waits for it.
 */
import type { Logger } from './logger.js';

export interface IntervalLoop {
  stop(): Promise<void>;
}

export function startIntervalLoop(
  pass: (signal: AbortSignal) => Promise<void>,
  settings: { intervalMs: number; logger: Logger; failureMessage: string },
): IntervalLoop {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const run = async (): Promise<void> => {
    try {
      await pass(abort.signal);
    } catch (error) {
      settings.logger.error({ err: error }, settings.failureMessage);
    }
    if (!abort.signal.aborted) timer = setTimeout(() => (running = run()), settings.intervalMs);
  };
  running = run();
  return {
    async stop() {
      abort.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
