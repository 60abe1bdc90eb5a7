import * as mupdf from 'mupdf';
import type { Word } from '../text/words.js';

export interface PageText {
  words: Word[];
  imageBlocks: number;
  charCount: number;
}

/** Words with boxes from mupdf's structured text of one page (1-based `pageNumber`). */
export function readPageWords(page: mupdf.Page, pageNumber: number): PageText {
  const words: Word[] = [];
  let imageBlocks = 0;
  let charCount = 0;
  let current: Word | null = null;
  let spaceBefore = false;
  const flush = (): void => {
    if (current && current.text.trim()) words.push(current);
    current = null;
    spaceBefore = false;
  };
  const stext = page.toStructuredText('preserve-whitespace,preserve-ligatures');
  stext.walk({
    onImageBlock: () => {
      imageBlocks++;
    },
    onChar: (c, _origin, _font, _size, quad) => {
      if (/\s/.test(c)) {
        spaceBefore = current !== null;
        return;
      }
      charCount++;
      const x0 = Math.min(quad[0], quad[4]);
      const x1 = Math.max(quad[2], quad[6]);
      const y0 = Math.min(quad[1], quad[3]);
      const y1 = Math.max(quad[5], quad[7]);
      if (current && isWordBreak(x0 - current.x1, y1 - y0, spaceBefore)) flush();
      spaceBefore = false;
      if (!current) current = { text: '', x0, y0, x1, y1, page: pageNumber };
      current.text += c;
      current.x1 = Math.max(current.x1, x1);
      current.y0 = Math.min(current.y0, y0);
      current.y1 = Math.max(current.y1, y1);
    },
    endLine: flush,
  });
  stext.destroy();
  return { words, imageBlocks: imageBlocks + countImageXObjects(page), charCount };
}

/**
 * Whether a character starts a new word: after a space glyph unless the next glyph overlaps the
 * previous one; otherwise at a wide gap or a real jump backwards. Kerned pairs ("To", "Te") overlap
 * by a fraction of the text height and must stay one word, or labels read "T otal".
 */
export function isWordBreak(gap: number, height: number, spaceBefore: boolean): boolean {
  if (spaceBefore) return gap > height * 0.02 || gap < -height * 0.4;
  return gap < -height * 0.4 || gap > height * 0.25;
}

/**
 * Image XObjects in the page resources. Structured text only reports image blocks when asked to
 * keep them, which decodes every image; the resource dictionary answers the question for free.
 */
function countImageXObjects(page: mupdf.Page): number {
  if (!(page instanceof mupdf.PDFPage)) return 0;
  const xobjects = page.getObject().getInheritable('Resources').get('XObject');
  let count = 0;
  if (xobjects.isDictionary()) {
    xobjects.forEach((value) => {
      if (value.resolve().get('Subtype').toString() === '/Image') count++;
    });
  }
  return count;
}
