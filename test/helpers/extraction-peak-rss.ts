/**
 * Run as a child process by the zip-bomb memory test: extracts one file through the engine's entry
 * point (what the worker's extraction thread calls) and prints, as one JSON line, the outcome and
 * the peak RSS reached during the extraction next to the RSS just before it.
 */
import { readFileSync } from 'node:fs';
import { disposeExtraction, extractInvoice } from '../../src/extraction/index.js';
import { isdocxZip } from '../unit/extraction/fixtures/xml-fixtures.js';

const file = process.argv[2];
if (!file) throw new Error('usage: extraction-peak-rss.ts <file>');

// A warm-up extraction, so one-time costs (XML parser, zlib, regexes) are not counted as growth.
await extractInvoice({ bytes: isdocxZip() });
const bytes: Uint8Array = readFileSync(file); // a Buffer is a Uint8Array: no second copy
// Growth is measured from the current RSS, not the earlier peak: an upper bound, never flattering.
const beforeKb = Math.round(process.memoryUsage.rss() / 1024);
let outcome: string;
try {
  const result = await extractInvoice({ bytes }, { ocr: false, qr: false });
  outcome = `extracted:${result.format}`;
} catch (error) {
  outcome = (error as { code?: string }).code ?? `error:${(error as Error).message}`;
}
const peakKb = process.resourceUsage().maxRSS;
await disposeExtraction();
process.stdout.write(`${JSON.stringify({ outcome, beforeKb, peakKb, inputBytes: bytes.length })}\n`);
