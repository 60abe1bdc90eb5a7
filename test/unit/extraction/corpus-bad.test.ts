import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeExtraction, extractInvoice, ExtractionError } from '../../../src/extraction/index.js';

/** The shared evaluation corpus lives outside the repository and is optional. */
const BAD_DIR = join(process.cwd(), '..', 'shared', 'corpus', 'bad');
const hasCorpus = existsSync(join(BAD_DIR, 'manifest.json'));

afterAll(disposeExtraction);

describe('bad-input corpus', () => {
  it.skipIf(!hasCorpus)(
    'answers every bad input with a clean error code or a result, never a crash or hang (skipped without ../shared/corpus/bad)',
    { timeout: 120_000 },
    async () => {
      const manifest = JSON.parse(readFileSync(join(BAD_DIR, 'manifest.json'), 'utf8')) as {
        documents: Array<{ file: string }>;
      };
      for (const doc of manifest.documents) {
        const bytes = new Uint8Array(readFileSync(join(BAD_DIR, doc.file)));
        const started = performance.now();
        try {
          const result = await extractInvoice({ bytes }, { timeoutMs: 20_000, ocr: false });
          expect(result.timings.totalMs).toBeGreaterThanOrEqual(0);
        } catch (error) {
          expect(error, doc.file).toBeInstanceOf(ExtractionError);
        }
        expect(performance.now() - started, doc.file).toBeLessThan(20_000);
      }
    },
  );
});
