/**
 * `npm run lint:openapi` (part of `npm run lint`): lints the API's OpenAPI document, built offline
 * exactly as /docs/json serves it, with Redocly CLI's recommended ruleset (redocly.yaml). Any error
 * or warning fails, with one exception the script names each time: the liveness and readiness
 * probes have no 4xx answer at all (no input, no credential, no rate limit), so
 * `operation-4xx-response` does not apply to operations tagged `health`. Telemetry is off and
 * nothing is fetched: the document is a local file without remote references.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildOpenApiDocument } from './openapi-document.js';

interface Problem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: { pointer: string }[];
}

const root = path.resolve(import.meta.dirname, '..');
const started = Date.now();
const document = await buildOpenApiDocument();
const dir = mkdtempSync(path.join(tmpdir(), 'doklad-openapi-lint-'));
let problems: Problem[];
try {
  const file = path.join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(document, null, 2));
  const result = spawnSync(
    path.join(root, 'node_modules', '.bin', 'redocly'),
    ['lint', file, '--config', path.join(root, 'redocly.yaml'), '--format', 'json'],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    },
  );
  if (result.error || !result.stdout.trim().startsWith('{')) {
    console.error(result.error?.message ?? result.stderr);
    process.exit(2);
  }
  problems = (JSON.parse(result.stdout) as { problems: Problem[] }).problems;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** `#/paths/~1readyz/get/responses` -> the operation object it points into. */
function operationAt(pointer: string): { tags?: string[] } | undefined {
  const [, pathKey, method] = /^#\/paths\/([^/]+)\/([a-z]+)/.exec(pointer) ?? [];
  if (!pathKey || !method) return undefined;
  const paths = document.paths as Record<string, Record<string, { tags?: string[] }>>;
  return paths[pathKey.replaceAll('~1', '/').replaceAll('~0', '~')]?.[method];
}

const isHealthProbeWithout4xx = (p: Problem) =>
  p.ruleId === 'operation-4xx-response' &&
  operationAt(p.location[0]?.pointer ?? '')?.tags?.includes('health') === true;

const exempt = problems.filter(isHealthProbeWithout4xx);
const failing = problems.filter((p) => !isHealthProbeWithout4xx(p));
for (const p of failing) console.error(`${p.severity} ${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
const errors = failing.filter((p) => p.severity === 'error').length;
console.log(
  `OpenAPI (Redocly recommended): ${errors} errors, ${failing.length - errors} warnings` +
    ` (${exempt.length} health probes exempt from operation-4xx-response) in ${Date.now() - started} ms`,
);
// BullMQ's connections to the unreachable Redis keep scheduling reconnects after they are closed.
process.exit(failing.length === 0 ? 0 : 1);
