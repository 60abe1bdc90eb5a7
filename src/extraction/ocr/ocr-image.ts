import * as mupdf from 'mupdf';
import { ExtractionError } from '../errors.js';
import type { Word } from '../text/words.js';
import type { OcrPage } from '../pdf/extract-pdf.js';
import { checkImageSize, MAX_IMAGE_PIXELS } from './image-size.js';
import { rereadIssuerLines, rereadLetterhead } from './letterhead-pass.js';
import { recognizePage } from './recognize.js';

/**
 * 200 dpi keeps 8-point print legible for the LSTM model at half the pixels of 300 dpi, which
 * halves recognition time on a page.
 */
export const OCR_DPI = 200;

/**
 * Photos and high-resolution scans are reduced to this longest side before recognition: text on
 * receipts and invoices stays far above the ~20 px line height tesseract needs, and recognition
 * time grows with the pixel count.
 */
export const MAX_OCR_SIDE_PX = 2000;

/** Renders a PDF page at ~300 dpi (never above the pixel cap) as PNG bytes. */
export function renderPagePng(doc: mupdf.PDFDocument, pageIndex: number, dpi = OCR_DPI): Uint8Array {
  const page = doc.loadPage(pageIndex);
  try {
    const [x0, y0, x1, y1] = page.getBounds();
    const points = Math.max(1, (x1 - x0) * (y1 - y0));
    const maxScale = Math.sqrt(MAX_IMAGE_PIXELS / points);
    const scale = Math.min(dpi / 72, maxScale);
    const pixmap = page.toPixmap(mupdf.Matrix.scale(scale, scale), mupdf.ColorSpace.DeviceGray, false, false);
    try {
      return pixmap.asPNG().slice();
    } finally {
      pixmap.destroy();
    }
  } finally {
    page.destroy();
  }
}

/** OCR of a PDF page without a text layer. */
export async function ocrPdfPage(doc: mupdf.PDFDocument, pageIndex: number): Promise<Word[]> {
  return recognizePage(renderPagePng(doc, pageIndex), pageIndex + 1);
}

/**
 * OCR of a PDF page without a text layer for extraction: a scanned first page is where the
 * issuer's letterhead is, so it gets the same second look at its top band and third look at the
 * issuer's line as an image, read from the same render (its pixels are the words' coordinates).
 */
export async function ocrPdfPageForExtraction(doc: mupdf.PDFDocument, pageIndex: number): Promise<OcrPage> {
  const png = renderPagePng(doc, pageIndex);
  const words = await recognizePage(png, pageIndex + 1);
  if (pageIndex > 0 || words.length === 0) return { words };
  const letterheadWords = await rereadLetterhead(png, words);
  const issuerLineWords = await rereadIssuerLines(png, words, letterheadWords);
  return { words, letterhead: { letterheadWords, issuerLineWords } };
}

/**
 * The image as recognition should see it: PNG or JPEG no longer than `MAX_OCR_SIDE_PX`. The header
 * is checked against the pixel cap before anything decodes it. The QR scan reads the same bytes,
 * so a large photo is decoded once instead of twice.
 */
export function prepareImageForOcr(bytes: Uint8Array): Uint8Array {
  const size = checkImageSize(bytes);
  if (bytes[0] !== 0x89 && bytes[0] !== 0xff) {
    // Other formats (TIFF, BMP, WebP, GIF) are converted by mupdf, which checks its own reading
    // of the size again after opening.
    return convertWithMupdf(bytes);
  }
  if (Math.max(size.width, size.height) > MAX_OCR_SIDE_PX) return downscale(bytes);
  return bytes;
}

/** Renders a PNG or JPEG at a smaller size (greyscale PNG) through mupdf's image document. */
function downscale(bytes: Uint8Array): Uint8Array {
  const doc = mupdf.Document.openDocument(bytes, bytes[0] === 0x89 ? 'image/png' : 'image/jpeg');
  try {
    const image = new mupdf.Image(bytes);
    const page = doc.loadPage(0);
    const [x0, , x1] = page.getBounds();
    const longest = Math.max(image.getWidth(), image.getHeight());
    const scale = (MAX_OCR_SIDE_PX / longest) * (image.getWidth() / (x1 - x0));
    const pixmap = page.toPixmap(mupdf.Matrix.scale(scale, scale), mupdf.ColorSpace.DeviceGray, false, false);
    page.destroy();
    try {
      return pixmap.asPNG().slice();
    } finally {
      pixmap.destroy();
    }
  } finally {
    doc.destroy();
  }
}

function convertWithMupdf(bytes: Uint8Array): Uint8Array {
  let image: mupdf.Image;
  try {
    image = new mupdf.Image(bytes);
  } catch (error) {
    throw new ExtractionError('corrupt_image', 'the image cannot be decoded', { cause: error });
  }
  if (image.getWidth() * image.getHeight() > MAX_IMAGE_PIXELS) {
    throw new ExtractionError('image_too_large', 'the image exceeds the pixel limit');
  }
  const pixmap = image.toPixmap();
  return pixmap.asPNG().slice();
}
