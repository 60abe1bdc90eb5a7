/**
 * `npm run code-stats [-- --ref <commit>]`: how long the files and functions of `src/` are, so a
 * refactoring can state before and after. Without `--ref` it reads the work tree; with it, the
 * files of that commit (`git show`), so an old state is measured the same way.
 *
 * - File length: the file's lines.
 * - Function length: a function's own lines (declarations, expressions, arrows, methods,
 *   accessors, constructors), counted like ESLint's max-lines-per-function (blank and comment
 *   lines included) but without the lines of the functions nested in it: a factory returning an
 *   object of methods is as long as its own code, each method counts for itself. A nested
 *   function's first line stays the outer function's (that is where the outer code calls it).
 * Percentiles are nearest-rank. `src/generated/` (Prisma Client) is left out.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const LONG_FUNCTION_LINES = 50;
const CONTAINER = 'src/container.ts';

interface FunctionLength {
  readonly where: string;
  readonly name: string;
  readonly lines: number;
}

function sourceFiles(ref: string | undefined): { file: string; text: string }[] {
  const isSource = (file: string) => file.endsWith('.ts') && !file.startsWith('src/generated/');
  if (ref) {
    const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
    return git('ls-tree', '-r', '--name-only', ref, 'src/')
      .split('\n')
      .filter(isSource)
      .map((file) => ({ file, text: git('show', `${ref}:${file}`) }));
  }
  return readdirSync('src', { recursive: true, encoding: 'utf8' })
    .map((file) => path.posix.join('src', file.split(path.sep).join('/')))
    .filter(isSource)
    .map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

function lineCount(text: string): number {
  return text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** The function's own name, else the name it is assigned to, else "<anonymous in f>" for the nearest named f. */
function nameOf(node: ts.FunctionLikeDeclaration): string {
  const own = ownName(node);
  if (own) return own;
  for (let outer = node.parent; outer; outer = outer.parent) {
    const name = ts.isFunctionLike(outer) ? ownName(outer as ts.FunctionLikeDeclaration) : undefined;
    if (name) return `<anonymous in ${name}>`;
  }
  return '<anonymous>';
}

function ownName(node: ts.FunctionLikeDeclaration): string | undefined {
  if (node.name) return node.name.getText();
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (
    ts.isVariableDeclaration(parent) ||
    ts.isPropertyAssignment(parent) ||
    ts.isPropertyDeclaration(parent)
  ) {
    return parent.name.getText();
  }
  return undefined;
}

/** Every function of the file with its own lines (0-based line numbers, inclusive). */
function functionLengths(file: string, text: string): FunctionLength[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line;
  const found: FunctionLength[] = [];

  /** Returns the lines `node`'s subtree gives to nested functions, for the enclosing function to subtract. */
  function visit(node: ts.Node): number {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const fn = node as ts.FunctionLikeDeclaration;
      const first = lineOf(fn.getStart(source));
      const last = lineOf(fn.getEnd());
      let nested = 0;
      fn.forEachChild((child) => {
        nested += visit(child);
      });
      const span = last - first + 1;
      found.push({ where: `${file}:${first + 1}`, name: nameOf(fn), lines: span - nested });
      // To the enclosing function this one is one line of its own (the first) and span - 1 nested ones.
      return span - 1;
    }
    let nested = 0;
    node.forEachChild((child) => {
      nested += visit(child);
    });
    return nested;
  }

  visit(source);
  return found;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(values: readonly number[]): { count: number; median: number; p90: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    median: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    max: sorted.at(-1) ?? 0,
  };
}

const refIndex = process.argv.indexOf('--ref');
const ref = refIndex >= 0 ? process.argv[refIndex + 1] : undefined;
const files = sourceFiles(ref);
const fileLengths = files.map(({ file, text }) => ({ file, lines: lineCount(text) }));
const functions = files.flatMap(({ file, text }) => functionLengths(file, text));
const long = functions
  .filter((fn) => fn.lines > LONG_FUNCTION_LINES)
  .sort((a, b) => b.lines - a.lines || a.where.localeCompare(b.where));
const longestFile = fileLengths.reduce((a, b) => (b.lines > a.lines ? b : a));
const container = fileLengths.find(({ file }) => file === CONTAINER);

const fileStats = summary(fileLengths.map(({ lines }) => lines));
const functionStats = summary(functions.map(({ lines }) => lines));
console.log(`src/ at ${ref ?? 'the work tree'} (lines; percentiles nearest-rank)\n`);
console.log('|           | count | median | p90 | max |');
console.log('| --------- | ----: | -----: | --: | --: |');
for (const [label, s] of [
  ['files', fileStats],
  ['functions', functionStats],
] as const) {
  console.log(`| ${label.padEnd(9)} | ${s.count} | ${s.median} | ${s.p90} | ${s.max} |`);
}
console.log(`\nlongest file: ${longestFile.file} (${longestFile.lines})`);
console.log(`${CONTAINER}: ${container ? `${container.lines} lines` : 'absent'}`);
console.log(`functions over ${LONG_FUNCTION_LINES} own lines: ${long.length}`);
for (const fn of long) console.log(`  ${String(fn.lines).padStart(4)}  ${fn.name}  ${fn.where}`);
