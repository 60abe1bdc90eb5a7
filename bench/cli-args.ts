/** The benches' command line: `--name value` options and `--name` switches. */
const argv = process.argv.slice(2);

export interface KnownOptions {
  /** Options followed by a value (`--corpus <dir>`). */
  readonly values?: readonly string[];
  /** Switches (`--verbose`). */
  readonly flags?: readonly string[];
}

/** What is wrong with `args` for a bench that knows `known`: unknown options, missing values. */
export function optionProblems(args: readonly string[], known: KnownOptions): string[] {
  const values = new Set(known.values ?? []);
  const flags = new Set(known.flags ?? []);
  const problems: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const name = arg.startsWith('--') ? arg.slice(2) : null;
    const next = args[i + 1];
    const nextIsValue = next !== undefined && !next.startsWith('--');
    if (name === null) problems.push(`unexpected argument ${arg}`);
    else if (values.has(name)) {
      if (nextIsValue) i++;
      else problems.push(`${arg} needs a value`);
    } else if (!flags.has(name)) {
      problems.push(`unknown option ${arg}`);
      // Its value, if it has one, is not a second problem.
      if (nextIsValue) i++;
    }
  }
  return problems;
}

/**
 * Stops the bench (exit code 2, before it starts anything) when its command line holds an option
 * it does not know, or a value option without its value: a misspelt `--min-validate 0` would
 * otherwise run with the default and print a table that looks like the one asked for.
 */
export function expectOptions(known: KnownOptions): void {
  const problems = optionProblems(argv, known);
  if (problems.length === 0) return;
  const usage = [
    ...(known.values ?? []).map((v) => `--${v} <value>`),
    ...(known.flags ?? []).map((f) => `--${f}`),
  ];
  console.error(`${problems.join('; ')}\noptions: ${usage.join(' ') || '(none)'}`);
  process.exit(2);
}

/** The value after `--name`, or `fallback` when the option is absent or has no value. */
export function argValue(name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
}

/** Whether the switch `--name` was given. */
export function hasFlag(name: string): boolean {
  return argv.includes(`--${name}`);
}
