/**
 * How guessable a password is (zxcvbn), answered by a worker thread.
 *
 * Why a thread: zxcvbn's dictionaries are ~30 MB of small strings and maps, a third of the API's
 * JavaScript heap. In the main thread every full garbage collection has to trace them, and
 * streaming documents triggers several per 100 MB (V8 collects after every 64 MB of Buffers).
 * Moved here, `npm run bench:storage` showed per 100 MB transfer: API RSS growth 42–59 MB instead
 * of 62–95 MB, API CPU 0.73 s instead of 0.83 s (upload) and 0.50 s instead of 0.60 s (download).
 * The thread starts on the first check, keeps its dictionaries (building them takes ~200 ms), and
 * is replaced if it dies or hangs.
 */
import type { Worker } from 'node:worker_threads';
import { spawnSiblingThread } from '../../platform/threads.js';
import type { StrengthReply, StrengthRequest } from './password-strength-thread.js';

export interface StrengthVerdict {
  /** 0 (trivial) .. 4 (very hard to guess). */
  readonly score: number;
  readonly warning: string | null;
}

/** A check that has not answered in this time has hung: the thread is replaced. */
const CHECK_TIMEOUT_MS = 10_000;

interface Pending {
  resolve(verdict: StrengthVerdict): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

let thread: Worker | undefined;
let nextId = 1;
const pending = new Map<number, Pending>();

function failAll(error: Error): void {
  for (const [id, request] of pending) {
    clearTimeout(request.timer);
    pending.delete(id);
    request.reject(error);
  }
}

function stop(worker: Worker, error: Error): void {
  if (thread === worker) thread = undefined;
  failAll(error);
  void worker.terminate();
}

function ensureThread(): Worker {
  if (thread) return thread;
  const worker = spawnSiblingThread(import.meta.url, 'password-strength-thread');
  // An idle thread never keeps the process alive; one with a check under way does (see below).
  worker.unref();
  worker.on('message', (reply: StrengthReply) => {
    const request = pending.get(reply.id);
    if (!request) return;
    pending.delete(reply.id);
    clearTimeout(request.timer);
    if (pending.size === 0) worker.unref();
    if ('error' in reply) request.reject(new Error(`Password strength check failed: ${reply.error}`));
    else request.resolve({ score: reply.score, warning: reply.warning });
  });
  worker.on('error', (error) => stop(worker, error));
  worker.on('exit', (code) => stop(worker, new Error(`Password strength thread exited (${code})`)));
  thread = worker;
  return worker;
}

export function passwordStrength(password: string, userInputs: readonly string[]): Promise<StrengthVerdict> {
  const worker = ensureThread();
  const id = nextId++;
  return new Promise<StrengthVerdict>((resolve, reject) => {
    const timer = setTimeout(
      () => stop(worker, new Error(`Password strength check took longer than ${CHECK_TIMEOUT_MS} ms`)),
      CHECK_TIMEOUT_MS,
    );
    pending.set(id, { resolve, reject, timer });
    worker.ref();
    worker.postMessage({ id, password, userInputs } satisfies StrengthRequest);
  });
}
