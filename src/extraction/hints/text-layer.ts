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

/**
 * The bounds of a layer, per document. Learning needs the words where fields are printed, which on
 * an invoice are the first pages: a ten-page dense invoice has ~5,000 words and ~40,000 characters.
 * A hostile PDF can draw millions of tiny glyphs, though, and the layer is stored per document
 * (`document_text_layers`), so it is cut here rather than refused: the words past either bound are
 * not learned from, and extraction itself is unaffected. The migration 20261204020000 holds the
 * table to the same word bound.
 */
/** Words kept per document; the rest is not learned from. */
export const MAX_LAYER_WORDS = 20_000;
/** Characters kept per document, all words together: with the coordinates, ~2.1 MB of jsonb at most. */
export const MAX_LAYER_CHARS = 200_000;
/** Characters kept per word: a longer "word" is noise from a broken font, not a label or value. */
const MAX_WORD_CHARS = 100;

const round = (n: number): number => Math.round(n * 10) / 10;

/** The words in reading order up to the layer's bounds (both the word and the character budget). */
function withinBounds<W extends { readonly text: string }>(words: Iterable<W>): W[] {
  const kept: W[] = [];
  let chars = 0;
  for (const word of words) {
    if (kept.length >= MAX_LAYER_WORDS) break;
    const text = word.text.slice(0, MAX_WORD_CHARS);
    if (chars + text.length > MAX_LAYER_CHARS) break;
    chars += text.length;
    kept.push(text === word.text ? word : { ...word, text });
  }
  return kept;
}

export function toTextLayer(words: readonly Word[], units: 'pt' | 'px'): TextLayer {
  return {
    units,
    words: withinBounds(words).map((w) => [
      w.page,
      round(w.x0),
      round(w.y0),
      round(w.x1),
      round(w.y1),
      w.text,
    ]),
  };
}

/**
 * A layer as it may be stored: whatever the engine (another thread) handed over, re-read entry by
 * entry and cut to the bounds, so no writer can store more than `MAX_LAYER_WORDS` words and
 * `MAX_LAYER_CHARS` characters. No usable word, no layer.
 */
export function boundTextLayer(layer: unknown): TextLayer | null {
  const words = layerWords(layer);
  return words.length > 0 ? toTextLayer(words, layerUnits(layer)) : null;
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
  return withinBounds(words);
}

export function layerUnits(layer: unknown): 'pt' | 'px' {
  return (layer as { units?: unknown } | null)?.units === 'px' ? 'px' : 'pt';
}
