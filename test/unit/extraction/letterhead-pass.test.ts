/**
 * The letterhead's second OCR pass (ocr/letterhead-pass.ts) on a real rendered receipt: the band is
 * rendered enlarged and read by tesseract, and its words come back in the page's own pixels.
 */
import * as mupdf from 'mupdf';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeExtraction } from '../../../src/extraction/index.js';
import { rereadLetterhead } from '../../../src/extraction/ocr/letterhead-pass.js';
import { recognizePage } from '../../../src/extraction/ocr/recognize.js';

afterAll(disposeExtraction);

const WIDTH_PT = 230;
const HEIGHT_PT = 300;
const DPI = 150;
const PX = DPI / 72;

async function receiptPng(): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const page = pdf.addPage([WIDTH_PT, HEIGHT_PT]);
  const font = await pdf.embedFont(StandardFonts.Courier);
  const bold = await pdf.embedFont(StandardFonts.CourierBold);
  const centred = (text: string, y: number, size: number, f = font): void =>
    page.drawText(text, { x: (WIDTH_PT - f.widthOfTextAtSize(text, size)) / 2, y, size, font: f });
  centred('KEDAI BUKU CAHAYA', 272, 12, bold);
  centred('(123456-K)', 256, 8);
  centred('NO. 5, JALAN MAWAR 2,', 244, 8);
  centred('TAX INVOICE', 220, 9, bold);
  page.drawText('TOTAL 9.50', { x: 14, y: 150, size: 8, font });
  const doc = mupdf.Document.openDocument(await pdf.save(), 'application/pdf');
  return doc
    .loadPage(0)
    .toPixmap(mupdf.Matrix.scale(PX, PX), mupdf.ColorSpace.DeviceGray, false)
    .asPNG()
    .slice();
}

describe('letterhead second pass', () => {
  it(
    're-reads the top band when the first pass lost the issuer, in page pixels',
    { timeout: 60_000 },
    async () => {
      const png = await receiptPng();
      const all = await recognizePage(png, 1);
      const name = all.filter((w) => ['KEDAI', 'BUKU', 'CAHAYA'].includes(w.text));
      expect(name).toHaveLength(3);
      // A clearly read letterhead needs no second look.
      expect(await rereadLetterhead(png, all)).toBeNull();
      // The first pass as it goes wrong on a photo: the name line missing.
      const band = await rereadLetterhead(
        png,
        all.filter((w) => !name.includes(w)),
      );
      expect(band).not.toBeNull();
      const reread = band!.filter((w) => ['KEDAI', 'BUKU', 'CAHAYA'].includes(w.text));
      expect(reread.map((w) => w.text)).toEqual(['KEDAI', 'BUKU', 'CAHAYA']);
      // Same place as the first pass saw it, within a few pixels, although read at twice the scale.
      for (const [i, w] of reread.entries()) {
        expect(Math.abs(w.x0 - name[i]!.x0)).toBeLessThan(4);
        expect(Math.abs(w.y0 - name[i]!.y0)).toBeLessThan(4);
        expect(w.confidence).toBeGreaterThan(50);
      }
      // Only the band was read: nothing from below the title ("TOTAL 9.50" sits at 150 pt).
      expect(band!.some((w) => w.text === 'TOTAL')).toBe(false);
      expect(Math.max(...band!.map((w) => w.y1))).toBeLessThan((HEIGHT_PT - 150) * PX);
    },
  );
});
