import { toTextLayer } from '../hints/text-layer.js';
import { documentTypeFromWords } from '../text/document-type.js';
import { extractTextFields } from '../text/text-fields.js';
import { missingBreakdownFinding } from '../text/vat-summary.js';
import type { ExtractionResult } from '../types.js';
import { mergePaymentCode } from '../qr/merge.js';
import { scanImageForPaymentCode } from '../qr/scan.js';
import { checkImageSize } from './image-size.js';
import { rereadIssuerLines, rereadLetterhead } from './letterhead-pass.js';
import { prepareImageForOcr } from './ocr-image.js';
import { recognizePage } from './recognize.js';

type Draft = Omit<ExtractionResult, 'needsReview' | 'timings'>;

/**
 * Reads an invoice or receipt image with OCR and the same label search as text PDFs. `timings`
 * gets the first OCR pass (`ocrMs`) and, when they ran, the letterhead's second look (`letterheadMs`)
 * and the issuer line's third (`issuerLineMs`).
 */
export async function extractFromImage(
  bytes: Uint8Array,
  useOcr: boolean,
  useQr: boolean,
  timings: Record<string, number> = {},
): Promise<Draft> {
  checkImageSize(bytes);
  const prepared = useOcr || useQr ? prepareImageForOcr(bytes) : bytes;
  let started = performance.now();
  const words = useOcr ? await recognizePage(prepared, 1) : [];
  timings.ocrMs = Math.round(performance.now() - started);
  started = performance.now();
  const letterheadWords = words.length ? await rereadLetterhead(prepared, words) : null;
  if (letterheadWords) timings.letterheadMs = Math.round(performance.now() - started);
  started = performance.now();
  const issuerLineWords = words.length ? await rereadIssuerLines(prepared, words, letterheadWords) : null;
  if (issuerLineWords) timings.issuerLineMs = Math.round(performance.now() - started);
  const code = useQr ? await scanImageForPaymentCode(prepared) : null;
  const draft: Draft = {
    // The title the photo prints ("TAX INVOICE", "Rechnung", "Gutschrift"), as a scanned PDF's.
    documentType: documentTypeFromWords(words),
    format: 'image',
    fields: extractTextFields(words, 'ocr', { letterheadWords, issuerLineWords }),
    vatBreakdown: [],
    lines: [],
    findings: [],
    textLayer: toTextLayer(words, 'px'),
  };
  if (code) draft.findings.push(...mergePaymentCode(draft.fields, code, 1));
  const noBreakdown = missingBreakdownFinding(draft.fields);
  if (noBreakdown) draft.findings.push(noBreakdown);
  if (!useOcr)
    draft.findings.push({
      code: 'ocr_disabled',
      severity: 'warning',
      message: 'OCR is disabled; the image was not read',
    });
  else if (words.length === 0)
    draft.findings.push({ code: 'no_text', severity: 'error', message: 'OCR found no text in the image' });
  return draft;
}
