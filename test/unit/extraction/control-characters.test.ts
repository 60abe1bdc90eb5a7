import { describe, expect, it } from 'vitest';
import { extractInvoice, ExtractionError } from '../../../src/extraction/index.js';
import { finalizeResult } from '../../../src/extraction/finalize.js';
import { SAMPLE } from './fixtures/invoice-model.js';
import { bytes, ciiXml, isdocXml, ublXml } from './fixtures/xml-fixtures.js';

describe('control characters in documents', () => {
  it.each([
    ['UBL', ublXml({ ...SAMPLE, number: 'N-1' })],
    ['CII', ciiXml({ ...SAMPLE, number: 'N-1' })],
    ['ISDOC', isdocXml({ ...SAMPLE, number: 'N-1' })],
  ])('refuses %s with a NUL byte in its text as invalid_xml, never reaching the database', async (_, xml) => {
    for (const bad of ['\u0000', '\u0001', '\uffff']) {
      await expect(extractInvoice({ bytes: bytes(xml.replace('N-1', `N${bad}-1`)) })).rejects.toSatisfy(
        (e: unknown) =>
          e instanceof ExtractionError && e.code === 'invalid_xml' && /line \d+/.test(e.message),
      );
    }
  });

  it('returns results without NUL, other control characters or unpaired surrogates, whatever the source produced', () => {
    const result = finalizeResult(
      {
        documentType: 'invoice',
        format: 'pdf-text',
        fields: {
          invoiceNumber: { value: 'A\u0000B\u0007C', confidence: 0.9, source: 'text' },
          'seller.name': { value: 'Firma\ud800 s.r.o.\tPraha', confidence: 0.9, source: 'text' },
        },
        vatBreakdown: [],
        lines: [{ description: 'x\u0000y' } as never],
        findings: [{ code: 'c', severity: 'info', message: 'm\u0000' }],
      },
      { totalMs: 1 },
    );
    const json = JSON.stringify(result);
    expect(json).not.toMatch(/\\u000[0-8]|\\u00(0[bcef]|1[0-9a-f])|\\ud[89ab]/i);
    expect(result.fields.invoiceNumber?.value).toBe('ABC');
    expect(result.fields['seller.name']?.value).toBe('Firma\ufffd s.r.o.\tPraha');
  });
});
