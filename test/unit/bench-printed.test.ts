/**
 * The extraction benchmark's "printed" rule (bench/printed.ts): a truth value counts as printed
 * when its normalised form occurs in the document's text, so a field the page never shows is
 * reported apart instead of as a miss.
 */
import { describe, expect, it } from 'vitest';
import { indexText, isPrinted } from '../../bench/printed.js';

const page = indexText(
  [
    'Bei Spiel GmbH ● Ecke 12 ● 12345 Stadthausen',
    'VAT-ID: DE 136 695 976   Steuernummer 11/222/33333',
    'IBAN DE88 2008 0000 0970 3757 00',
    'Invoice # RE-2019/507',
    'Net total: 1.234,50 €   VAT total 75.04   Due payable: 1 309,54 EUR',
  ].join('\n'),
);

describe('the benchmark counts a truth value as printed only when the text shows it', () => {
  it('finds ids and references whatever their spacing, dots, dashes and slashes', () => {
    expect(isPrinted('seller.vatId', 'DE136695976', page)).toBe(true);
    expect(isPrinted('seller.companyId', '11/222/33333', page)).toBe(true);
    expect(isPrinted('payment.iban', 'DE88200800000970375700', page)).toBe(true);
    expect(isPrinted('invoiceNumber', 'RE-2019/507', page)).toBe(true);
    expect(isPrinted('seller.companyId', '99999999800010', page)).toBe(false);
    expect(isPrinted('buyer.vatId', 'DE999999999', page)).toBe(false);
  });

  it('finds names case- and space-insensitively, but not a name the page does not carry', () => {
    expect(isPrinted('seller.name', 'BEI  SPIEL gmbh', page)).toBe(true);
    expect(isPrinted('buyer.name', 'Kunden AG Mitte', page)).toBe(false);
  });

  it('finds amounts in any common notation, grouped with dots or spaces, and only those printed', () => {
    expect(isPrinted('totals.net', '1234.5', page)).toBe(true);
    expect(isPrinted('totals.tax', '75.04', page)).toBe(true);
    expect(isPrinted('totals.due', '1309.54', page)).toBe(true);
    expect(isPrinted('totals.gross', '1309.55', page)).toBe(false);
  });

  it('counts a company id that is the seller VAT ID as printed only where the number occurs twice', () => {
    // The page prints DE 136 695 976 once, as the VAT ID; its company id is a register number.
    const context = { sellerVatId: 'DE136695976' };
    expect(isPrinted('seller.companyId', 'DE136695976', page, context)).toBe(false);
    expect(isPrinted('seller.vatId', 'DE136695976', page, context)).toBe(true);
    // An XML file carries the same number in both elements (BT-30 and BT-31).
    const xml = indexText('<ID>DE136695976</ID> <CompanyID>DE136695976</CompanyID>');
    expect(isPrinted('seller.companyId', 'DE136695976', xml, context)).toBe(true);
    // A company id that differs from the VAT ID is searched as before.
    expect(isPrinted('seller.companyId', '11/222/33333', page, context)).toBe(true);
  });

  it('does not check dates, currency or the document type (printed in too many forms)', () => {
    expect(isPrinted('issueDate', '2030-01-01', page)).toBe(true);
    expect(isPrinted('currency', 'CHF', page)).toBe(true);
  });
});
