import { afterAll, describe, expect, it } from 'vitest';
import { disposeExtraction, extractInvoice, ExtractionError } from '../../../src/extraction/index.js';
import { SAMPLE } from './fixtures/invoice-model.js';
import {
  englishLayout,
  frenchLayout,
  germanLayout,
  hybridPdfBytes,
  textInvoicePdfBytes,
} from './fixtures/pdf-fixtures.js';
import { ciiXml } from './fixtures/xml-fixtures.js';

afterAll(disposeExtraction);

const value = (
  r: Awaited<ReturnType<typeof extractInvoice>>,
  name: keyof typeof r.fields,
): string | undefined => r.fields[name]?.value;

describe('PDF with embedded e-invoice', () => {
  it('reads the attached Factur-X XML exactly', async () => {
    const r = await extractInvoice({ bytes: await hybridPdfBytes(ciiXml()) });
    expect(r.format).toBe('facturx-pdf');
    expect(value(r, 'totals.gross')).toBe('1210.00');
    expect(r.fields['totals.gross']?.source).toBe('xml');
  });

  it('falls back to the page when the attachment is not an invoice', async () => {
    const r = await extractInvoice(
      { bytes: await hybridPdfBytes('<Order><ID>1</ID></Order>') },
      { ocr: false },
    );
    expect(r.format).toBe('pdf-text');
    expect(r.findings.map((f) => f.code)).toContain('embedded_xml_not_invoice');
  });
});

describe('PDF text layer', () => {
  it('reads a German invoice: labels right of and next to values, € amounts, seller VAT ID', async () => {
    const r = await extractInvoice({ bytes: await textInvoicePdfBytes(germanLayout()) }, { ocr: false });
    expect(r.format).toBe('pdf-text');
    expect(value(r, 'invoiceNumber')).toBe(SAMPLE.number);
    expect(value(r, 'issueDate')).toBe('2024-03-14');
    expect(value(r, 'dueDate')).toBe('2024-03-28');
    expect(value(r, 'currency')).toBe('EUR');
    expect(value(r, 'totals.net')).toBe('1000.00');
    expect(value(r, 'totals.tax')).toBe('210.00');
    expect(value(r, 'totals.gross')).toBe('1210.00');
    expect(value(r, 'seller.vatId')).toBe(SAMPLE.seller.vatId);
    expect(value(r, 'buyer.vatId')).toBe(SAMPLE.buyer.vatId);
    expect(value(r, 'payment.iban')).toBe(SAMPLE.iban);
    expect(r.fields['totals.gross']?.source).toBe('text');
    expect(r.fields['totals.gross']?.page).toBe(1);
    expect(r.fields['totals.gross']?.bbox).toHaveLength(4);
  });

  it('reads an English invoice with month names and 1,234.56 amounts', async () => {
    const r = await extractInvoice({ bytes: await textInvoicePdfBytes(englishLayout()) }, { ocr: false });
    expect(value(r, 'invoiceNumber')).toBe(SAMPLE.number);
    expect(value(r, 'issueDate')).toBe('2024-03-14');
    expect(value(r, 'totals.gross')).toBe('1210.00');
    expect(value(r, 'seller.vatId')).toBe(SAMPLE.seller.vatId);
    expect(value(r, 'buyer.vatId')).toBe('PL5260250274');
  });

  it('reads a French invoice with 1 234,56 amounts and attributes the client VAT ID to the buyer', async () => {
    const r = await extractInvoice({ bytes: await textInvoicePdfBytes(frenchLayout()) }, { ocr: false });
    expect(value(r, 'invoiceNumber')).toBe(SAMPLE.number);
    expect(value(r, 'issueDate')).toBe('2024-03-14');
    expect(value(r, 'totals.gross')).toBe('1210.00');
    expect(value(r, 'seller.vatId')).toBe('FR11999999998');
    expect(value(r, 'buyer.vatId')).toBe('FR90343434346');
  });

  it('reads a text PDF within the speed budget', async () => {
    const pdf = await textInvoicePdfBytes(germanLayout());
    await extractInvoice({ bytes: pdf }, { ocr: false });
    const r = await extractInvoice({ bytes: pdf }, { ocr: false });
    expect(r.timings.totalMs).toBeLessThan(200);
  });
});

describe('broken PDFs', () => {
  it('rejects a truncated PDF as corrupt', async () => {
    const pdf = await textInvoicePdfBytes(germanLayout());
    await expect(extractInvoice({ bytes: pdf.slice(0, 15) })).rejects.toSatisfy(
      (e: unknown) => e instanceof ExtractionError && e.code === 'corrupt_pdf',
    );
  });

  it('flags a PDF without text when OCR is off instead of inventing values', async () => {
    const { PDFDocument } = await import('pdf-lib');
    const empty = await PDFDocument.create();
    empty.addPage();
    const r = await extractInvoice({ bytes: await empty.save() }, { ocr: false });
    expect(r.needsReview).toBe(true);
    expect(r.findings.map((f) => f.code)).toContain('no_text');
  });
});
