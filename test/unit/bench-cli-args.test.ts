/** The benches refuse a command line they do not understand instead of running with defaults. */
import { describe, expect, it } from 'vitest';
import { optionProblems } from '../../bench/cli-args.js';

const KNOWN = { values: ['corpus', 'min-validated'], flags: ['verbose'] };

describe('bench command lines', () => {
  it('accepts known options with their values and known switches, in any order', () => {
    expect(optionProblems([], KNOWN)).toEqual([]);
    expect(optionProblems(['--verbose', '--min-validated', '0', '--corpus', '../x'], KNOWN)).toEqual([]);
  });

  it('names a misspelt option once (not its value too), a missing value and a stray argument', () => {
    expect(optionProblems(['--min-validate', '0'], KNOWN)).toEqual(['unknown option --min-validate']);
    expect(optionProblems(['--verbos'], KNOWN)).toEqual(['unknown option --verbos']);
    expect(optionProblems(['--corpus'], KNOWN)).toEqual(['--corpus needs a value']);
    expect(optionProblems(['--corpus', '--verbose'], KNOWN)).toEqual(['--corpus needs a value']);
    expect(optionProblems(['stray'], KNOWN)).toEqual(['unexpected argument stray']);
  });
});
