/**
 * The letterhead's third look (text/issuer-line.ts) on synthetic OCR word boxes: which strips are
 * read again, how their words replace doubtful ones, and when a name wrapped over two centred
 * lines is joined.
 */
import { describe, expect, it } from 'vitest';
import { applyIssuerLineReading, issuerLineStrips } from '../../../src/extraction/text/issuer-line.js';
import { readLetterheadIssuer } from '../../../src/extraction/text/letterhead-reread.js';
import { extractTextFields } from '../../../src/extraction/text/text-fields.js';
import { buildCells, buildRows, type Word } from '../../../src/extraction/text/words.js';
import { wordsOf } from './fixtures/word-layout.js';

function ocr(lines: Array<[number, number, string]>, overrides: Record<string, number> = {}): Word[] {
  return wordsOf(lines).map((w) => ({ ...w, confidence: overrides[w.text] ?? 95 }));
}

const BODY: Array<[number, number, string]> = [
  [70, 44, '(Co. No. 113825-W)'],
  [60, 58, 'No 8, Jalan 7/118B, Desa Tun Razak'],
  [60, 100, 'TAX INVOICE'],
  [60, 140, 'TOTAL 7.30'],
];

/** The first pass: the name's first line lost a word, its second line starts with a misread "Co.". */
const FIRST_PASS = ocr([[100, 14, 'BOOK'], [80, 28, 'CoO. (M) SDN BHD'], ...BODY], { 'CoO.': 50, BOOK: 92 });
const issuerOf = (words: Word[]) => readLetterheadIssuer(buildCells(buildRows(words)), words, null);

describe("the issuer's line read again as a strip", () => {
  it('reads the line and the one above only while a word of the issuer is doubtful', () => {
    const doubtful = issuerOf(FIRST_PASS)!;
    expect(doubtful.value).toBe('CoO. (M) SDN BHD');
    expect(issuerLineStrips(doubtful)).toEqual([
      { y0: 24.5, y1: 41.5 },
      { y0: 12, y1: 27 },
    ]);
    const sure = issuerOf(ocr([[80, 28, 'CONTOH MAJU SDN BHD'], ...BODY]));
    expect(issuerLineStrips(sure)).toEqual([]);
    expect(issuerLineStrips(null)).toEqual([]);
  });

  it('takes the surer reading of a word in the same place and joins the wrapped first line, box and all', () => {
    const strips = ocr(
      [
        [70, 14, 'POPULAR BOOK'],
        [80, 28, 'CO. SDN BHD'],
      ],
      { POPULAR: 42, 'CO.': 92 },
    );
    const joined = applyIssuerLineReading(issuerOf(FIRST_PASS)!, strips);
    expect(joined.value).toBe('POPULAR BOOK CO. (M) SDN BHD');
    expect([joined.cell.x0, joined.cell.y0, joined.cell.y1]).toEqual([70, 14, 38]);
    const seller = extractTextFields(FIRST_PASS, 'ocr', { issuerLineWords: strips })['seller.name'];
    expect(seller?.value).toBe('POPULAR BOOK CO. (M) SDN BHD');
    expect(seller?.bbox?.slice(0, 2)).toEqual([70, 14]);
  });

  it('keeps a word the strip read less surely, and the legal form the first pass had', () => {
    const issuer = issuerOf(FIRST_PASS)!;
    const unsure = ocr([[80, 28, 'wo. (M) SDN BHD']], { 'wo.': 31 });
    expect(applyIssuerLineReading(issuer, unsure).value).toBe('CoO. (M) SDN BHD');
    const lostForm = ocr([[80, 28, 'CO. (M) SDN 8HD']], { 'CO.': 92, '8HD': 99 });
    expect(applyIssuerLineReading(issuer, lostForm).value).toBe('CoO. (M) SDN BHD');
  });

  it('does not join a line above that is not a name, or to a line that does not continue one', () => {
    const issuer = issuerOf(FIRST_PASS)!;
    const address = ocr(
      [
        [70, 14, 'LOT 485 JALAN'],
        [80, 28, 'CO. (M) SDN BHD'],
      ],
      { 'CO.': 92 },
    );
    expect(applyIssuerLineReading(issuer, address).value).toBe('CO. (M) SDN BHD');
    const whole = issuerOf(ocr([[80, 28, 'CONTOH MAJU SDN BHD'], ...BODY], { CONTOH: 60 }))!;
    const above = ocr([
      [70, 14, 'OLD TOWN WHITE COFFEE'],
      [80, 28, 'CONTOH MAJU SDN BHD'],
    ]);
    expect(applyIssuerLineReading(whole, above).value).toBe('CONTOH MAJU SDN BHD');
  });
});
