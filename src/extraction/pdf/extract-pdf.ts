import type * as mupdf from 'mupdf';
import type { Deadline } from '../deadline.js';
import { documentTypeFromWords } from '../text/document-type.js';
import { extractTextFields, type TextFieldOptions } from '../text/text-fields.js';
import { missingBreakdownFinding } from '../text/vat-summary.js';
import { toTextLayer } from '../hints/text-layer.js';
import type { Word } from '../text/words.js';
import type { DocumentFormat, ExtractionResult, Finding } from '../types.js';
import { mergePaymentCode } from '../qr/merge.js';
import type { PaymentCode } from '../qr/payment-codes.js';
import { checkPdfContainer } from './container.js';
import { readEmbeddedInvoice } from './embedded-invoice.js';
import { openPdf } from './open.js';
import { checkPdfStreams } from './stream-budget.js';
import { readPageWords } from './page-words.js';

type Draft = Omit<ExtractionResult, 'needsReview' | 'timings'>;

/** A page read by OCR; the first page also brings the letterhead's further looks, when they ran. */
export interface OcrPage {
  words: Word[];
  letterhead?: TextFieldOptions;
}

export interface PdfHooks {
  /** OCR for pages without a text layer; absent when OCR is disabled. */
  ocrPage?: (doc: mupdf.PDFDocument, pageIndex: number) => Promise<OcrPage>;
  /** Payment QR code on a page; absent when QR decoding is disabled. */
  scanQr?: (page: mupdf.Page, words: Word[], hasImages: boolean) => Promise<PaymentCode | null>;
}

/** A page with fewer characters than this is treated as a scan. */
const MIN_TEXT_CHARS = 40;

/**
 * Reads a PDF: the embedded e-invoice XML when there is one (exact), else the text layer with
 * layout-aware label search, OCR for pages without text, and payment QR codes.
 */
export async function extractFromPdf(
  bytes: Uint8Array,
  maxPages: number,
  deadline: Deadline,
  hooks: PdfHooks,
  timings: Record<string, number>,
): Promise<Draft> {
  const opened = openPdf(bytes);
  const { doc } = opened;
  try {
    const embedded = readEmbeddedInvoice(doc);
    const findings: Finding[] = [...opened.findings, ...embedded.findings];
    timings.xmlMs = deadline.elapsedMs();
    if (embedded.invoice) {
      const { format, ...invoice } = embedded.invoice;
      const pdfFormat: DocumentFormat = format === 'isdoc' ? 'isdoc-pdf' : 'facturx-pdf';
      // ISDOC PDFs are not PDF/A-3 hybrids by specification; Factur-X / ZUGFeRD ones are.
      if (pdfFormat === 'facturx-pdf' && embedded.attachment)
        findings.push(...checkPdfContainer(doc, bytes, embedded.attachment));
      return { ...invoice, format: pdfFormat, findings: [...findings, ...invoice.findings] };
    }
    const pages = Math.min(opened.pageCount, maxPages);
    // Before mupdf runs any page: a decompression bomb fails here, fast and for good.
    checkPdfStreams(doc, pages);
    return await readPages(doc, pages, deadline, hooks, findings, timings);
  } finally {
    doc.destroy();
  }
}

async function readPages(
  doc: mupdf.PDFDocument,
  pages: number,
  deadline: Deadline,
  hooks: PdfHooks,
  findings: Finding[],
  timings: Record<string, number>,
): Promise<Draft> {
  const words: Word[] = [];
  let scanned = 0;
  // A scanned first page gets the letterhead's second and third looks, as an image does.
  let letterhead: TextFieldOptions = {};
  let qr: { code: PaymentCode; page: number } | null = null;
  for (let i = 0; i < pages; i++) {
    deadline.check(`page ${i + 1}`);
    const page = doc.loadPage(i);
    try {
      const text = readPageWords(page, i + 1);
      let pageWords = text.words;
      if (text.charCount < MIN_TEXT_CHARS && hooks.ocrPage) {
        scanned++;
        const read = await hooks.ocrPage(doc, i);
        pageWords = read.words;
        if (i === 0 && read.letterhead) letterhead = read.letterhead;
      }
      words.push(...pageWords);
      if (hooks.scanQr && !qr) {
        const code = await hooks.scanQr(page, pageWords, text.imageBlocks > 0 || pageWords !== text.words);
        if (code) qr = { code, page: i + 1 };
      }
    } finally {
      page.destroy();
    }
  }
  timings.ocrPages = scanned;
  const source = scanned > 0 && scanned === pages ? 'ocr' : 'text';
  const fields = extractTextFields(words, source, letterhead);
  if (qr) findings.push(...mergePaymentCode(fields, qr.code, qr.page));
  const noBreakdown = missingBreakdownFinding(fields);
  if (noBreakdown) findings.push(noBreakdown);
  if (words.length === 0)
    findings.push({ code: 'no_text', severity: 'error', message: 'the PDF has no readable text' });
  return {
    documentType: documentTypeFromWords(words),
    format: source === 'ocr' ? 'pdf-scan' : 'pdf-text',
    fields,
    vatBreakdown: [],
    lines: [],
    findings,
    textLayer: toTextLayer(words, source === 'ocr' ? 'px' : 'pt'),
  };
}
