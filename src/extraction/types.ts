import type { EInvoice } from './einvoice.js';
import type { LearnedSupplier, SharedLabel } from './hints/types.js';
import type { TextLayer } from './hints/text-layer.js';
import type { KnownSupplier } from './suppliers/directory.js';

/** Where a field value came from, most to least reliable. */
export type FieldSource = 'xml' | 'qr' | 'text' | 'ocr' | 'learned' | 'user';

/**
 * An independent check a value passed beyond one reading of the page (finalize.ts, confirm.ts):
 * - `totals`: net + tax = gross to the cent with a non-zero tax (and a due amount equal to it);
 * - `supplier`: the value is printed on the page and is what the matched supplier's validated
 *   documents or learned profile know: its name, VAT ID, company id or IBAN (an id failing its
 *   checksum stays confirmed only where a person accepted that very value before: an info finding,
 *   validate/accepted.ts), a currency it billed in, a buyer it billed, issue and due dates as
 *   far apart as one of its payment terms, or a number or date at the place of its layout where
 *   its validated documents print that field;
 * - `hint`: a hint learned from a person's correction read the same value the general rules read.
 * Confirmed values are calibrated apart from unconfirmed ones (calibration.ts).
 */
export type FieldCheck = 'totals' | 'supplier' | 'hint';

/** One extracted, normalised field value. */
export interface ExtractedField {
  /** Normalised value: dates YYYY-MM-DD, amounts decimal strings with a dot, IDs upper-case without spaces. */
  value: string;
  /** 0..1; lowered by validation findings that concern the field. */
  confidence: number;
  source: FieldSource;
  /** 1-based page number when the value was read from a page. */
  page?: number;
  /** Bounding box in PDF points (72 per inch) for text, pixels of the page render for OCR. */
  bbox?: [number, number, number, number];
  /** The independent check the value passed, when one did (a finding about the field undoes it). */
  confirmedBy?: FieldCheck;
}

export type FindingSeverity = 'error' | 'warning' | 'info';

/** A validation or processing observation; findings never change values. */
export interface Finding {
  code: string;
  severity: FindingSeverity;
  field?: string;
  message: string;
  /**
   * The official rule the finding reports, as the standard names it (EN 16931 BR-…, BR-CO-…,
   * BR-CL-…, BR-S/Z/E/AE/IC/G/O/AF/AG/B-…, BR-DEC-…, syntax rules UBL-SR/UBL-DT/UBL-CR/CII-SR/CII-DT-…,
   * or XSD for the schema check); absent when no official rule says it.
   */
  rule?: string;
}

export interface VatBreakdownRow {
  rate: string;
  category?: string;
  base: string;
  tax: string;
}

export interface InvoiceLine {
  description?: string;
  quantity?: string;
  unitPrice?: string;
  netAmount?: string;
  vatRate?: string;
}

/** The field names of the extraction contract (EN 16931 business terms). */
export const FIELD_NAMES = [
  'invoiceNumber',
  'issueDate',
  'dueDate',
  'currency',
  'seller.name',
  'seller.vatId',
  'seller.companyId',
  'buyer.name',
  'buyer.vatId',
  'totals.net',
  'totals.tax',
  'totals.gross',
  'totals.due',
  'payment.iban',
  'payment.reference',
] as const;

export type FieldName = (typeof FIELD_NAMES)[number];

export type DocumentFormat =
  | 'ubl'
  | 'cii'
  | 'zugferd1'
  | 'isdoc'
  | 'isdocx'
  | 'facturx-pdf'
  | 'isdoc-pdf'
  | 'pdf-text'
  | 'pdf-scan'
  | 'image';

/**
 * Milliseconds per stage, plus `ocrPages`: the pages (or the image) read by OCR, a count kept
 * here because it too measures the work a run did (the worker's OCR-pages metric reads it).
 */
export interface ExtractionTimings {
  totalMs: number;
  [stage: string]: number;
}

/** The engine's answer for one document. */
export interface ExtractionResult {
  documentType: 'invoice' | 'credit_note' | 'unknown';
  format: DocumentFormat;
  fields: Partial<Record<FieldName, ExtractedField>>;
  vatBreakdown: VatBreakdownRow[];
  lines: InvoiceLine[];
  /**
   * The EN 16931 model of a structured e-invoice (UBL, CII, ZUGFeRD 1, ISDOC, also inside a PDF):
   * every business term the UBL / CII / ISDOC exports write. Absent for documents read from text.
   */
  einvoice?: EInvoice;
  findings: Finding[];
  /**
   * The positioned words the fields were read from (text PDFs and OCR), only when
   * `ExtractOptions.keepTextLayer` asks for it: the caller keeps it to learn from a later
   * correction (`learnFieldHint`). Not part of the API's extraction result.
   */
  textLayer?: TextLayer;
  /** True when a key field is missing, has low confidence, or an error finding exists. */
  needsReview: boolean;
  timings: ExtractionTimings;
}

export interface ExtractOptions {
  /** Monotonic milliseconds; defaults to performance.now(). Used only for `timings`. */
  now?: () => number;
  /** Run OCR on images and text-less pages (default true). */
  ocr?: boolean;
  /** Decode payment QR codes (default true). */
  qr?: boolean;
  /** Maximum pages to read from the text layer / OCR (default 10). */
  maxPages?: number;
  /** Abort (code `timeout`) when the document takes longer than this (default 60000). */
  timeoutMs?: number;
  /** Maximum input size in bytes (default 50 MiB). */
  maxBytes?: number;
  /**
   * The firm's supplier directory (from its validated documents): a matching supplier fills the
   * seller's master data (`source: learned`) and contradictions become findings.
   */
  suppliers?: readonly KnownSupplier[];
  /**
   * The firm's supplier profiles (learned from people's corrections, `hints/`): the profile of the
   * document's supplier gives its master data and is tried before the general rules for the fields
   * it has hints for (`source: learned`); where the document does not fit a hint the rules decide.
   */
  learnedSuppliers?: readonly LearnedSupplier[];
  /**
   * Label variants people at several consenting firms used for fields (`hints/shared-labels.ts`):
   * tried last, for a field the general rules, the supplier's profile and the directory left
   * empty, at a confidence that sends the document to review (`source: learned`, info finding
   * `read_by_shared_label`).
   */
  sharedLabels?: readonly SharedLabel[];
  /** Return the text layer in the result (`textLayer`), for learning from later corrections. */
  keepTextLayer?: boolean;
  /**
   * Directory with the official UBL 2.1 and CII D16B XSDs (`ubl-2.1/`, `cii-d16b/`); when set,
   * UBL and CII documents are also validated against them (findings with rule `XSD`). Unset: no
   * schema check (it costs 0.5-0.8 s per document).
   */
  schemaDir?: string | undefined;
  /**
   * Calibrate confidences (default true: `calibration-table.ts`). False returns the rules' own
   * scores; only the calibration benchmark, which fits the table on them, wants that.
   */
  calibrate?: boolean;
}
