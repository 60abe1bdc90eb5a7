/**
 * Scores our EN 16931 validator against the official CEN/TC 434 unit tests (VEFA format) and
 * example invoices in ../shared/einvoice-tests. Each unit test names one rule and says whether it
 * must fire (<error>, <warning>) or must not (<success>); a partial document is scored only by
 * whether that rule fires, never by what else it lacks. Shared by the conformance test and
 * `npm run bench:en16931`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseXmlSecure } from '../../src/extraction/formats/xml-parse.js';
import { validateEn16931 } from '../../src/extraction/validate/en16931/index.js';
import type { Finding } from '../../src/extraction/types.js';

export const EINVOICE_TESTS_DIR = resolve(
  fileURLToPath(new URL('../..', import.meta.url)),
  '..',
  'shared',
  'einvoice-tests',
);
export const UNIT_SETS = ['ubl-invoice', 'ubl-creditnote', 'cii'] as const;

export type Expectation = 'error' | 'warning' | 'success';

export interface UnitOutcome {
  set: string;
  file: string;
  index: number;
  rule: string;
  expect: Expectation;
  fired: boolean;
  /** The document could not be parsed at all (counts as "did not fire"). */
  parseError?: string;
}

/** The official rule id a finding carries; findings without one never match a unit test. */
export function ruleOf(finding: Finding): string | undefined {
  return finding.rule;
}

const TEST_BLOCK = /<test(?:\s[^>]*)?>([\s\S]*?)<\/test>/g;
const EXPECTATION = /<(error|warning|success)>\s*([^<\s]+)\s*<\/\1>/;

/** Splits a VEFA test set into (expectation, rule, document) triples. */
export function readUnitFile(path: string): Array<{ expect: Expectation; rule: string; xml: string }> {
  const text = readFileSync(path, 'utf8');
  const out: Array<{ expect: Expectation; rule: string; xml: string }> = [];
  for (const [, body = ''] of text.matchAll(TEST_BLOCK)) {
    const end = body.indexOf('</assert>');
    const m = EXPECTATION.exec(body.slice(0, end));
    if (end < 0 || !m) continue;
    out.push({ expect: m[1] as Expectation, rule: m[2]!, xml: body.slice(end + '</assert>'.length).trim() });
  }
  return out;
}

/** Runs the validator on one document; returns its findings or the parse error. */
export function validateDocument(xml: string): Finding[] | string {
  try {
    const parsed = parseXmlSecure(new TextEncoder().encode(xml));
    return validateEn16931(parsed.root, parsed.rootName, parsed.text);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export function fires(findings: Finding[], rule: string): boolean {
  return findings.some((f) => f.severity !== 'info' && ruleOf(f) === rule);
}

export function scoreUnitTests(dir = join(EINVOICE_TESTS_DIR, 'unit')): UnitOutcome[] {
  const outcomes: UnitOutcome[] = [];
  for (const set of UNIT_SETS) {
    const setDir = join(dir, set);
    if (!existsSync(setDir)) continue;
    for (const file of readdirSync(setDir)
      .filter((f) => f.endsWith('.xml'))
      .sort()) {
      readUnitFile(join(setDir, file)).forEach((test, index) => {
        const result = validateDocument(test.xml);
        const base = { set, file, index, rule: test.rule, expect: test.expect };
        if (typeof result === 'string') outcomes.push({ ...base, fired: false, parseError: result });
        else outcomes.push({ ...base, fired: fires(result, test.rule) });
      });
    }
  }
  return outcomes;
}

export interface Score {
  errorTests: number;
  caught: number;
  successTests: number;
  falseAlarms: number;
  warningTests: number;
  warningsCaught: number;
  /** caught / errorTests */
  recall: number;
  /** caught / (caught + falseAlarms) */
  precision: number;
}

export function summarise(outcomes: UnitOutcome[]): Score {
  const errors = outcomes.filter((o) => o.expect === 'error');
  const successes = outcomes.filter((o) => o.expect === 'success');
  const warnings = outcomes.filter((o) => o.expect === 'warning');
  const caught = errors.filter((o) => o.fired).length;
  const falseAlarms = successes.filter((o) => o.fired).length;
  return {
    errorTests: errors.length,
    caught,
    successTests: successes.length,
    falseAlarms,
    warningTests: warnings.length,
    warningsCaught: warnings.filter((o) => o.fired).length,
    recall: errors.length ? caught / errors.length : 1,
    precision: caught + falseAlarms ? caught / (caught + falseAlarms) : 1,
  };
}

/** Rule family for the table: BR-CO-10 → BR-CO, BR-12 → BR, UBL-SR-12 → UBL-SR. */
export function familyOf(rule: string): string {
  const m = /^([A-Z]+(?:-[A-Z]+)?)-\d/.exec(rule);
  return m?.[1] ?? rule;
}

/** Error findings on the official example invoices (all valid): must be none. */
export function exampleErrors(
  dir = join(EINVOICE_TESTS_DIR, 'examples'),
): Array<{ file: string; findings: Finding[] }> {
  const out: Array<{ file: string; findings: Finding[] }> = [];
  for (const sub of ['ubl', 'cii']) {
    const subDir = join(dir, sub);
    if (!existsSync(subDir)) continue;
    for (const file of readdirSync(subDir)
      .filter((f) => /\.xml$/i.test(f))
      .sort()) {
      const result = validateDocument(readFileSync(join(subDir, file), 'utf8'));
      const findings =
        typeof result === 'string'
          ? [{ code: 'parse', severity: 'error' as const, message: result }]
          : result.filter((f) => f.severity === 'error');
      out.push({ file: `${sub}/${file}`, findings });
    }
  }
  return out;
}
