/**
 * A document's text layer is kept for learning, per document: however many glyphs a hostile PDF
 * draws, what is kept stays within MAX_LAYER_WORDS words and MAX_LAYER_CHARS characters, in
 * reading order, so the first pages (where an invoice prints its fields) are what learning sees.
 */
import { describe, expect, it } from 'vitest';
import {
  boundTextLayer,
  layerWords,
  MAX_LAYER_CHARS,
  MAX_LAYER_WORDS,
  toTextLayer,
} from '../../../src/extraction/hints/text-layer.js';
import type { Word } from '../../../src/extraction/text/words.js';

function generatedWords(count: number, text: (i: number) => string): Word[] {
  return Array.from({ length: count }, (_, i) => ({
    page: 1 + Math.floor(i / 500),
    x0: (i % 50) * 10,
    y0: Math.floor((i % 500) / 50) * 12,
    x1: (i % 50) * 10 + 8,
    y1: Math.floor((i % 500) / 50) * 12 + 10,
    text: text(i),
  }));
}

const charsOf = (words: readonly (readonly [number, number, number, number, number, string])[]) =>
  words.reduce((n, w) => n + w[5].length, 0);

describe('text layer bounds', () => {
  it('keeps the first MAX_LAYER_WORDS words of a layer with more', () => {
    const layer = toTextLayer(
      generatedWords(MAX_LAYER_WORDS * 3, (i) => `w${i}`),
      'pt',
    );
    expect(layer.words).toHaveLength(MAX_LAYER_WORDS);
    expect(layer.words[0]![5]).toBe('w0');
    expect(layer.words.at(-1)![5]).toBe(`w${MAX_LAYER_WORDS - 1}`);
  });

  it('stops at MAX_LAYER_CHARS characters when the words are long, in reading order', () => {
    const layer = toTextLayer(
      generatedWords(MAX_LAYER_WORDS, (i) => `${i}`.padEnd(60, 'x')),
      'pt',
    );
    expect(charsOf(layer.words)).toBeLessThanOrEqual(MAX_LAYER_CHARS);
    expect(charsOf(layer.words)).toBeGreaterThan(MAX_LAYER_CHARS - 60);
    expect(layer.words.length).toBe(Math.floor(MAX_LAYER_CHARS / 60));
    expect(layer.words[0]![5].startsWith('0x')).toBe(true);
  });

  it('cuts a "word" of thousands of characters to 100, which counts 100 against the budget', () => {
    const layer = toTextLayer(
      generatedWords(3, () => 'y'.repeat(50_000)),
      'px',
    );
    expect(layer.words.map((w) => w[5].length)).toEqual([100, 100, 100]);
    expect(layer.units).toBe('px');
  });

  it('re-reads a layer handed over for storage: malformed entries skipped, the rest bounded', () => {
    const hostile = {
      units: 'px',
      words: [
        'not a word',
        [1, 0, 0, 1, 1],
        [1, Number.NaN, 0, 1, 1, 'nan'],
        [1, 0, 0, 1, 1, { text: 'object' }],
        [1, 0, 0, 1, 1, ''],
        ...generatedWords(MAX_LAYER_WORDS * 2, () => 'z'.repeat(5_000)).map((w) => [
          w.page,
          w.x0,
          w.y0,
          w.x1,
          w.y1,
          w.text,
        ]),
      ],
    };
    const bounded = boundTextLayer(hostile)!;
    expect(bounded.units).toBe('px');
    expect(bounded.words.length).toBe(MAX_LAYER_CHARS / 100);
    expect(charsOf(bounded.words)).toBe(MAX_LAYER_CHARS);
    expect(bounded.words.every((w) => w[5] === 'z'.repeat(100))).toBe(true);
    // Reading a stored layer back applies the same bounds.
    expect(layerWords(hostile)).toHaveLength(MAX_LAYER_CHARS / 100);
  });

  it('stores no layer when nothing in it is a usable word', () => {
    expect(boundTextLayer(null)).toBeNull();
    expect(boundTextLayer({ units: 'pt', words: 'many' })).toBeNull();
    expect(boundTextLayer({ units: 'pt', words: [[1, 2, 3]] })).toBeNull();
  });
});
