/** The printed report of `bench:api`: the main table, where the CPU went, and the goal checks. */
import type { RowResult } from './load.js';

/** The options of a run (see bench/api.ts). */
export interface Options {
  readonly connections: number;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly documents: number;
  readonly json: string | undefined;
  readonly corpus: string;
}

export interface Report {
  readonly startedAt: string;
  readonly node: string;
  readonly cores: number;
  readonly loadBefore: number;
  readonly loadAfter: number;
  readonly options: Options;
  readonly apiEntry: string;
  readonly seed: {
    readonly source: string;
    readonly documents: number;
    readonly statuses: Readonly<Record<string, number>>;
    readonly validated: number;
    readonly overridden: number;
    readonly tokenScopes: readonly string[];
  };
  readonly rows: ReadonlyArray<RowResult & { readonly check: string }>;
  readonly wallSeconds: number;
}

const GOAL_LIST_RATIO = 0.2;
const GOAL_LIST_P99_MS = 25;
const GOAL_TOKEN_RATIO = 0.9;
const GOAL_CONNECTIONS = 32;
/** A load generator above this share of one core may be what limits the row. */
const CLIENT_BOUND_CORES = 0.85;

const LIST_SESSION = 'GET /v1/documents?limit=50 (session)';
const LIST_TOKEN = 'GET /v1/documents?limit=50 (token)';

const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 1) : 'n/a');
const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** Hello world runs first and last; the baseline is the mean of both, so drift shows in both rows. */
function helloBaseline(rows: Report['rows']): number {
  const hello = rows.filter((r) => r.name.startsWith('hello world'));
  return hello.reduce((sum, r) => sum + r.requestsPerSecond, 0) / Math.max(1, hello.length);
}

