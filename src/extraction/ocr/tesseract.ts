import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createWorker, OEM, type Worker } from 'tesseract.js';
import type { Word } from '../text/words.js';

const require = createRequire(import.meta.url);

/** Languages recognised by default; each extra language costs time on every page. */
export const DEFAULT_OCR_LANGUAGES = ['eng', 'deu', 'ces'];

/** One worker per language set (at most two: the fast first pass and the full set). */
const workers = new Map<string, { worker: Promise<Worker>; dir: string }>();

/**
 * tesseract.js reads every language from one directory, but each @tesseract.js-data package has
 * its own; a temporary directory of symlinks joins them without copying or downloading anything.
 */
function prepareLangDir(langs: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'doklad-ocr-'));
  for (const lang of langs) {
    const pkg = dirname(require.resolve(`@tesseract.js-data/${lang}/package.json`));
    symlinkSync(join(pkg, '4.0.0_best_int', `${lang}.traineddata.gz`), join(dir, `${lang}.traineddata.gz`));
  }
  return dir;
}

function getWorker(langs: string[]): Promise<Worker> {
  const key = langs.join('+');
  const cached = workers.get(key);
  if (cached) return cached.worker;
  const dir = prepareLangDir(langs);
  const worker = createWorker(langs, OEM.LSTM_ONLY, {
    langPath: dir,
    cachePath: dir,
    cacheMethod: 'none',
    gzip: true,
  }).then(async (w) => {
    // Tesseract re-reads every doubtful line as white-on-black text; on photographed receipts that
    // second look costs ~10-15 % of the page time (p95 1.72 -> 1.51 s) and found nothing the first
    // read missed on the receipts measured.
    // Tesseract writes its diagnostics ("Image too small to scale!!", "Line cannot be recognized!!")
    // to stderr, where they read like errors to whoever runs the worker; they are not, and its
    // debug file inside the WebAssembly file system swallows them.
    await w.setParameters({ tessedit_do_invert: '0', debug_file: '/dev/null' });
    return w;
  });
  workers.set(key, { worker, dir });
  return worker;
}

/** Recognises an image (PNG/JPEG bytes) into words with pixel boxes. The worker is reused. */
export async function recognizeWords(
  image: Uint8Array,
  page: number,
  langs = DEFAULT_OCR_LANGUAGES,
): Promise<Word[]> {
  const worker = await getWorker(langs);
  const { data } = await worker.recognize(Buffer.from(image), {}, { blocks: true, text: false });
  const words: Word[] = [];
  for (const block of data.blocks ?? []) {
    for (const para of block.paragraphs) {
      for (const line of para.lines) {
        for (const w of line.words) {
          if (w.text.trim() && w.confidence > 20)
            words.push({ text: w.text, ...w.bbox, page, confidence: Math.round(w.confidence) });
        }
      }
    }
  }
  return words;
}

/** Terminates the OCR workers and removes their language directories. */
export async function disposeOcr(): Promise<void> {
  const all = [...workers.values()];
  workers.clear();
  for (const { worker, dir } of all) {
    await (await worker).terminate();
    rmSync(dir, { recursive: true, force: true });
  }
}
