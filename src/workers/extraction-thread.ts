/**
 * Entry of an extraction worker thread: runs the (CPU-heavy) engine off the worker process's main
 * event loop, so BullMQ can keep renewing job locks while a scan is OCR'd.
 */
import { parentPort } from 'node:worker_threads';
import {
  ExtractionError,
  extractInvoice,
  type KnownSupplier,
  type LearnedSupplier,
  type SharedLabel,
} from '../extraction/index.js';

export interface ThreadTask {
  readonly bytes: Uint8Array;
  readonly filename?: string | undefined;
  readonly contentType?: string | undefined;
  readonly timeoutMs: number;
  /** The tenant's supplier directory (plain data, copied to the thread with the task). */
  readonly suppliers?: readonly KnownSupplier[] | undefined;
  /** The tenant's supplier profiles (plain data); the result then carries its text layer. */
  readonly learnedSuppliers?: readonly LearnedSupplier[] | undefined;
  /** Label variants learned across consenting firms (plain data). */
  readonly sharedLabels?: readonly SharedLabel[] | undefined;
  readonly schemaDir?: string | undefined;
}

export type ThreadReply =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly code?: string | undefined; readonly message: string };

parentPort?.on('message', (task: ThreadTask) => {
  extractInvoice(
    { bytes: task.bytes, filename: task.filename, contentType: task.contentType },
    {
      timeoutMs: task.timeoutMs,
      schemaDir: task.schemaDir,
      ...(task.suppliers ? { suppliers: task.suppliers } : {}),
      ...(task.learnedSuppliers ? { learnedSuppliers: task.learnedSuppliers, keepTextLayer: true } : {}),
      ...(task.sharedLabels ? { sharedLabels: task.sharedLabels } : {}),
    },
  ).then(
    (result) => parentPort!.postMessage({ ok: true, result } satisfies ThreadReply),
    (error: unknown) =>
      parentPort!.postMessage({
        ok: false,
        code: error instanceof ExtractionError ? error.code : undefined,
        message: error instanceof Error ? error.message : String(error),
      } satisfies ThreadReply),
  );
});
