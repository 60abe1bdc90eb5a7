/**
 * A scanned PDF's first page gets the letterhead's further looks as an image does: the readings the
 * OCR hook brings for page 1 reach the issuer rules, and those of later pages are not used.
 */
import { PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { Deadline } from '../../../src/extraction/deadline.js';
import { extractFromPdf, type OcrPage } from '../../../src/extraction/pdf/extract-pdf.js';
import type { Word } from '../../../src/extraction/text/words.js';
import { wordsOf } from './fixtures/word-layout.js';

const ocr = (lines: Array<[number, number, string]>, page = 1, confidence = 95): Word[] =>
  wordsOf(lines, page).map((w) => ({ ...w, confidence }));

/** A PDF of blank pages: no text layer, so every page goes to the OCR hook. */
async function blankPdf(pages: number): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  for (let i = 0; i < pages; i++) pdf.addPage([300, 400]);
  return pdf.save();
}

/** The first pass lost the issuer's line; the band read it. */
const FIRST_PASS: Array<[number, number, string]> = [
  [60, 36, '(001234567-W)'],
  [60, 52, 'NO. 2, JALAN TEMENGGUNG 19/9,'],
  [60, 100, 'TAX INVOICE'],
  [60, 140, 'TOTAL 12.50'],
];
const BAND = ocr([[80, 20, 'RESTORAN CONTOH MAJU']]);

async function sellerOf(hook: (doc: unknown, pageIndex: number) => Promise<OcrPage>, pages = 1) {
  const draft = await extractFromPdf(
    await blankPdf(pages),
    10,
    new Deadline(() => performance.now(), 30_000),
    { ocrPage: hook },
    {},
  );
  return { format: draft.format, seller: draft.fields['seller.name'] };
}

describe('a scanned PDF letterhead', () => {
  it("names the issuer from the first page's second look, with its box", async () => {
    const { format, seller } = await sellerOf(async (_doc, i) =>
      i === 0 ? { words: ocr(FIRST_PASS), letterhead: { letterheadWords: BAND } } : { words: [] },
    );
    expect(format).toBe('pdf-scan');
    expect(seller?.value).toBe('RESTORAN CONTOH MAJU');
    expect(seller?.bbox?.slice(0, 2)).toEqual([80, 20]);
  });

  it('has no issuer from the letterhead when no further look ran', async () => {
    const { seller } = await sellerOf(async () => ({ words: ocr(FIRST_PASS) }));
    expect(seller?.value).not.toBe('RESTORAN CONTOH MAJU');
  });

  it("does not take a later page's readings for the first page's letterhead", async () => {
    const { seller } = await sellerOf(
      async (_doc, i) =>
        i === 0
          ? { words: ocr(FIRST_PASS) }
          : { words: ocr([[60, 300, 'page two']], 2), letterhead: { letterheadWords: BAND } },
      2,
    );
    expect(seller?.value).not.toBe('RESTORAN CONTOH MAJU');
  });
});
