/**
 * A small pool of extraction worker threads (one per concurrent job). A task that overruns its
 * time is stopped by terminating its thread, which is then replaced; memory and CPU of a runaway
 * document end with it.
 */
import type { Worker } from 'node:worker_threads';
import { ExtractionError, type ExtractionErrorCode, type ExtractionResult } from '../extraction/model.js';
import { spawnSiblingThread } from '../platform/threads.js';
import type { ThreadReply, ThreadTask } from './extraction-thread.js';

export interface ExtractionPool {
  run(task: ThreadTask): Promise<ExtractionResult>;
  close(): Promise<void>;
}

function spawnThread(): Worker {
  return spawnSiblingThread(import.meta.url, 'extraction-thread');
}

export function createExtractionPool(size: number): ExtractionPool {
  const idle: Worker[] = [];
  const waiting: ((worker: Worker) => void)[] = [];
  let spawned = 0;
  let closed = false;

  function acquire(): Promise<Worker> {
    const worker = idle.pop();
    if (worker) return Promise.resolve(worker);
    if (spawned < size) {
      spawned += 1;
      return Promise.resolve(spawnThread());
    }
    return new Promise((resolve) => waiting.push(resolve));
  }

  function release(worker: Worker, healthy: boolean): void {
    if (!healthy) {
      void worker.terminate();
      spawned -= 1;
      const next = waiting.shift();
      if (next && !closed) {
        spawned += 1;
        next(spawnThread());
      }
      return;
    }
    const next = waiting.shift();
    if (next) next(worker);
    else idle.push(worker);
  }

  return {
    async run(task) {
      const worker = await acquire();
      return new Promise<ExtractionResult>((resolve, reject) => {
        // A little longer than the engine's own deadline: the engine should time out by itself.
        const timer = setTimeout(
          () =>
            finish(false, new ExtractionError('timeout', `Extraction took longer than ${task.timeoutMs} ms`)),
          task.timeoutMs + 5_000,
        );
        const onMessage = (reply: ThreadReply) => {
          if (reply.ok) finish(true, undefined, reply.result as ExtractionResult);
          else
            finish(
              true,
              reply.code
                ? new ExtractionError(reply.code as ExtractionErrorCode, reply.message)
                : new Error(reply.message),
            );
        };
        const onError = (error: Error) => finish(false, error);
        function finish(healthy: boolean, error?: Error, result?: ExtractionResult) {
          clearTimeout(timer);
          worker.off('message', onMessage);
          worker.off('error', onError);
          release(worker, healthy);
          if (error) reject(error);
          else resolve(result!);
        }
        worker.on('message', onMessage);
        worker.on('error', onError);
        worker.postMessage(task, [task.bytes.buffer as ArrayBuffer]);
      });
    },
    async close() {
      closed = true;
      await Promise.all(idle.splice(0).map((w) => w.terminate()));
    },
  };
}
