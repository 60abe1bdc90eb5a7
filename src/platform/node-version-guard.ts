/**
 * Imported first by every entry point (API, worker, CLI): on an unsupported Node.js it prints one
 * line on stderr and exits with 1. ES modules are evaluated depth-first in import order, and this
 * module and the one it imports load nothing else, so the exit happens before any other module of
 * the entry point, and so before argon2's native binary, has run.
 */
import { unsupportedNodeMessage } from './node-version.js';

const refusal = unsupportedNodeMessage(process.versions.node);
if (refusal) {
  process.stderr.write(`${refusal}\n`);
  process.exit(1);
}
