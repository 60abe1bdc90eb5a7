/**
 * "Is the truth printed on the document?" for the extraction benchmark. A value the document does
 * not show (XML truth often carries a legal id, a buyer VAT ID or an IBAN the page leaves out, and
 * some visual-only copies print another invoice than their XML) cannot be read by any engine, so
 * the benchmark reports it apart instead of counting it as a miss.
 *
 * The rule, the same for every kind: the normalised truth value occurs in the document's text.
 * The text is the PDF text layer (mupdf, all pages read; a page without one is OCRed as the engine
 * does), the OCR text of an image (the engine's first OCR pass: an OCR misread therefore counts as
 * "not printed" for images, which is why the image rows are also reported over all documents), or
 * the file itself for XML. Normalisation: ids, invoice numbers and references upper-case without
 * spaces, dots, dashes and slashes, found inside the text normalised the same way; names lower-case
 * with single spaces; amounts equal to one of the amounts printed in any common notation
 * (1 234,56 / 1.234,56 / 1,234.56). Dates, currency and document type are not checked (always
 * counted as printed): they are printed in too many forms to test by search.
 *
 * One id is two fields in some truths: an XML that repeats the seller's VAT ID as its legal
 * registration id (BT-30 = BT-31) next to a page that prints the VAT ID once, under its VAT label,
 * and a register number ("HRA 12345") as the company id. The page then prints no company id equal
 * to the truth, only the VAT ID; so a company id that is the seller's VAT ID counts as printed only
 * where the number occurs a second time (an XML file carries it in both elements).
 */
import { readPageWords } from '../src/extraction/pdf/page-words.js';
import { openPdf } from '../src/extraction/pdf/open.js';
import { ocrPdfPage, prepareImageForOcr } from '../src/extraction/ocr/ocr-image.js';
import { recognizePage } from '../src/extraction/ocr/recognize.js';
import { detectInputKind } from '../src/extraction/detect.js';
import { parseAmount } from '../src/extraction/fields/amount.js';

export const PRINTED_RULE =
  'printed = the normalised truth occurs in the text layer (PDF), the first-pass OCR text (image, scan) or the file (XML); dates, currency and type always count as printed';

const MAX_PAGES = 10;
const MIN_TEXT_CHARS = 40;

/** The document's text as an engine can see it (see the module comment). */
export async function documentText(bytes: Uint8Array): Promise<string> {
  switch (detectInputKind(bytes)) {
    case 'pdf':
      return pdfText(bytes);
    case 'image':
      return (await recognizePage(prepareImageForOcr(bytes), 1)).map((w) => w.text).join(' ');
    default:
      return new TextDecoder().decode(bytes);
  }
}

async function pdfText(bytes: Uint8Array): Promise<string> {
  const { doc, pageCount } = openPdf(bytes);
  try {
    const parts: string[] = [];
    for (let i = 0; i < Math.min(pageCount, MAX_PAGES); i++) {
      const page = doc.loadPage(i);
      try {
        const text = readPageWords(page, i + 1);
        const words = text.charCount < MIN_TEXT_CHARS ? await ocrPdfPage(doc, i) : text.words;
        parts.push(words.map((w) => w.text).join(' '));
      } finally {
        page.destroy();
      }
    }
    return parts.join('\n');
  } finally {
    doc.destroy();
  }
}

/** The normalised views of one document's text, computed once per document. */
export interface PrintedIndex {
  compact: string;
  spaced: string;
  amounts: Set<string>;
}

const compact = (s: string): string => s.toUpperCase().replace(/[\s./-]/g, '');
const spaced = (s: string): string => s.toLowerCase().replace(/\s+/g, ' ').trim();

function canonical(amount: string): string {
  const [int = '0', frac = ''] = amount.replace(/^-/, '').split('.');
  const f = frac.replace(/0+$/, '');
  return `${int.replace(/^0+(?=\d)/, '')}${f ? `.${f}` : ''}`;
}

export function indexText(text: string): PrintedIndex {
  const amounts = new Set<string>();
  // Amounts may be printed with grouping spaces ("1 234,56"): try each token and each pair.
  const tokens = text.split(/\s+/).map((t) => t.replace(/^[^\d(-]+|[^\d)]+$/g, ''));
  tokens.forEach((token, i) => {
    for (const candidate of [token, `${token}${tokens[i + 1] ?? ''}`]) {
      const value = candidate && parseAmount(candidate);
      if (value) amounts.add(canonical(value));
    }
  });
  return { compact: compact(text), spaced: spaced(text), amounts };
}

const AMOUNT_FIELDS = new Set(['totals.net', 'totals.tax', 'totals.gross', 'totals.due']);
const NAME_FIELDS = new Set(['seller.name', 'buyer.name']);
const ID_FIELDS = new Set([
  'invoiceNumber',
  'seller.vatId',
  'seller.companyId',
  'buyer.vatId',
  'payment.iban',
  'payment.reference',
]);

/** The truth values of the same document that `isPrinted` needs besides the field's own. */
export interface PrintedContext {
  readonly sellerVatId?: string | undefined;
}

/** Whether the truth of `field` is printed by the rule above. */
export function isPrinted(
  field: string,
  truth: string,
  index: PrintedIndex,
  context: PrintedContext = {},
): boolean {
  if (AMOUNT_FIELDS.has(field)) return index.amounts.has(canonical(truth.trim()));
  if (NAME_FIELDS.has(field)) return index.spaced.includes(spaced(truth));
  if (!ID_FIELDS.has(field)) return true;
  const id = compact(truth);
  if (field === 'seller.companyId' && context.sellerVatId && compact(context.sellerVatId) === id)
    return occurrences(index.compact, id) >= 2;
  return index.compact.includes(id);
}

function occurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}
