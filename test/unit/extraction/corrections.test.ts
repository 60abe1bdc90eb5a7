/**
 * A person's correction records what the document says: every field accepts any value that can be
 * one of its values (normalised, with a warning finding where it is unusual) and refuses only the
 * impossible.
 */
import { describe, expect, it } from 'vitest';
import {
  applyCorrections,
  normaliseFieldValue,
  type ExtractionResult,
} from '../../../src/extraction/model.js';

const result = (): ExtractionResult => ({
  documentType: 'invoice',
  format: 'pdf-text',
  fields: { invoiceNumber: { value: 'R-1', confidence: 0.9, source: 'text' } },
  vatBreakdown: [],
  lines: [],
  findings: [],
  needsReview: true,
  timings: { totalMs: 1 },
});

describe('normaliseFieldValue', () => {
  it.each([
    ['an Indian GSTIN', '29ABCDE1234F1Z5', '29ABCDE1234F1Z5'],
    ['a Malaysian SST number', 'W10-1808-32000025', 'W10180832000025'],
    ['an Australian ABN', '51 824 753 556', '51824753556'],
    ['a US EIN', '12-3456789', '123456789'],
    ['a Polish NIP without prefix', '123-456-32-18', '1234563218'],
  ])('keeps %s as printed, normalised, with a warning about its format', (_, raw, value) => {
    const normalised = normaliseFieldValue('seller.vatId', raw);
    expect(normalised).toEqual({ value, warning: expect.stringContaining('not an EU VAT ID') });
  });

  it('keeps an EU VAT ID without a warning, also one whose checksum validation will flag', () => {
    expect(normaliseFieldValue('seller.vatId', 'de 136 695 976')).toEqual({ value: 'DE136695976' });
    expect(normaliseFieldValue('buyer.vatId', 'CZ12345679')).toEqual({ value: 'CZ12345679' });
  });

  it.each([
    ['seller.vatId', 'n/a'],
    ['seller.vatId', 'ABCDEFG'],
    ['seller.vatId', 'X'.repeat(28) + '123'],
    ['seller.vatId', 'DE 1234 ✓'],
    ['issueDate', '31.02.2024'],
    ['issueDate', 'yesterday'],
    ['totals.gross', 'lots'],
    ['totals.gross', '1..2'],
    ['currency', 'EURO'],
    ['currency', '€€'],
    ['payment.iban', 'DE00 1234'],
    ['payment.iban', 'DE02 1203 0000 0000 2020 5199'],
    ['invoiceNumber', 'x'.repeat(201)],
    ['invoiceNumber', '   '],
  ] as const)('refuses %s = %j: it cannot be a value of the field', (field, raw) => {
    expect(normaliseFieldValue(field, raw)).toEqual({ problem: expect.any(String) });
  });

  it('reads amounts in every printed notation, Indian digit grouping included', () => {
    expect(normaliseFieldValue('totals.gross', '1 210,00')).toEqual({ value: '1210.00' });
    expect(normaliseFieldValue('totals.gross', '₹ 1,23,456.50')).toEqual({ value: '123456.50' });
    expect(normaliseFieldValue('totals.net', '-12.50 EUR')).toEqual({ value: '-12.50' });
  });

  it('keeps an IBAN with a wrong check digit (validation reports it), refuses one of the wrong length', () => {
    expect(normaliseFieldValue('payment.iban', 'DE03 1203 0000 0000 2020 51')).toEqual({
      value: 'DE03120300000000202051',
    });
    expect(normaliseFieldValue('payment.iban', 'DE03 1203 0000 0000 2020 5')).toEqual({
      problem: expect.any(String),
    });
  });

  it('accepts every ISO 4217 code and a printed symbol; an unknown three-letter code with a warning', () => {
    expect(normaliseFieldValue('currency', 'thb')).toEqual({ value: 'THB' });
    expect(normaliseFieldValue('currency', '€')).toEqual({ value: 'EUR' });
    expect(normaliseFieldValue('currency', 'XYZ')).toEqual({ value: 'XYZ', warning: expect.any(String) });
  });
});

describe('applyCorrections', () => {
  it('records a non-EU tax id with a warning finding on the field, which a later correction of it removes', () => {
    const first = applyCorrections(result(), { 'seller.vatId': '29ABCDE1234F1Z5' });
    if ('problems' in first) throw new Error('refused');
    expect(first.result.fields['seller.vatId']).toEqual({
      value: '29ABCDE1234F1Z5',
      confidence: 1,
      source: 'user',
    });
    expect(first.result.findings).toEqual([
      expect.objectContaining({
        code: 'corrected_value_unusual_format',
        severity: 'warning',
        field: 'seller.vatId',
      }),
    ]);
    // Correcting another field keeps the warning; correcting the tax id to an EU one drops it.
    const other = applyCorrections(first.result, { invoiceNumber: 'R-2' });
    if ('problems' in other) throw new Error('refused');
    expect(other.result.findings.map((f) => f.code)).toContain('corrected_value_unusual_format');
    const eu = applyCorrections(other.result, { 'seller.vatId': 'DE136695976' });
    if ('problems' in eu) throw new Error('refused');
    expect(eu.result.findings.map((f) => f.code)).not.toContain('corrected_value_unusual_format');
  });

  it('keeps an IBAN with a bad check digit and reports it as an error finding', () => {
    const applied = applyCorrections(result(), { 'payment.iban': 'DE03120300000000202051' });
    if ('problems' in applied) throw new Error('refused');
    expect(applied.result.findings).toContainEqual(
      expect.objectContaining({ code: 'iban_invalid_checksum', severity: 'error', field: 'payment.iban' }),
    );
  });
});
