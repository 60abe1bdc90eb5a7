/**
 * "The same limits for every archive or compressed stream we open" (issue 13): the XML attachments
 * of a PDF are decoded by the engine itself within the archive limits, not by mupdf in full first.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { disposeExtraction, extractInvoice } from '../../../src/extraction/index.js';
import { hybridPdfBytes } from './fixtures/pdf-fixtures.js';
import { ciiXml } from './fixtures/xml-fixtures.js';

afterAll(disposeExtraction);

const MiB = 1024 * 1024;

describe('PDF attachment limits', () => {
  it('does not read an embedded XML attachment that inflates more than 200 times, and says so', async () => {
    const padded = ciiXml() + ' '.repeat(5 * MiB);
    const r = await extractInvoice({ bytes: await hybridPdfBytes(padded) }, { ocr: false, qr: false });
    expect(r.format).toBe('pdf-text');
    expect(r.findings.map((f) => f.code)).toContain('embedded_xml_unread');
    expect(r.needsReview).toBe(true);
  });

  it('still reads an ordinary compressed Factur-X attachment', async () => {
    const r = await extractInvoice({ bytes: await hybridPdfBytes(ciiXml()) }, { ocr: false, qr: false });
    expect(r.format).toBe('facturx-pdf');
    expect(r.fields['totals.gross']?.value).toBe('1210.00');
  });
});
