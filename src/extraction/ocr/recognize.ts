import type { Word } from '../text/words.js';
import { DEFAULT_OCR_LANGUAGES, recognizeWords } from './tesseract.js';

/** The fast first pass: English alone is about twice as fast as eng+deu+ces. */
const FIRST_PASS_LANGUAGES = ['eng'];

/**
 * Words that English recognition still reads well enough to show that the page is German, Czech
 * or Slovak, whose diacritics ("Č", "ř", "ü") and words need the full language set.
 */
const NON_ENGLISH_CUE =
  /^(?:rechnung\w*|mwst|ust|umsatzsteuer|betrag|summe|gesamt\w*|zahlung\w*|lieferant|kunde|faktura|dph|di[cč]|i[cč]o?|celkem|splatnost\w*|dodavatel|odb[eě]ratel|vystaven\w*|uhrad\w*|úhrad\w*)[:.]?$/iu;

/** True when at least two distinct cue words show a language that needs its own model. */
export function needsMoreLanguages(words: Word[]): boolean {
  const cues = new Set(words.map((w) => w.text.toLowerCase()).filter((t) => NON_ENGLISH_CUE.test(t)));
  return cues.size >= 2;
}

/**
 * Recognises a page with English first and again with the full language set only when the
 * first pass shows German or Czech text; English receipts and invoices pay for one model only.
 */
export async function recognizePage(image: Uint8Array, page: number): Promise<Word[]> {
  const words = await recognizeWords(image, page, FIRST_PASS_LANGUAGES);
  if (!needsMoreLanguages(words)) return words;
  return recognizeWords(image, page, DEFAULT_OCR_LANGUAGES);
}

/** The languages `recognizePage` settled on for a page it read into these words. */
export function languagesOf(words: Word[]): string[] {
  return needsMoreLanguages(words) ? DEFAULT_OCR_LANGUAGES : FIRST_PASS_LANGUAGES;
}
