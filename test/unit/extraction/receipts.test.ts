import { describe, expect, it } from 'vitest';
import { parseDate } from '../../../src/extraction/fields/date.js';
import { parseAmountIn } from '../../../src/extraction/text/parsers.js';
import { extractTextFields } from '../../../src/extraction/text/text-fields.js';
import { wordsOf } from './fixtures/word-layout.js';

const read = (lines: Array<[number, number, string]>): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries(extractTextFields(wordsOf(lines), 'ocr')).map(([k, v]) => [k, v?.value]));

/** A receipt header: shop, address, a timestamp line, then what each test adds below. */
const header = (stamp: string): Array<[number, number, string]> => [
  [60, 20, 'EXAMPLE TRADING SDN BHD'],
  [60, 40, 'NO. 12, JALAN CONTOH 3/4, 43000 KAJANG'],
  [60, 60, 'TEL: 03-8723 8214'],
  [60, 80, stamp],
];

describe('receipt dates', () => {
  it.each([
    ['22-04-16', '2016-04-22'],
    ['05 May 18', '2018-05-05'],
    ['30-092017', '2017-09-30'],
  ])('reads the receipt date %s as %s', (raw, iso) => expect(parseDate(raw)).toBe(iso));

  it('reads the date of a receipt timestamp line when no date label is readable', () => {
    expect(read(header('22-04-16 13:13 SH01 B002')).issueDate).toBe('2016-04-22');
    expect(read(header('Check:24382   05 May 18 18:06:40')).issueDate).toBe('2018-05-05');
  });

  it('reads a date whose second separator OCR dropped after a "Date:" label', () => {
    expect(read([...header('AGENT : A'), [60, 100, 'Inv.020810   Date: 30-092017']]).issueDate).toBe(
      '2017-09-30',
    );
  });

  it('does not take "5 May 18" out of an amount line as a date, nor an item count as one', () => {
    expect(parseAmountIn('Items 3 Pack 10.50')).toBe('10.50');
    expect(parseDate('3 Pack 10')).toBeNull();
  });
});

describe('receipt totals', () => {
  it('derives the total as cash minus change when the total line is unreadable', () => {
    const f = read([
      ...header('13-02-2016 02:29 PM'),
      [60, 200, 'GST TA AMT RM3U. 75'],
      [60, 220, 'CASH'],
      [300, 220, 'RM100.'],
      [345, 220, '00'],
      [60, 240, 'YOUR CHANGE'],
      [300, 240, 'RM3. 80'],
    ]);
    expect(f['totals.gross']).toBe('96.20');
  });

  it('ignores tender lines whose change was misread without decimals', () => {
    const f = read([...header('25/12/2018'), [60, 200, 'Cash'], [300, 200, '30.00'], [60, 220, 'CHANGE 00']]);
    expect(f['totals.gross']).toBeUndefined();
  });

  it('does not take the "Total" row of the GST summary under the receipt total', () => {
    const f = read([
      ...header('23/01/2018'),
      [60, 200, 'TOTAL'],
      [300, 200, '/18.00'],
      [60, 220, 'CASH'],
      [300, 220, '718.00'],
      [60, 260, 'GST SUMMARY'],
      [60, 280, 'TAX CODE'],
      [200, 280, 'AMOUNT'],
      [300, 280, 'TAX'],
      [60, 300, 'SR 6.00'],
      [200, 300, '16.98'],
      [300, 300, '1.02'],
      [60, 320, 'TOTAL:'],
      [200, 320, '16.98'],
      [300, 320, '1.02'],
    ]);
    expect(f['totals.gross']).toBe('18.00');
  });

  it('takes the rounding-adjusted total when that amount is printed again below the rounding row', () => {
    const f = read([
      ...header('17/05/17'),
      [60, 200, 'Total with GST @ 6%'],
      [300, 200, '41.48'],
      [60, 220, 'Rounding'],
      [300, 220, '0.02'],
      [60, 240, 'Total'],
      [200, 240, '41'],
      [260, 240, '50'],
      [60, 260, 'Master 5148 App: 83550'],
      [300, 260, '41.50'],
    ]);
    expect(f['totals.gross']).toBe('41.50');
  });

  it('prefers the amount beside a total label over a bare number inside the label', () => {
    const f = read([
      ...header('06/05/2018'),
      [60, 200, 'Total (Excluding GST):'],
      [300, 200, '2.21'],
      [60, 220, 'Total (Inclusive of GST 6):'],
      [300, 220, '2.40'],
    ]);
    expect(f['totals.gross']).toBe('2.40');
  });
});
