import * as mupdf from 'mupdf';
import { closesLetterhead, letterheadIssuer } from '../text/issuer-block.js';
import { issuerLineStrips } from '../text/issuer-line.js';
import { letterheadBand, needsLetterheadReread, readLetterheadIssuer } from '../text/letterhead-reread.js';
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
  const band = renderRegion(image, width, 0, bottom, scale);
  const read = await recognizeWords(band, 1, languagesOf(words));
  return read.map((w) => ({ ...w, x0: w.x0 / scale, y0: w.y0 / scale, x1: w.x1 / scale, y1: w.y1 / scale }));
}

/**
 * The letterhead's third look (`text/issuer-line.ts`): when the issuer of the first pass and the
 * band (`band`, null when none was read) still has a doubtful word, its line and the line above
 * are read once more as full-width strips at the image's own scale. Returns their words in the
 * page's pixel coordinates, or null when no strip was needed.
 */
export async function rereadIssuerLines(
  image: Uint8Array,
  words: Word[],
  band: Word[] | null,
): Promise<Word[] | null> {
  const strips = issuerLineStrips(readLetterheadIssuer(buildCells(buildRows(words)), words, band));
  if (strips.length === 0) return null;
  const { width, height } = checkImageSize(image);
  const out: Word[] = [];
  for (const strip of strips) {
    const top = Math.floor(strip.y0);
    const bottom = Math.min(height, Math.ceil(strip.y1));
    if (bottom - top < 4) continue;
    const read = await recognizeWords(renderRegion(image, width, top, bottom, 1), 1, languagesOf(words));
    out.push(...read.map((w) => ({ ...w, y0: w.y0 + top, y1: w.y1 + top })));
  }
  return out;
}

/** The rows `top`..`bottom` of the image at `scale`, greyscale PNG, drawn by mupdf. */
function renderRegion(
  image: Uint8Array,
  width: number,
  top: number,
  bottom: number,
  scale: number,
): Uint8Array {
  const doc = mupdf.Document.openDocument(image, image[0] === 0x89 ? 'image/png' : 'image/jpeg');
  try {
    const page = doc.loadPage(0);
    const [x0, , x1] = page.getBounds();
    const toPixels = (width / (x1 - x0)) * scale;
    const pixmap = new mupdf.Pixmap(
      mupdf.ColorSpace.DeviceGray,
      [0, 0, Math.round(width * scale), Math.round((bottom - top) * scale)],
      false,
    );
    try {
      pixmap.clear(255);
      const device = new mupdf.DrawDevice(mupdf.Matrix.identity, pixmap);
      page.run(
        device,
        mupdf.Matrix.concat(mupdf.Matrix.scale(toPixels, toPixels), mupdf.Matrix.translate(0, -top * scale)),
      );
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
