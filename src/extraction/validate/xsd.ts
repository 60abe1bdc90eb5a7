/**
 * Schema validation of incoming UBL 2.1 and CII D16B invoices against the official XSDs, with
 * libxml2 compiled to WebAssembly (xmllint-wasm: no native code, no network). The XSDs are not
 * part of the repository: the caller passes the directory that holds them (EINVOICE_SCHEMA_DIR,
 * laid out as `ubl-2.1/{maindoc,common}/…` and `cii-d16b/…`); without it no schema check runs.
 *
 * Cost: each check starts a worker and compiles the schema set: median 0.8 s per UBL and 0.45 s per
 * CII example on the shared 2-core machine (twice that under load), against 3 ms for all EN 16931 rules (`npm run
 * bench:en16931`). So it runs only when configured, only for UBL / CII, in the extraction worker
 * (never in the API process); the XSD text is read from disk once per process and cached.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Finding } from '../types.js';

export interface SchemaCheckOptions {
  /** Directory holding `ubl-2.1/` and `cii-d16b/`; undefined = no schema check. */
  readonly schemaDir?: string | undefined;
  /** Larger documents are not schema-checked (an info finding says so). Default 5 MiB. */
  readonly maxBytes?: number;
  /** Give up (an info finding says so) after this long. Default 20 s. */
  readonly timeoutMs?: number;
}

interface SchemaFile {
  readonly fileName: string;
  readonly contents: string;
}

interface SchemaSet {
  readonly main: SchemaFile;
  readonly preload: SchemaFile[];
}

const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 20_000;
/** WebAssembly memory cap: 128 MiB (pages of 64 KiB), enough for the UBL schema set and a large invoice. */
const MAX_MEMORY_PAGES = 2048;
/** libxml2 reports every error; a broken document is described well enough by the first few. */
const MAX_REPORTED = 10;

const SCHEMAS: Record<string, { folder: string; main: string; skip?: RegExp }> = {
  // Only the two main documents UBL invoices use; the other 63 maindoc schemas are never imported.
  Invoice: {
    folder: 'ubl-2.1',
    main: 'maindoc/UBL-Invoice-2.1.xsd',
    skip: /^maindoc\/(?!UBL-Invoice-2\.1\.xsd$)/,
  },
  CreditNote: {
    folder: 'ubl-2.1',
    main: 'maindoc/UBL-CreditNote-2.1.xsd',
    skip: /^maindoc\/(?!UBL-CreditNote-2\.1\.xsd$)/,
  },
  CrossIndustryInvoice: { folder: 'cii-d16b', main: 'CrossIndustryInvoice_100pD16B.xsd' },
};

/** Schema sets by directory and root, loaded once per process. */
const cache = new Map<string, Promise<SchemaSet>>();

async function listXsd(dir: string, root = dir): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listXsd(path, root)));
    else if (entry.name.endsWith('.xsd')) out.push(relative(root, path).split(sep).join('/'));
  }
  return out;
}

async function loadSchemaSet(schemaDir: string, rootName: string): Promise<SchemaSet> {
  const spec = SCHEMAS[rootName]!;
  const folder = join(schemaDir, spec.folder);
  const names = (await listXsd(folder)).filter((n) => !spec.skip?.test(n));
  const files = await Promise.all(
    names.map(async (fileName) => ({ fileName, contents: await readFile(join(folder, fileName), 'utf8') })),
  );
  const main = files.find((f) => f.fileName === spec.main);
  if (!main) throw new Error(`${spec.main} is not in ${folder}`);
  return { main, preload: files.filter((f) => f !== main) };
}

function schemaSet(schemaDir: string, rootName: string): Promise<SchemaSet> {
  const key = `${schemaDir}\u0000${rootName}`;
  let set = cache.get(key);
  if (!set) {
    set = loadSchemaSet(schemaDir, rootName);
    // A failed load (directory missing) is retried next time rather than cached.
    set.catch(() => cache.delete(key));
    cache.set(key, set);
  }
  return set;
}

const info = (code: string, message: string): Finding => ({ code, severity: 'info', message });

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Validates the document against its XSD; schema errors become findings with rule `XSD`. Returns
 * [] when no schema directory is configured or the root is not UBL Invoice / CreditNote or CII.
 */
export async function checkSchema(
  xml: string,
  rootName: string,
  options: SchemaCheckOptions,
): Promise<Finding[]> {
  const { schemaDir } = options;
  if (!schemaDir || !SCHEMAS[rootName]) return [];
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const size = Buffer.byteLength(xml, 'utf8');
  if (size > maxBytes)
    return [
      info('xsd_skipped_size', `schema check skipped: the XML has ${size} bytes, more than ${maxBytes}`),
    ];
  let set: SchemaSet;
  try {
    set = await schemaSet(schemaDir, rootName);
  } catch (error) {
    return [
      info(
        'xsd_unavailable',
        `schema check skipped: ${error instanceof Error ? error.message : String(error)}`,
      ),
    ];
  }
  const { validateXML } = await import('xmllint-wasm');
  const run = validateXML({
    // xmllint reads UTF-8 only: the text was decoded from its declared encoding, so say UTF-8.
    xml: {
      fileName: 'invoice.xml',
      contents: xml.replace(/^<\?xml[^>]*\?>/, '<?xml version="1.0" encoding="UTF-8"?>'),
    },
    schema: set.main,
    preload: set.preload,
    maxMemoryPages: MAX_MEMORY_PAGES,
  });
  let result: Awaited<typeof run> | 'timeout';
  try {
    result = await withTimeout(run, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  } catch (error) {
    return [
      info(
        'xsd_failed',
        `schema check could not run: ${error instanceof Error ? error.message : String(error)}`,
      ),
    ];
  }
  if (result === 'timeout') {
    run.catch(() => undefined);
    return [info('xsd_timeout', 'schema check skipped: it took too long')];
  }
  if (result.valid) return [];
  const findings: Finding[] = result.errors.slice(0, MAX_REPORTED).map((e) => ({
    code: 'xsd_invalid',
    severity: 'error',
    rule: 'XSD',
    message: `XSD: ${e.loc ? `line ${e.loc.lineNumber}: ` : ''}${e.message.replace(/^Schemas validity error : /, '')}`,
  }));
  if (result.errors.length > MAX_REPORTED)
    findings.push(
      info('xsd_more', `XSD: ${result.errors.length - MAX_REPORTED} more schema errors not listed`),
    );
  return findings;
}
