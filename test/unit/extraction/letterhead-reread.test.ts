/**
 * The letterhead's second look (text/letterhead-reread.ts) and the issuer rules it feeds, on
 * synthetic OCR word boxes with recogniser confidences: when to re-read the top band, how far down,
 * which of two readings to keep, and which OCR confusions the page itself corrects.
 */
import { describe, expect, it } from 'vitest';
import { closesLetterhead, letterheadIssuer } from '../../../src/extraction/text/issuer-block.js';
import {
  chooseLetterheadReading,
  correctFromPage,
  letterheadBand,
  needsLetterheadReread,
} from '../../../src/extraction/text/letterhead-reread.js';
import { extractTextFields } from '../../../src/extraction/text/text-fields.js';
import { buildCells, buildRows, type Word } from '../../../src/extraction/text/words.js';
import { wordsOf } from './fixtures/word-layout.js';

/** OCR words of `[x, y, text]` lines, every word read with `confidence` unless `overrides` says otherwise. */
function ocr(
  lines: Array<[number, number, string]>,
  confidence = 95,
  overrides: Record<string, number> = {},
): Word[] {
  return wordsOf(lines).map((w) => ({ ...w, confidence: overrides[w.text] ?? confidence }));
}

const issuerOf = (words: Word[]) => letterheadIssuer(buildCells(buildRows(words)));

const RECEIPT_BODY: Array<[number, number, string]> = [
  [60, 36, '(001234567-W)'],
  [60, 52, 'NO. 2, JALAN TEMENGGUNG 19/9,'],
  [60, 68, '43200 CHERAS, SELANGOR'],
  [60, 100, 'TAX INVOICE'],
  [60, 140, 'TOTAL 12.50'],
];

describe('when the top band is read again', () => {
  it('re-reads when no issuer was found or a word of it is doubtful, not when it was read clearly', () => {
    expect(needsLetterheadReread(null)).toBe(true);
    const clear = issuerOf(ocr([[80, 20, 'RESTORAN CONTOH MAJU'], ...RECEIPT_BODY]));
    expect(clear?.value).toBe('RESTORAN CONTOH MAJU');
    expect(needsLetterheadReread(clear)).toBe(false);
    const doubtful = issuerOf(ocr([[80, 20, 'RESTORAN CONTOH MAJU'], ...RECEIPT_BODY], 95, { CONTOH: 60 }));
    expect(needsLetterheadReread(doubtful)).toBe(true);
    // A text layer has no recogniser confidence: nothing to doubt, nothing to re-read.
    expect(
      needsLetterheadReread(issuerOf(wordsOf([[80, 20, 'RESTORAN CONTOH MAJU'], ...RECEIPT_BODY]))),
    ).toBe(false);
  });

  it('reads down to just below the first registration line or title, at most a third of the page', () => {
    const cells = buildCells(buildRows(ocr([[60, 20, 'NO. 2, JALAN TEMENGGUNG 19/9,'], ...RECEIPT_BODY])));
    // "(001234567-W)" spans 36..46: two of its line heights below it.
    expect(letterheadBand(cells, 600, closesLetterhead)).toBe(66);
    expect(letterheadBand(cells, 120, closesLetterhead)).toBe(40);
    const noAnchor = buildCells(
      buildRows(
        ocr([
          [60, 20, 'SOME SHOP'],
          [60, 400, 'TOTAL 1.00'],
        ]),
      ),
    );
    expect(letterheadBand(noAnchor, 900, closesLetterhead)).toBe(300);
  });
});

describe('which reading of the letterhead is kept', () => {
  const line = (text: string, overrides: Record<string, number>) =>
    issuerOf(ocr([[80, 20, text], ...RECEIPT_BODY], 95, overrides));

  it('takes the second reading, with less confidence, when the first found nothing', () => {
    const second = line('RESTORAN CONTOH MAJU', {})!;
    const chosen = chooseLetterheadReading(null, second);
    expect(chosen?.value).toBe('RESTORAN CONTOH MAJU');
    expect(chosen!.score).toBeLessThan(second.score);
  });

  it('merges two readings of the same line word by word, the surer reading of each word winning', () => {
    const first = line('YHH CONTOH CITY', { YHH: 75 });
    const second = line('YHM CONTOH CITY', { YHM: 82 });
    const chosen = chooseLetterheadReading(first, second)!;
    expect(chosen.value).toBe('YHM CONTOH CITY');
    expect(chosen.score).toBeLessThan(first!.score);
    // The other way round the first reading stays as it was.
    expect(
      chooseLetterheadReading(line('YHM CONTOH CITY', { YHM: 90 }), line('YHH CONTOH CITY', { YHH: 70 })),
    ).toEqual(line('YHM CONTOH CITY', { YHM: 90 }));
  });

  it('never trades a legal form for a misread one', () => {
    const first = line('HERO CONTOH SDN BHD', { SDN: 40 });
    const second = line('HERO CONTOH 5D BHD', { '5D': 60 });
    expect(chooseLetterheadReading(first, second)?.value).toBe('HERO CONTOH SDN BHD');
  });

  it('takes the longer reading of the same line that has the word the first pass dropped', () => {
    const first = line('BAKERIES (KL) SDN BHD', { BAKERIES: 80 });
    const second = line('GARDENA BAKERIES (KL) SDN BHD', { GARDENA: 70 });
    expect(chooseLetterheadReading(first, second)?.value).toBe('GARDENA BAKERIES (KL) SDN BHD');
  });

  it('keeps a first reading of another line unless that one was mostly doubtful', () => {
    const first = line('SYARIKAT CONTOH GIN KEE', { SYARIKAT: 40 });
    const shorter = line('CONTOH GIN KEE', {});
    expect(chooseLetterheadReading(first, shorter)?.value).toBe('SYARIKAT CONTOH GIN KEE');
  });
});

