/**
 * The Node.js version Doklad runs on. Older versions do not merely lack features: argon2's native
 * binary crashes them with a segmentation fault. This module imports nothing, so that the guard
 * which uses it can run before any other module (and so any native addon) is loaded.
 */

/** The oldest major version Doklad supports; package.json `engines` says the same. */
export const MINIMUM_NODE_MAJOR = 24;

/**
 * A one-line refusal for `version` (as in `process.versions.node`, with or without a leading
 * `v`) when it is older than `minimumMajor` or unreadable; undefined when it is supported.
 */
export function unsupportedNodeMessage(
  version: string,
  minimumMajor = MINIMUM_NODE_MAJOR,
): string | undefined {
  const major = Number(/^v?(\d+)(?:\.|$)/.exec(version.trim())?.[1]);
  if (Number.isInteger(major) && major >= minimumMajor) return undefined;
  return (
    `Doklad needs Node.js ${minimumMajor} or newer, but this is Node.js ${version}; ` +
    `run it with node_modules/.bin/node or the npm scripts (the project's own Node.js ${minimumMajor}).`
  );
}
