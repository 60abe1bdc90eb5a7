/**
 * EN 16931 validator against the official CEN/TC 434 unit tests and examples
 * (../shared/einvoice-tests): recall on the rule-violation tests, false alarms on the success
 * tests, per rule family and overall, and error findings on the official examples.
 *
 * Then the cost of the XSD check (src/extraction/validate/xsd.ts) per official example, against the
 * rules alone on the same documents.
 *
 *   npm run bench:en16931 [-- --verbose] [--no-xsd]   (--verbose lists every missed or false test)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkSchema } from '../src/extraction/validate/xsd.js';
import {
  EINVOICE_TESTS_DIR,
  exampleErrors,
  familyOf,
  scoreUnitTests,
  summarise,
  type UnitOutcome,
  validateDocument,
} from '../test/helpers/en16931-units.js';

const verbose = process.argv.includes('--verbose');
if (!existsSync(EINVOICE_TESTS_DIR)) {
  console.log(`${EINVOICE_TESTS_DIR} is absent: nothing to score`);
  process.exit(0);
}

const pct = (n: number): string => `${(n * 100).toFixed(1)} %`;
const started = performance.now();
const outcomes = scoreUnitTests();
const elapsed = performance.now() - started;

const families = new Map<string, UnitOutcome[]>();
for (const o of outcomes) families.set(familyOf(o.rule), [...(families.get(familyOf(o.rule)) ?? []), o]);

const row = (name: string, list: UnitOutcome[]): string => {
  const s = summarise(list);
  return `| ${name} | ${s.caught}/${s.errorTests} | ${s.errorTests ? pct(s.recall) : '-'} | ${s.falseAlarms}/${s.successTests} | ${pct(s.precision)} |`;
};
console.log('| family | error tests caught | recall | false alarms / success tests | precision |');
console.log('|---|---|---|---|---|');
for (const [name, list] of [...families].sort(([a], [b]) => a.localeCompare(b))) console.log(row(name, list));
for (const set of new Set(outcomes.map((o) => o.set)))
  console.log(
    row(
      `**${set}**`,
      outcomes.filter((o) => o.set === set),
    ),
  );
console.log(row('**overall**', outcomes));
const total = summarise(outcomes);
console.log(
  `\nwarning tests fired: ${total.warningsCaught}/${total.warningTests}; ${outcomes.length} tests in ${elapsed.toFixed(0)} ms`,
);

const examples = exampleErrors();
const bad = examples.filter((e) => e.findings.length > 0);
console.log(`examples with error findings: ${bad.length}/${examples.length}`);
for (const e of bad) console.log(`  ${e.file}: ${e.findings.map((f) => f.rule ?? f.code).join(', ')}`);

if (!process.argv.includes('--no-xsd')) await schemaCost();

/** Median milliseconds of the XSD check per example, per syntax, and the examples it rejects. */
async function schemaCost(): Promise<void> {
  const schemaDir = join(EINVOICE_TESTS_DIR, 'schema');
  console.log('\n| syntax | examples | XSD-invalid | XSD check median ms | rules median ms |');
  console.log('|---|---|---|---|---|');
  for (const [sub, root] of [
    ['ubl', /<(?:\w+:)?CreditNote[\s>]/],
    ['cii', null],
  ] as const) {
    const dir = join(EINVOICE_TESTS_DIR, 'examples', sub);
    const xsdMs: number[] = [];
    const rulesMs: number[] = [];
    const invalid: string[] = [];
    for (const file of readdirSync(dir).filter((f) => /\.xml$/i.test(f))) {
      const xml = readFileSync(join(dir, file), 'utf8');
      const rootName = sub === 'cii' ? 'CrossIndustryInvoice' : root?.test(xml) ? 'CreditNote' : 'Invoice';
      let t = performance.now();
      const findings = await checkSchema(xml, rootName, { schemaDir });
      xsdMs.push(performance.now() - t);
      if (findings.some((f) => f.rule === 'XSD')) invalid.push(file);
      t = performance.now();
      validateDocument(xml);
      rulesMs.push(performance.now() - t);
    }
    const median = (a: number[]): string =>
      [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!.toFixed(1);
    console.log(
      `| ${sub} | ${xsdMs.length} | ${invalid.length}${invalid.length ? ` (${invalid.join(', ')})` : ''} | ${median(xsdMs)} | ${median(rulesMs)} |`,
    );
  }
}

if (verbose) {
  for (const o of outcomes.filter((x) => (x.expect === 'success') === x.fired))
    console.log(
      `${o.expect === 'success' ? 'FALSE' : 'MISSED'} ${o.set}/${o.file}#${o.index} ${o.rule}${o.parseError ? ` (${o.parseError})` : ''}`,
    );
}
