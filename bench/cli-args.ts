/** The benches' command line: `--name value` options and `--name` switches. */
const argv = process.argv.slice(2);

/** The value after `--name`, or `fallback` when the option is absent or has no value. */
export function argValue(name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
}

/** Whether the switch `--name` was given. */
export function hasFlag(name: string): boolean {
  return argv.includes(`--${name}`);
}
