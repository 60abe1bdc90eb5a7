import * as mupdf from 'mupdf';
import type { Word } from '../text/words.js';
import { decodeQrTexts } from './decode.js';
import { parsePaymentCode, type PaymentCode } from './payment-codes.js';

/** QR modules need ~3 px each; 150 dpi resolves codes printed at 2 cm and larger. */
const QR_DPI = 150;

/** Words that announce a payment QR code on the page. */
const QR_HINT = /\b(?:QR|SPAYD|GiroCode|Zahlteil|Empfangsschein|Scan\b|platba|zaplať|zapłać)/i;

async function firstPaymentCode(png: Uint8Array): Promise<PaymentCode | null> {
  for (const text of await decodeQrTexts(png)) {
    const code = parsePaymentCode(text);
    if (code) return code;
  }
  return null;
}

/** Payment QR code in an image file. */
export async function scanImageForPaymentCode(bytes: Uint8Array): Promise<PaymentCode | null> {
  return firstPaymentCode(bytes);
}

/**
 * Payment QR code on a PDF page. Rendering costs more than reading the text layer, so text pages
 * are rendered only when they carry an image or a QR hint; scanned pages always are.
 */
export async function scanPdfPageForPaymentCode(
  page: mupdf.Page,
  words: Word[],
  hasImages: boolean,
): Promise<PaymentCode | null> {
  const hinted = words.some((w) => QR_HINT.test(w.text));
  if (!hinted && !hasImages) return null;
  const pixmap = page.toPixmap(
    mupdf.Matrix.scale(QR_DPI / 72, QR_DPI / 72),
    mupdf.ColorSpace.DeviceGray,
    false,
    false,
  );
  try {
    return await firstPaymentCode(pixmap.asPNG().slice());
  } finally {
    pixmap.destroy();
  }
}
