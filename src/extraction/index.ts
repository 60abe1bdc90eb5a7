import { Deadline } from './deadline.js';
import { detectInputKind } from './detect.js';
import { ExtractionError } from './errors.js';
import { finalizeResult } from './finalize.js';
import { unpackIsdocx } from './formats/isdocx.js';
import { readXmlInvoice } from './formats/xml-invoice.js';
import { extractFromImage } from './ocr/extract-image.js';
import { ocrPdfPageForExtraction } from './ocr/ocr-image.js';
import { disposeOcr } from './ocr/tesseract.js';
import { extractFromPdf, type PdfHooks } from './pdf/extract-pdf.js';
import { decodeXml } from './formats/xml-parse.js';
import { scanPdfPageForPaymentCode } from './qr/scan.js';
import { applyLearnedSuppliers } from './hints/apply.js';
import { applySharedLabels } from './hints/shared-labels.js';
import { layerUnits, layerWords } from './hints/text-layer.js';
import { applySupplierDirectory } from './suppliers/directory.js';
import type { ExtractionResult, ExtractOptions } from './types.js';
import type { AcceptedIdentities } from './validate/accepted.js';
import { checkSchema } from './validate/xsd.js';

export * from './model.js';

export interface ExtractInput {
  bytes: Uint8Array;
  /** Only a hint; the content decides the format. */
  filename?: string;
  /** Only a hint; the content decides the format. */
  contentType?: string;
}

const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;

type Draft = Omit<ExtractionResult, 'needsReview' | 'timings'>;

/**
 * Extracts invoice fields from a document (PDF, image, UBL / CII / ISDOC XML, ISDOCX).
 * Throws `ExtractionError` with a stable `code` for inputs it refuses; everything else it could
 * read comes back with findings and `needsReview`.
 */
export async function extractInvoice(
  input: ExtractInput,
  options: ExtractOptions = {},
): Promise<ExtractionResult> {
  const now = options.now ?? (() => performance.now());
  const deadline = new Deadline(now, options.timeoutMs ?? 60_000);
  const { bytes } = input;
  if (bytes.length === 0) throw new ExtractionError('empty_file', 'the file is empty');
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes.length > maxBytes)
    throw new ExtractionError('file_too_large', `the file is larger than ${maxBytes} bytes`);
  const timings: Record<string, number> = {};
  const { textLayer, ...draft } = await extractDraft(bytes, options, deadline, timings);
  // The identity values a person already accepted for the matched supplier, which the validation
  // then reports at info (validate/accepted.ts).
  const accepted: AcceptedIdentities = new Map();
  // Learned hints first: they are this supplier's own layout; the directory then fills master
  // data the page did not give.
  if (textLayer && options.learnedSuppliers?.length)
    draft.findings.push(
      ...applyLearnedSuppliers(
        draft.fields,
        layerWords(textLayer),
        layerUnits(textLayer),
        options.learnedSuppliers,
        accepted,
      ),
    );
  if (options.keepTextLayer && textLayer) (draft as Draft).textLayer = textLayer;
  if (options.suppliers?.length)
    draft.findings.push(...applySupplierDirectory(draft.fields, options.suppliers, accepted));
  // Other firms' label variants last, only for what the rules, the supplier's own profile and the
  // firm's directory left empty: they are the weakest evidence of all.
  if (textLayer && options.sharedLabels?.length)
    draft.findings.push(...applySharedLabels(draft.fields, layerWords(textLayer), options.sharedLabels));
  return finalizeResult(
    draft,
    { ...timings, totalMs: round(deadline.elapsedMs()) },
    { calibrate: options.calibrate !== false, accepted },
  );
}

async function extractDraft(
  bytes: Uint8Array,
  options: ExtractOptions,
  deadline: Deadline,
  timings: Record<string, number>,
): Promise<Draft> {
  switch (detectInputKind(bytes)) {
    case 'xml': {
      const draft = readXmlInvoice(bytes);
      if (options.schemaDir && (draft.format === 'ubl' || draft.format === 'cii')) {
        const started = performance.now();
        draft.findings.push(...(await schemaFindings(bytes, options.schemaDir)));
        timings.schemaMs = round(performance.now() - started);
      }
      return draft;
    }
    case 'zip':
      return { ...readXmlInvoice(unpackIsdocx(bytes)), format: 'isdocx' };
    case 'pdf':
      return extractFromPdf(bytes, options.maxPages ?? 10, deadline, pdfHooks(options), timings);
    case 'image':
      timings.ocrPages = options.ocr !== false ? 1 : 0;
      return extractFromImage(bytes, options.ocr !== false, options.qr !== false, timings);
    default:
      throw new ExtractionError(
        'unsupported_format',
        'the file is not a PDF, image, XML e-invoice or ISDOCX',
      );
  }
}

/** The XSD check of a UBL or CII document (already parsed once, so well-formed and within limits). */
async function schemaFindings(bytes: Uint8Array, schemaDir: string) {
  const { text } = decodeXml(bytes);
  const rootName = /<(?:[A-Za-z_][\w.-]*:)?(Invoice|CreditNote|CrossIndustryInvoice)[\s>/]/.exec(
    text.replace(/<!--[\s\S]*?-->|<\?[\s\S]*?\?>/g, ''),
  )?.[1];
  return rootName ? checkSchema(text, rootName, { schemaDir }) : [];
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** Releases OCR workers so a CLI or test process can exit. Safe to call when none are running. */
export async function disposeExtraction(): Promise<void> {
  await disposeOcr();
}

function pdfHooks(options: ExtractOptions): PdfHooks {
  const hooks: PdfHooks = {};
  if (options.ocr !== false) hooks.ocrPage = ocrPdfPageForExtraction;
  if (options.qr !== false) hooks.scanQr = scanPdfPageForPaymentCode;
  return hooks;
}
