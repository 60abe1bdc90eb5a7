/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and says where the CPU went, stage by stage, within
 * given time windows (e.g. the API's 100 MB uploads). Each sample is charged to the first frame,
 * walking from the leaf towards the root, that a stage rule recognises, node:buffer's frames
 * passed through to their caller: a `Buffer.copy` called by the block writer counts as our own
 * plumbing, the Azure SDK's stream code as SDK, and so on. Samples no rule recognises count as
 * "other JS" (or Node internals when only node:buffer frames were passed); idle samples are left
 * out.
 *
 * V8 stamps samples with the monotonic clock in microseconds, the clock `process.hrtime` reads in
 * any process on the machine, so windows recorded by the benchmark client line up with them.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** A time window in microseconds of the monotonic clock (`process.hrtime.bigint() / 1000n`). */
export interface Window {
  readonly startUs: number;
  readonly endUs: number;
}

const STAGES = [
  'AES-256-GCM (encrypt up, decrypt down)',
  'SHA-256',
  'cipher objects (one per segment)',
  'our framing and copies (segments, blocks)',
  'socket syscalls (read, write, writev)',
  'Azure SDK + its HTTP client',
  'HTTP server (Fastify, node:http)',
  'Node streams',
  'request work (database, KMS, audit, auth)',
  'event loop, timers, other Node internals',
  'GC',
  'native, unattributed (program)',
  'other JS',
] as const;
type Stage = (typeof STAGES)[number];

type Rule = (frame: CallFrame) => Stage | undefined;

const has = (frame: CallFrame, ...parts: string[]) => parts.some((part) => frame.url.includes(part));
const SYSCALLS = new Set(['writeBuffer', 'writev', 'writeUtf8String', 'writeLatin1String', 'read', 'close']);

/**
 * Leaf-first: for each frame (but node:buffer's, see `passesThrough`) the rules are tried in order,
 * and the first match decides.
 */
const RULES: readonly Rule[] = [
  (f) => (f.functionName === '(garbage collector)' ? 'GC' : undefined),
  (f) => (f.functionName === '(program)' ? 'native, unattributed (program)' : undefined),
  (f) => (f.url === '' && SYSCALLS.has(f.functionName) ? 'socket syscalls (read, write, writev)' : undefined),
  // Creating a Cipheriv/Decipheriv (and its key schedule, setAAD, the tag) is per-segment overhead.
  (f) =>
    has(f, 'internal/crypto/cipher') && ['update', 'final'].includes(f.functionName)
      ? 'AES-256-GCM (encrypt up, decrypt down)'
      : undefined,
  (f) => (has(f, 'internal/crypto/cipher') ? 'cipher objects (one per segment)' : undefined),
  (f) => (has(f, 'internal/crypto/hash') ? 'SHA-256' : undefined),
  (f) =>
    has(
      f,
      'segmented-aead',
      'block-writer',
      'release-buffer',
      'encrypted-upload',
      'decrypted-content',
      'platform/streams',
    )
      ? 'our framing and copies (segments, blocks)'
      : undefined,
  (f) =>
    has(f, '@azure/', '@typespec/', 'node:_http_client', 'node:_http_agent')
      ? 'Azure SDK + its HTTP client'
      : undefined,
  (f) =>
    has(
      f,
      'node_modules/pg',
      '@prisma',
      '/platform/db/',
      '/kms/',
      '/modules/audit/',
      '/modules/tenants/',
      '/app/authenticate',
      'ioredis',
      'bullmq',
    )
      ? 'request work (database, KMS, audit, auth)'
      : undefined,
  (f) =>
    has(f, 'node:_http', 'fastify', 'find-my-way', 'avvio', 'pino', 'light-my-request')
      ? 'HTTP server (Fastify, node:http)'
      : undefined,
  (f) => (has(f, 'node:internal/streams', 'node:stream') ? 'Node streams' : undefined),
  (f) => (f.url.startsWith('node:') ? 'event loop, timers, other Node internals' : undefined),
];

/**
 * node:buffer's frames (`copy`, `_copy`, `_copyActual` under a `Buffer.copy`) are charged to their
 * caller: a copy is the work of whoever asked for it, not a Node internal.
 */
const passesThrough = (frame: CallFrame): boolean => frame.url === 'node:buffer';

function stageOf(path: readonly CallFrame[]): Stage {
  let passed = false;
  for (const frame of path) {
    if (passesThrough(frame)) {
      passed = true;
      continue;
    }
    for (const rule of RULES) {
      const stage = rule(frame);
      if (stage) return stage;
    }
  }
  return passed ? 'event loop, timers, other Node internals' : 'other JS';
}

/** A parsed profile, and each sample node's stage (cached: many samples share a node). */
interface LoadedProfile {
  readonly profile: CpuProfile;
  readonly stageOfNode: (id: number) => Stage | 'idle';
}

function loadProfile(profileFile: string): LoadedProfile {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stageCache = new Map<number, Stage | 'idle'>();
  const stageOfNode = (id: number): Stage | 'idle' => {
    const cached = stageCache.get(id);
    if (cached) return cached;
    const leaf = byId.get(id) as ProfileNode;
    let stage: Stage | 'idle';
    if (leaf.callFrame.functionName === '(idle)') stage = 'idle';
    else {
      const path: CallFrame[] = [];
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        path.push((byId.get(at) as ProfileNode).callFrame);
      }
      stage = stageOf(path);
    }
    stageCache.set(id, stage);
    return stage;
  };
  return { profile, stageOfNode };
}

/** Milliseconds of samples per stage inside `windows`, and the total. */
function stagesOf(
  { profile, stageOfNode }: LoadedProfile,
  windows: readonly Window[],
): { byStage: Map<Stage, number>; totalMs: number } {
  const byStage = new Map<Stage, number>(STAGES.map((s) => [s, 0]));
  let totalMs = 0;
  let time = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    time += delta;
    // A sample stands for the time since the previous one.
    const inside = windows.some((w) => time >= w.startUs && time <= w.endUs);
    if (!inside) continue;
    const stage = stageOfNode(profile.samples[i] as number);
    if (stage === 'idle') continue;
    const ms = delta / 1000;
    byStage.set(stage, (byStage.get(stage) ?? 0) + ms);
    totalMs += ms;
  }
  return { byStage, totalMs };
}

/**
 * A markdown table: stage -> share of the profiled CPU time, one column per named window set.
 * Columns may share a file (upload and download windows of one profile): each file is read once.
 */
export function stageTable(
  columns: ReadonlyArray<{ name: string; file: string; windows: readonly Window[] }>,
): string[] {
  const loaded = new Map<string, LoadedProfile>();
  const profileOf = (file: string): LoadedProfile => {
    const known = loaded.get(file) ?? loadProfile(file);
    loaded.set(file, known);
    return known;
  };
  const results = columns.map((c) => ({ name: c.name, ...stagesOf(profileOf(c.file), c.windows) }));
  const lines = [
    `| stage | ${results.map((r) => `${r.name} %`).join(' | ')} |`,
    `| --- | ${results.map(() => '---:').join(' | ')} |`,
  ];
  for (const stage of STAGES) {
    if (results.every((r) => (r.byStage.get(stage) ?? 0) === 0)) continue;
    const cells = results.map((r) => (((r.byStage.get(stage) ?? 0) / r.totalMs) * 100).toFixed(1));
    lines.push(`| ${stage} | ${cells.join(' | ')} |`);
  }
  lines.push(`| profiled CPU (ms, not idle) | ${results.map((r) => r.totalMs.toFixed(0)).join(' | ')} |`);
  return lines;
}
