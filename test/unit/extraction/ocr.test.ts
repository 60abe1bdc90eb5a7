import { afterAll, describe, expect, it } from 'vitest';
import { disposeExtraction, extractInvoice, ExtractionError } from '../../../src/extraction/index.js';
import { SAMPLE } from './fixtures/invoice-model.js';
import { germanLayout, scannedPdfBytes, textInvoicePdfBytes } from './fixtures/pdf-fixtures.js';

afterAll(disposeExtraction);

describe('OCR', () => {
  it('reads a scanned invoice page (image-only PDF) with bounded time', { timeout: 60_000 }, async () => {
    const { pdf } = await scannedPdfBytes(await textInvoicePdfBytes(germanLayout()), 200);
    const r = await extractInvoice({ bytes: pdf });
    expect(r.format).toBe('pdf-scan');
    expect(r.fields['totals.gross']).toMatchObject({ value: '1210.00', source: 'ocr' });
    expect(r.fields.issueDate?.value).toBe('2024-03-14');
    expect(r.fields['seller.vatId']?.value).toBe(SAMPLE.seller.vatId);
  });

  it('refuses an image whose header declares more pixels than the cap, before decoding', async () => {
    const png = new Uint8Array(33);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    new DataView(png.buffer).setUint32(16, 100_000);
    new DataView(png.buffer).setUint32(20, 100_000);
    await expect(extractInvoice({ bytes: png })).rejects.toSatisfy(
      (e: unknown) => e instanceof ExtractionError && e.code === 'image_too_large',
    );
  });
});
