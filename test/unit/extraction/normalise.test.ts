import { describe, expect, it } from 'vitest';
import { fromMinorUnits, parseAmount, toMinorUnits } from '../../../src/extraction/fields/amount.js';
import { parseDate } from '../../../src/extraction/fields/date.js';
import { normaliseId } from '../../../src/extraction/fields/ids.js';

describe('parseAmount', () => {
  it.each([
    ['1 234,56', '1234.56'],
    ['1.234,56', '1234.56'],
    ['1,234.56', '1234.56'],
    ["1'234.56", '1234.56'],
    ['1 234,56 Kč', '1234.56'],
    ['EUR 1,210.00', '1210.00'],
    ['1.210,00 €', '1210.00'],
    ['-12,50', '-12.50'],
    ['12,50-', '-12.50'],
    ['(12.50)', '-12.50'],
    ['1.234', '1234'],
    ['0,125', '0.125'],
    ['336.9', '336.9'],
    ['1\u00a0000,00', '1000.00'],
  ])('reads %s as %s', (raw, expected) => expect(parseAmount(raw)).toBe(expected));

  it.each(['abc', '1,,2', '12.34.5,6,7', ''])('rejects %s', (raw) => expect(parseAmount(raw)).toBeNull());

  it('does arithmetic in integer minor units, never floats', () => {
    expect(toMinorUnits('0.1') + toMinorUnits('0.2')).toBe(toMinorUnits('0.3'));
    expect(fromMinorUnits(toMinorUnits('1210.005'))).toBe('1210.01');
    expect(fromMinorUnits(-5n)).toBe('-0.05');
  });
});

describe('parseDate', () => {
  it.each([
    ['14.03.2024', '2024-03-14'],
    ['14. 3. 2024', '2024-03-14'],
    ['2024-03-14', '2024-03-14'],
    ['20240314', '2024-03-14'],
    ['14/03/2024', '2024-03-14'],
    ['03/14/2024', '2024-03-14'],
    ['March 14, 2024', '2024-03-14'],
    ['14 March 2024', '2024-03-14'],
    ['14. März 2024', '2024-03-14'],
    ['14. března 2024', '2024-03-14'],
    ['14. marca 2024', '2024-03-14'],
    ['14 marca 2024', '2024-03-14'],
    ['14. märts 2024', '2024-03-14'],
    ['14 mars 2024', '2024-03-14'],
    ['14-Mar-2024', '2024-03-14'],
    ['1. července 2024', '2024-07-01'],
    ['1. června 2024', '2024-06-01'],
  ])('reads %s as %s', (raw, expected) => expect(parseDate(raw)).toBe(expected));

  it.each(['31.02.2024', '2024-13-01', 'yesterday'])('rejects impossible or unknown %s', (raw) =>
    expect(parseDate(raw)).toBeNull(),
  );
});

describe('normaliseId', () => {
  it('upper-cases and removes spaces, dots and dashes', () => {
    expect(normaliseId('de88 2008 0000 0970 3757 00')).toBe('DE88200800000970375700');
    expect(normaliseId('DE 123.456-789')).toBe('DE123456789');
  });
});