describe('OCR confusions corrected from the page itself', () => {
  it('corrects a doubtful word from the same word read with more confidence elsewhere, in its case', () => {
    const words = ocr(
      [[40, 4, 'OLD TOWN WHITE COFFEE'], [80, 20, 'Gld Town Kopitiam Sdn Bhd'], ...RECEIPT_BODY],
      95,
      {
        Gld: 78,
        OLD: 92,
      },
    );
    const issuer = issuerOf(words)!;
    expect(issuer.value).toBe('Gld Town Kopitiam Sdn Bhd');
    const corrected = correctFromPage(issuer, words);
    expect(corrected.value).toBe('Old Town Kopitiam Sdn Bhd');
    expect(corrected.score).toBeLessThan(issuer.score);
  });

  it('accepts a possessive witness and leaves words alone without one or with a weaker one', () => {
    const body: Array<[number, number, string]> = [[60, 300, "The recipient of Gardenia's products"]];
    const words = ocr([[80, 20, 'GARDERIA BAKERIES SDN BHD'], ...RECEIPT_BODY, ...body], 95, {
      GARDERIA: 35,
      "Gardenia's": 47,
    });
    expect(correctFromPage(issuerOf(words)!, words).value).toBe('GARDENIA BAKERIES SDN BHD');
    const weaker = ocr([[80, 20, 'GARDERIA BAKERIES SDN BHD'], ...RECEIPT_BODY, ...body], 95, {
      GARDERIA: 60,
      "Gardenia's": 47,
    });
    expect(correctFromPage(issuerOf(weaker)!, weaker).value).toBe('GARDERIA BAKERIES SDN BHD');
    const alone = ocr([[80, 20, 'TED HENG STATIONERY'], ...RECEIPT_BODY], 95, { TED: 70 });
    expect(correctFromPage(issuerOf(alone)!, alone).value).toBe('TED HENG STATIONERY');
  });
});

describe('issuer rules for OCRed letterheads', () => {
  it('drops the company number printed after the name on its line', () => {
    const words = ocr([[80, 20, 'CONTOH BAKERIES (KL) SDN BHD (139386 X)'], ...RECEIPT_BODY.slice(1)]);
    expect(issuerOf(words)?.value).toBe('CONTOH BAKERIES (KL) SDN BHD');
  });

  it('uses the second reading of the band in the extracted fields, with its box and less confidence', () => {
    // The first pass dropped the bold name line entirely; the band read it.
    const firstPass = ocr(RECEIPT_BODY);
    const band = ocr([[80, 20, 'RESTORAN CONTOH MAJU']]);
    expect(extractTextFields(firstPass, 'ocr')['seller.name']?.value).not.toBe('RESTORAN CONTOH MAJU');
    const seller = extractTextFields(firstPass, 'ocr', { letterheadWords: band })['seller.name'];
    expect(seller).toMatchObject({ value: 'RESTORAN CONTOH MAJU', source: 'ocr', page: 1 });
    expect(seller?.bbox?.slice(0, 2)).toEqual([80, 20]);
    const clearlyRead = extractTextFields(ocr([[80, 20, 'RESTORAN CONTOH MAJU'], ...RECEIPT_BODY]), 'ocr')[
      'seller.name'
    ];
    expect(seller!.confidence).toBeLessThan(clearlyRead!.confidence);
  });

  it('puts a one-word brand in front of a legal name that lost it, when the page prints them together', () => {
    const words = [
      ...ocr([
        [50, 10, 'nordwind'],
        [300, 10, 'Nordwind Cloud Services Invoice'],
        [50, 60, 'Invoice Number: 42183017'],
        [50, 400, 'Total 4.11'],
        [50, 690, 'Service Provider:'],
        [50, 706, 'Cloud Services, Inc.'],
      ]),
    ];
    expect(extractTextFields(words, 'ocr')['seller.name']?.value).toBe('Nordwind Cloud Services, Inc.');
  });
});
