import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { validateXML, type XMLFileInfo } from 'xmllint-wasm';

/**
 * XSD validation of UBL 2.1 and CII D16B documents against the official schemas in
 * ../shared/einvoice-tests/schema (read from there, never copied into the repository).
 */
export const SCHEMA_DIR = join(process.cwd(), '..', 'shared', 'einvoice-tests', 'schema');
export const hasSchemas = existsSync(join(SCHEMA_DIR, 'ubl-2.1')) && existsSync(join(SCHEMA_DIR, 'cii-d16b'));

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.xsd') ? [join(dir, e.name)] : [],
  );
}

function preload(base: string): XMLFileInfo[] {
  return walk(base).map((f) => ({ fileName: relative(base, f), contents: readFileSync(f, 'utf8') }));
}

const ROOT_SCHEMAS = {
  Invoice: ['ubl-2.1', 'maindoc/UBL-Invoice-2.1.xsd'],
  CreditNote: ['ubl-2.1', 'maindoc/UBL-CreditNote-2.1.xsd'],
  CrossIndustryInvoice: ['cii-d16b', 'CrossIndustryInvoice_100pD16B.xsd'],
} as const;

export type SchemaRoot = keyof typeof ROOT_SCHEMAS;

/** Validates the documents (all of one root) in one xmllint run; returns the error messages. */
export async function schemaErrors(
  root: SchemaRoot,
  docs: Array<{ name: string; xml: string }>,
): Promise<string[]> {
  if (docs.length === 0) return [];
  const [dir, main] = ROOT_SCHEMAS[root];
  const base = join(SCHEMA_DIR, dir);
  const result = await validateXML({
    xml: docs.map((d) => ({ fileName: d.name, contents: d.xml })),
    schema: { fileName: main, contents: readFileSync(join(base, main), 'utf8') },
    preload: preload(base),
    maxMemoryPages: 16384,
  });
  return result.errors.map((e) => e.rawMessage).filter((m) => !/fails to validate$/.test(m));
}
