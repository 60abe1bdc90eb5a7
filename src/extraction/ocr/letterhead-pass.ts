import * as mupdf from 'mupdf';
import { closesLetterhead, letterheadIssuer } from '../text/issuer-block.js';
import { letterheadBand, needsLetterheadReread } from '../text/letterhead-reread.js';
import { buildCells, buildRows, type Word } from '../text/words.js';
import { checkImageSize } from './image-size.js';
import { languagesOf } from './recognize.js';
import { recognizeWords } from './tesseract.js';

/**
 * The letterhead's second OCR pass: the top band of the page enlarged, read again. Twice the scale
 * is where the bold or stylised issuer lines that the first pass dropped or misread come out right
 * most often; the band's pixels are capped so the pass costs a fraction of the page's.
 */
const SCALE = 2;
const MAX_BAND_PIXELS = 4_000_000;

/**
 * Re-reads the top band of an image (PNG or JPEG, as prepared for OCR) when the first pass's words
 * show no confident issuer; returns the band's words in the page's pixel coordinates, or null
 * when no second look is needed.
 */
export async function rereadLetterhead(image: Uint8Array, words: Word[]): Promise<Word[] | null> {
  const cells = buildCells(buildRows(words));
  if (!needsLetterheadReread(letterheadIssuer(cells))) return null;
  const { width, height } = checkImageSize(image);
  const bottom = letterheadBand(cells, height, closesLetterhead);
  const scale = Math.min(SCALE, Math.sqrt(MAX_BAND_PIXELS / Math.max(1, width * bottom)));
  const band = renderBand(image, width, bottom, scale);
  const read = await recognizeWords(band, 1, languagesOf(words));
  return read.map((w) => ({ ...w, x0: w.x0 / scale, y0: w.y0 / scale, x1: w.x1 / scale, y1: w.y1 / scale }));
}

/** The top `bottom` pixels of the image at `scale`, greyscale PNG, drawn by mupdf. */
function renderBand(image: Uint8Array, width: number, bottom: number, scale: number): Uint8Array {
  const doc = mupdf.Document.openDocument(image, image[0] === 0x89 ? 'image/png' : 'image/jpeg');
  try {
    const page = doc.loadPage(0);
    const [x0, , x1] = page.getBounds();
    const toPixels = (width / (x1 - x0)) * scale;
    const pixmap = new mupdf.Pixmap(
      mupdf.ColorSpace.DeviceGray,
      [0, 0, Math.round(width * scale), Math.round(bottom * scale)],
      false,
    );
    try {
      pixmap.clear(255);
      const device = new mupdf.DrawDevice(mupdf.Matrix.identity, pixmap);
      page.run(device, mupdf.Matrix.scale(toPixels, toPixels));
      device.close();
      device.destroy();
      page.destroy();
      return pixmap.asPNG().slice();
    } finally {
      pixmap.destroy();
    }
  } finally {
    doc.destroy();
  }
}
