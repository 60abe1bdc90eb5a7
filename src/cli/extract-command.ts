import { readFile } from 'node:fs/promises';
import { disposeExtraction, extractInvoice, ExtractionError } from '../extraction/index.js';

/**
 * `doklad extract <file...>`: prints one JSON line per file, `{file, ...result}` or
 * `{file, error: {code, message}}`. Every file is processed; the exit code is 1 when any failed.
 */
export async function runExtractCommand(files: string[], out: NodeJS.WritableStream): Promise<number> {
  let exitCode = 0;
  try {
    for (const file of files) {
      const line = await extractOne(file);
      if ('error' in line) exitCode = 1;
      out.write(`${JSON.stringify(line)}\n`);
    }
  } finally {
    await disposeExtraction();
  }
  return exitCode;
}

async function extractOne(file: string): Promise<Record<string, unknown>> {
  try {
    const bytes = new Uint8Array(await readFile(file));
    const result = await extractInvoice({ bytes, filename: file });
    return { file, ...result };
  } catch (error) {
    if (error instanceof ExtractionError)
      return { file, error: { code: error.code, message: error.message } };
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      return { file, error: { code: 'unreadable_file', message: `cannot read ${file} (${code})` } };
    }
    return {
      file,
      error: { code: 'internal_error', message: error instanceof Error ? error.message : String(error) },
    };
  }
}
