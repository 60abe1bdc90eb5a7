/**
 * A receipt photo end to end: rendered from a real layout (centred letterhead in larger bold type,
 * registration number, address, items, total, cash and change), rasterised like a phone picture and
 * read through OCR. The seller must come back with its box on the page, in image pixels.
 */
import * as mupdf from 'mupdf';
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeExtraction, extractInvoice } from '../../../src/extraction/index.js';

afterAll(disposeExtraction);

const WIDTH_PT = 230;
const HEIGHT_PT = 420;
const DPI = 220;

async function receiptPng(): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const page = pdf.addPage([WIDTH_PT, HEIGHT_PT]);
  // Thermal paper is never white on a photo.
  page.drawRectangle({ x: 0, y: 0, width: WIDTH_PT, height: HEIGHT_PT, color: rgb(0.93, 0.92, 0.89) });
  const font = await pdf.embedFont(StandardFonts.Courier);
  const bold = await pdf.embedFont(StandardFonts.CourierBold);
  const centred = (text: string, y: number, size: number, f = font): void =>
    page.drawText(text, { x: (WIDTH_PT - f.widthOfTextAtSize(text, size)) / 2, y, size, font: f });
  const row = (left: string, right: string, y: number): void => {
    page.drawText(left, { x: 14, y, size: 8, font });
    page.drawText(right, { x: WIDTH_PT - 14 - font.widthOfTextAtSize(right, 8), y, size: 8, font });
  };
  centred('KEDAI BUKU CAHAYA', 392, 12, bold);
  centred('(123456-K)', 376, 8);
  centred('NO. 5, JALAN MAWAR 2,', 364, 8);
  centred('43000 KAJANG, SELANGOR', 352, 8);
  centred('TEL: 03-8723 8214', 340, 8);
  centred('TAX INVOICE', 316, 9, bold);
  row('DATE: 14/03/2024', '10:42', 300);
  row('PEN BLUE 2X', '3.00', 276);
  row('NOTEBOOK A5', '6.50', 264);
  row('TOTAL', '9.50', 240);
  row('CASH', '20.00', 228);
  row('CHANGE', '10.50', 216);
  centred('THANK YOU', 190, 8);
  const doc = mupdf.Document.openDocument(await pdf.save(), 'application/pdf');
  const pixmap = doc
    .loadPage(0)
    .toPixmap(mupdf.Matrix.scale(DPI / 72, DPI / 72), mupdf.ColorSpace.DeviceRGB, false);
  return pixmap.asPNG().slice();
}

describe('receipt photo', () => {
  it('names the seller from the letterhead, with its box on the page', { timeout: 60_000 }, async () => {
    const r = await extractInvoice({ bytes: await receiptPng(), filename: 'receipt.png' });
    expect(r.format).toBe('image');
    // It is titled "TAX INVOICE", and a photo's title counts as a scan's does.
    expect(r.documentType).toBe('invoice');
    expect(r.fields['totals.gross']?.value).toBe('9.50');
    const seller = r.fields['seller.name'];
    expect(seller).toMatchObject({ value: 'KEDAI BUKU CAHAYA', source: 'ocr', page: 1 });
    // The letterhead is drawn 392 pt up a 420 pt page, centred: its box in pixels must be there.
    const px = DPI / 72;
    const [x0, y0, x1, y1] = seller!.bbox!;
    expect(y0).toBeGreaterThan((HEIGHT_PT - 392 - 14) * px);
    expect(y1).toBeLessThan((HEIGHT_PT - 392 + 6) * px);
    expect(x0).toBeGreaterThan(20 * px);
    expect(x1).toBeLessThan((WIDTH_PT - 20) * px);
    expect(x1 - x0).toBeGreaterThan(100 * px);
    // An unlabelled letterhead is a good reading, not a certain one.
    expect(seller!.confidence).toBeGreaterThan(0.3);
    expect(seller!.confidence).toBeLessThan(0.82);
    // Nothing but the total is printed: net and tax stay empty, and the result says why.
    expect(r.fields['totals.net']).toBeUndefined();
    expect(r.findings).toContainEqual(
      expect.objectContaining({ code: 'vat_breakdown_missing', severity: 'info' }),
    );
  });
});
