/** How the pipeline runs the extraction engine (src/extraction/). */
import type {
  ExtractionResult,
  KnownSupplier,
  LearnedSupplier,
  SharedLabel,
} from '../../extraction/model.js';

/** Runs the engine; the worker process passes a thread pool so OCR never blocks its event loop. */
export type ExtractFunction = (task: {
  bytes: Uint8Array;
  filename?: string;
  contentType?: string;
  timeoutMs: number;
  /** The tenant's supplier directory, built from its validated documents. */
  suppliers?: readonly KnownSupplier[];
  /** The tenant's supplier profiles (learned from corrections); the result then carries its text layer. */
  learnedSuppliers?: readonly LearnedSupplier[];
  /** Label variants learned across firms that consented to it (suppliers.shared-labels.ts). */
  sharedLabels?: readonly SharedLabel[];
  /** EINVOICE_SCHEMA_DIR: XSDs for the schema check of UBL / CII; undefined = none. */
  schemaDir?: string | undefined;
}) => Promise<ExtractionResult>;

/** Loads the engine on first use: the API process, which only enqueues, never pays for it. */
export const extractInProcess: ExtractFunction = async (task) => {
  const { extractInvoice } = await import('../../extraction/index.js');
  return extractInvoice(
    { bytes: task.bytes, filename: task.filename, contentType: task.contentType },
    {
      timeoutMs: task.timeoutMs,
      schemaDir: task.schemaDir,
      ...(task.suppliers ? { suppliers: task.suppliers } : {}),
      ...(task.learnedSuppliers ? { learnedSuppliers: task.learnedSuppliers, keepTextLayer: true } : {}),
      ...(task.sharedLabels ? { sharedLabels: task.sharedLabels } : {}),
    },
  );
};