function mainTable(report: Report, baseline: number): string[] {
  const lines = [
    '| row | req/s | p50 ms | p99 ms | errors | non-2xx | ratio to hello world |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of report.rows)
    lines.push(
      `| ${r.name} | ${fixed(r.requestsPerSecond)} | ${ms(r.p50Ms)} | ${ms(r.p99Ms)} | ${r.errors} | ` +
        `${r.non2xx} | ${fixed(r.requestsPerSecond / baseline, 3)} |`,
    );
  return lines;
}

function detailTable(report: Report): string[] {
  const lines = [
    'Per row: responses, status codes, size, and CPU seconds over the measured interval ' +
      `(${report.cores} cores shared by everything on this machine):`,
    '',
    '| row | check | responses | status codes | bytes/response | max ms | timeouts | client CPU s | server CPU s | PostgreSQL CPU s | Azurite CPU s | server CPU ms/request | client CPU ms/request |',
    '| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of report.rows) {
    const codes = Object.entries(r.statusCodes)
      .map(([code, n]) => `${code}: ${n}`)
      .join(', ');
    lines.push(
      `| ${r.name} | ${r.check} | ${r.responses} | ${codes} | ${fixed(r.bytesPerResponse, 0)} | ${ms(r.maxMs)} | ` +
        `${r.timeouts} | ${fixed(r.cpu.client, 2)} | ${fixed(r.cpu.server, 2)} | ` +
        `${r.cpu.postgres === undefined ? 'n/a' : fixed(r.cpu.postgres, 2)} | ` +
        `${r.cpu.others.azurite === undefined ? 'n/a' : fixed(r.cpu.others.azurite, 2)} | ` +
        `${fixed((r.cpu.server / Math.max(1, r.responses)) * 1000, 3)} | ` +
        `${fixed((r.cpu.client / Math.max(1, r.responses)) * 1000, 3)} |`,
    );
  }
  return lines;
}

function clientNotes(report: Report): string[] {
  return report.rows
    .map((r) => ({ r, cores: r.cpu.client / r.durationSeconds }))
    .filter(({ cores }) => cores >= CLIENT_BOUND_CORES)
    .map(
      ({ r, cores }) =>
        `- note: the load generator used ${cores.toFixed(2)} of a core during "${r.name}": ` +
        'that row may be limited by the client, not the server (a faster server would not show).',
    );
}

function goalLines(report: Report, baseline: number): string[] {
  const session = report.rows.find((r) => r.name === LIST_SESSION);
  const token = report.rows.find((r) => r.name === LIST_TOKEN);
  if (!session || !token) return ['- FAIL: the list rows are missing'];
  const at = report.options.connections;
  const connectionsNote =
    at === GOAL_CONNECTIONS
      ? ''
      : ` (measured at ${at} connections; the goal is defined at ${GOAL_CONNECTIONS})`;
  const ratio = session.requestsPerSecond / baseline;
  const tokenRatio = token.requestsPerSecond / session.requestsPerSecond;
  const bad = report.rows.filter((r) => r.errors > 0 || r.non2xx > 0);
  return [
    `- ${verdict(ratio >= GOAL_LIST_RATIO)}: ${LIST_SESSION} >= ${GOAL_LIST_RATIO}× hello world req/s ` +
      `(${ratio.toFixed(3)}×: ${fixed(session.requestsPerSecond)} vs ${fixed(baseline)} req/s)`,
    `- ${verdict(session.p99Ms <= GOAL_LIST_P99_MS && at === GOAL_CONNECTIONS)}: ${LIST_SESSION} p99 <= ` +
      `${GOAL_LIST_P99_MS} ms at ${GOAL_CONNECTIONS} connections (${ms(session.p99Ms)} ms)${connectionsNote}`,
    `- ${verdict(tokenRatio >= GOAL_TOKEN_RATIO)}: token list >= ${GOAL_TOKEN_RATIO}× session list req/s ` +
      `(${tokenRatio.toFixed(3)}×)`,
    `- ${verdict(bad.length === 0)}: 0 errors and 0 non-2xx in every row` +
      (bad.length === 0
        ? ''
        : ` (${bad.map((r) => `${r.name}: ${r.errors} errors, ${r.non2xx} non-2xx`).join('; ')})`),
  ];
}

export function formatReport(report: Report): string {
  const baseline = helloBaseline(report.rows);
  const { options, seed } = report;
  const statuses = Object.entries(seed.statuses)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  const hello = report.rows.filter((r) => r.name.startsWith('hello world'));
  return [
    `## API benchmark (${report.startedAt})`,
    '',
    `API: ${report.apiEntry}; Node ${report.node}; autocannon in the benchmark process, ` +
      `${options.connections} connections, ${options.warmupSeconds} s warm-up (discarded) + ` +
      `${options.durationSeconds} s measured per row, rows one after another.`,
    `Seed: ${seed.documents} documents (${seed.source}); statuses ${statuses}; ${seed.validated} validated ` +
      `(${seed.overridden} with an override reason); token scopes ${seed.tokenScopes.join(', ')}.`,
    `Load average (1 min) at start ${report.loadBefore.toFixed(1)}, at end ${report.loadAfter.toFixed(1)}; ` +
      `${report.cores} cores, shared with whatever else runs on this machine.`,
    `Hello world: ${hello.map((r) => fixed(r.requestsPerSecond)).join(' then ')} req/s; ` +
      `ratios use their mean, ${fixed(baseline)} req/s.`,
    '',
    ...mainTable(report, baseline),
    '',
    ...detailTable(report),
    '',
    ...report.rows
      .filter((r) => r.segments.length > 1)
      .map(
        (r) =>
          `- "${r.name}" was measured in ${r.segments.length} halves (session, token, token, session): ` +
          `${r.segments.map((x) => fixed(x)).join(', ')} req/s`,
      ),
    ...clientNotes(report),
    '- server CPU ms/request depends far less than req/s on how much of the cores the server got ' +
      '(contention inflates it somewhat): 1000 / that is roughly the req/s one free core would allow',
    `- latencies are per response (every status), from autocannon's timer (send -> full answer)`,
    `- whole run ${report.wallSeconds.toFixed(0)} s`,
    '',
    'Goals:',
    ...goalLines(report, baseline),
    '',
  ].join('\n');
}
