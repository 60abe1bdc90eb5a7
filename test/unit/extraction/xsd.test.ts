import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractInvoice } from '../../../src/extraction/index.js';
import { checkSchema } from '../../../src/extraction/validate/xsd.js';
import { EINVOICE_TESTS_DIR } from '../../helpers/en16931-units.js';

/** The official XSDs live in ../shared (never in the repository); without them these tests skip. */
const SCHEMA_DIR = join(EINVOICE_TESTS_DIR, 'schema');
const EXAMPLES = join(EINVOICE_TESTS_DIR, 'examples');
const present = existsSync(join(SCHEMA_DIR, 'ubl-2.1')) && existsSync(join(SCHEMA_DIR, 'cii-d16b'));
if (!present) console.warn(`xsd: ${SCHEMA_DIR} is absent; schema validation tests skipped`);

const ubl = (): string => readFileSync(join(EXAMPLES, 'ubl', 'ubl-tc434-example1.xml'), 'utf8');
const cii = (): string => readFileSync(join(EXAMPLES, 'cii', 'CII_example1.xml'), 'utf8');

describe('XSD validation of UBL and CII', () => {
  it('does nothing without a schema directory', async () => {
    expect(await checkSchema('<Invoice/>', 'Invoice', {})).toEqual([]);
  });

  it.skipIf(!present)(
    'accepts the official examples and reports schema errors with rule XSD',
    { timeout: 60_000 },
    async () => {
      expect(await checkSchema(ubl(), 'Invoice', { schemaDir: SCHEMA_DIR })).toEqual([]);
      expect(await checkSchema(cii(), 'CrossIndustryInvoice', { schemaDir: SCHEMA_DIR })).toEqual([]);

      const misplaced = ubl().replace('<cbc:IssueDate>', '<cbc:Note>too early</cbc:Note><cbc:IssueDate>');
      const findings = await checkSchema(misplaced, 'Invoice', { schemaDir: SCHEMA_DIR });
      expect(findings.length).toBeGreaterThan(0);
      expect(findings[0]).toMatchObject({ rule: 'XSD', severity: 'error', code: 'xsd_invalid' });
      expect(findings[0]!.message).toMatch(/Note/);

      const badCii = cii().replace(
        /<ram:TypeCode>380<\/ram:TypeCode>/,
        '<ram:TypeCode>380</ram:TypeCode><ram:Bogus/>',
      );
      const ciiFindings = await checkSchema(badCii, 'CrossIndustryInvoice', { schemaDir: SCHEMA_DIR });
      expect(ciiFindings.map((f) => f.rule)).toContain('XSD');
    },
  );

  it.skipIf(!present)(
    'refuses oversized input and a missing schema folder with an info finding',
    async () => {
      const big = await checkSchema(ubl(), 'Invoice', { schemaDir: SCHEMA_DIR, maxBytes: 100 });
      expect(big).toMatchObject([{ code: 'xsd_skipped_size', severity: 'info' }]);
      const missing = await checkSchema(ubl(), 'Invoice', { schemaDir: join(SCHEMA_DIR, 'nope') });
      expect(missing).toMatchObject([{ code: 'xsd_unavailable', severity: 'info' }]);
    },
  );

  it.skipIf(!present)('gives up after the timeout instead of hanging', { timeout: 60_000 }, async () => {
    const findings = await checkSchema(ubl(), 'Invoice', { schemaDir: SCHEMA_DIR, timeoutMs: 1 });
    expect(findings).toMatchObject([{ code: 'xsd_timeout', severity: 'info' }]);
  });

  it.skipIf(!present)(
    'runs inside extractInvoice when a schema directory is passed',
    { timeout: 60_000 },
    async () => {
      const broken = ubl().replace('<cbc:IssueDate>', '<cbc:Note>too early</cbc:Note><cbc:IssueDate>');
      const withSchemas = await extractInvoice(
        { bytes: new TextEncoder().encode(broken) },
        { schemaDir: SCHEMA_DIR },
      );
      expect(withSchemas.findings.map((f) => f.rule)).toContain('XSD');
      expect(withSchemas.needsReview).toBe(true);
      expect(withSchemas.timings.schemaMs).toBeGreaterThan(0);
      const without = await extractInvoice({ bytes: new TextEncoder().encode(broken) });
      expect(without.findings.map((f) => f.rule)).not.toContain('XSD');
    },
  );
});
