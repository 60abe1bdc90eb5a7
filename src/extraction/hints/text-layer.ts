/**
 * The document's positioned words in a compact, bounded form: what a caller keeps of a text PDF
 * or an OCR run so that a person's later correction can be located on the page (`learnFieldHint`)
 * without reading the document again.
 */
import type { Word } from '../text/words.js';

/** One word: [page, x0, y0, x1, y1, text]. */
export type LayerWord = readonly [number, number, number, number, number, string];

export interface TextLayer {
  readonly units: 'pt' | 'px';
  readonly words: readonly LayerWord[];
}

/** Words kept per document (a ten-page dense invoice has ~5,000); the rest is not learned from. */
export const MAX_LAYER_WORDS = 20_000;
/** Characters kept per word: a longer "word" is noise from a broken font, not a label or value. */
const MAX_WORD_CHARS = 100;

const round = (n: number): number => Math.round(n * 10) / 10;

export function toTextLayer(words: readonly Word[], units: 'pt' | 'px'): TextLayer {
  return {
    units,
    words: words
      .slice(0, MAX_LAYER_WORDS)
      .map((w) => [
        w.page,
        round(w.x0),
        round(w.y0),
        round(w.x1),
        round(w.y1),
        w.text.slice(0, MAX_WORD_CHARS),
      ]),
  };
}

/**
 * The words of a stored layer. The layer comes back from a database, so every entry is checked
 * and the count bounded again: a malformed one is skipped, never trusted.
 */
export function layerWords(layer: unknown): Word[] {
  if (typeof layer !== 'object' || layer === null) return [];
  const raw = (layer as { words?: unknown }).words;
  if (!Array.isArray(raw)) return [];
  const words: Word[] = [];
  for (const entry of raw.slice(0, MAX_LAYER_WORDS)) {
    if (!Array.isArray(entry) || entry.length !== 6) continue;
    const [page, x0, y0, x1, y1, text] = entry as unknown[];
    if (![page, x0, y0, x1, y1].every((n) => typeof n === 'number' && Number.isFinite(n))) continue;
    if (typeof text !== 'string' || !text) continue;
    words.push({
      page: page as number,
      x0: x0 as number,
      y0: y0 as number,
      x1: x1 as number,
      y1: y1 as number,
      text: text.slice(0, MAX_WORD_CHARS),
    });
  }
  return words;
}

export function layerUnits(layer: unknown): 'pt' | 'px' {
  return (layer as { units?: unknown } | null)?.units === 'px' ? 'px' : 'pt';
}
