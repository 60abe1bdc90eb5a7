/** The pure parts of duplicate detection: the invoice key and the same-supplier decision. */
import { describe, expect, it } from 'vitest';
import { isSameSupplier, supplierIdentity, type ExtractionResult } from '../../../src/extraction/model.js';
import { invoiceKey, withDuplicateFinding } from '../../../src/modules/extractions/extractions.duplicates.js';

const field = (value: string) => ({ value, confidence: 0.95, source: 'text' as const });

function result(fields: Record<string, string>): ExtractionResult {
  return {
    documentType: 'invoice',
    format: 'pdf-text',
    fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, field(v)])),
    vatBreakdown: [],
    lines: [],
    findings: [],
    needsReview: false,
    timings: { totalMs: 1 },
  };
}

describe('invoiceKey', () => {
  it('is one key for one number and total however they are written', () => {
    const a = invoiceKey(result({ invoiceNumber: 'FV-2024/001', 'totals.gross': '1210.00' }));
    expect(a).toBe('FV2024001|1210');
    expect(invoiceKey(result({ invoiceNumber: 'fv 2024 001', 'totals.gross': '1210' }))).toBe(a);
    expect(invoiceKey(result({ invoiceNumber: 'FV2024001', 'totals.gross': '01210.0' }))).toBe(a);
  });

  it('keeps totals that differ apart, and the sign of a credit note', () => {
    expect(invoiceKey(result({ invoiceNumber: '7', 'totals.gross': '1210.01' }))).toBe('7|1210.01');
    expect(invoiceKey(result({ invoiceNumber: '7', 'totals.gross': '-0.50' }))).toBe('7|-0.5');
    expect(invoiceKey(result({ invoiceNumber: '7', 'totals.gross': '-0.00' }))).toBe('7|0');
  });

  it('is null without a number or a total: such a document is never matched', () => {
    expect(invoiceKey(result({ 'totals.gross': '10.00' }))).toBeNull();
    expect(invoiceKey(result({ invoiceNumber: '7' }))).toBeNull();
    expect(invoiceKey(result({ invoiceNumber: '--', 'totals.gross': '10.00' }))).toBeNull();
  });
});

describe('isSameSupplier', () => {
  const id = (fields: Record<string, string>) => supplierIdentity(result(fields).fields);

  it('decides by the strongest identity both documents state', () => {
    const withVat = id({ 'seller.vatId': 'DE 136 695 976', 'seller.name': 'Muster GmbH' });
    expect(isSameSupplier(withVat, id({ 'seller.vatId': 'DE136695976' }))).toBe(true);
    // Same name, other VAT ID: two companies.
    expect(isSameSupplier(withVat, id({ 'seller.vatId': 'DE811569869', 'seller.name': 'Muster GmbH' }))).toBe(
      false,
    );
    // Only the name in common (a scan without a readable VAT ID): a close name is the supplier.
    expect(isSameSupplier(withVat, id({ 'seller.name': 'MUSTER G.m.b.H.' }))).toBe(true);
    expect(isSameSupplier(withVat, id({ 'seller.name': 'Andere Handel AG' }))).toBe(false);
    expect(
      isSameSupplier(
        id({ 'payment.iban': 'DE02 1203 0000 0000 2020 51' }),
        id({ 'payment.iban': 'DE02120300000000202051' }),
      ),
    ).toBe(true);
  });

  it('is false when the documents share no identity at all', () => {
    expect(
      isSameSupplier(id({ 'seller.vatId': 'DE136695976' }), id({ 'payment.iban': 'DE02120300000000202051' })),
    ).toBe(false);
    expect(isSameSupplier(id({}), id({}))).toBe(false);
  });
});

describe('withDuplicateFinding', () => {
  it('adds one error finding that sends the document to review, and drops it when no longer a duplicate', () => {
    const base = result({
      invoiceNumber: '7',
      issueDate: '2024-03-14',
      'totals.gross': '1.00',
      currency: 'EUR',
      'seller.name': 'X',
    });
    const flagged = withDuplicateFinding(withDuplicateFinding(base, 'a'), 'b');
    expect(flagged.findings.filter((f) => f.code === 'duplicate_invoice')).toEqual([
      expect.objectContaining({ severity: 'error', field: 'invoiceNumber' }),
    ]);
    expect(flagged.findings[0]!.message).toContain('b');
    expect(flagged.needsReview).toBe(true);
    const cleared = withDuplicateFinding(flagged, null);
    expect(cleared.findings).toEqual([]);
    expect(cleared.needsReview).toBe(false);
  });
});
