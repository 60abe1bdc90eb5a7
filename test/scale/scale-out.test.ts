/**
 * Scale-out proof (`npm run test:scale`, called by .ci/run): two API processes and two worker
 * processes share one PostgreSQL, one Redis and one Azurite, all on loopback. 200 uploads are
 * spread over both APIs through four integration tokens; one worker and one API are killed
 * (SIGKILL) mid-run, and an upload the dead API did not answer is retried on the other with the
 * same Idempotency-Key, as a load balancer's client would. Then: every document is extracted
 * exactly once, the rate limit is one limit across the APIs (Redis), a session from one API works
 * on the other, and every tenant's audit chain verifies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemContext } from '../../src/core/request-context.js';
import { SAMPLE } from '../unit/extraction/fixtures/invoice-model.js';
import { ublXml } from '../unit/extraction/fixtures/xml-fixtures.js';
import { STRONG_PASSWORD, uniqueEmail } from '../helpers/auth.js';
import { childProcessEnv, useTestEnv } from '../helpers/test-env.js';

const UPLOADS = 200;
const TOKENS = 4;
const CONCURRENCY = 8;
const RATE_LIMIT_MAX = 120;

const env = useTestEnv({ app: false });

function processEnv(): NodeJS.ProcessEnv {
  return childProcessEnv(env.config, {
    RATE_LIMIT_MAX: String(RATE_LIMIT_MAX),
    // A killed worker's job is taken over quickly.
    EXTRACTION_LOCK_MS: '3000',
    // An upload whose API died between its commit and the enqueue stays `queued` without a job
    // until the reconciler (every minute) sees it older than EXTRACTION_TIMEOUT_MS x (attempts + 1):
    // 8 minutes by default, 20 s here.
    EXTRACTION_TIMEOUT_MS: '5000',
    EXTRACTION_ATTEMPTS: '3',
    EXTRACTION_BACKOFF_MS: '200',
    DOCS_ENABLED: 'false',
    LOG_LEVEL: 'warn',
  });
}

interface Started {
  readonly name: string;
  readonly child: ChildProcess;
  /** Base URL (APIs only). */
  readonly url: string;
  output(): string;
}

const started: Started[] = [];

function start(name: string, entry: string, ready: RegExp): Promise<Started> {
  // node itself, not the tsx CLI (a second process): SIGKILL must hit the process doing the work.
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { ...processEnv(), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${output}`)), 90_000);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}):\n${output}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        const s = { name, child, url: match[1] ?? '', output: () => output };
        started.push(s);
        resolve(s);
      }
    });
  });
}

async function kill(s: Started, signal: NodeJS.Signals): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise((resolve) => s.child.once('exit', resolve));
  s.child.kill(signal);
  await exited;
}

let apiA: Started;
let apiB: Started;
let workerA: Started;
let workerB: Started;

beforeAll(async () => {
  const apiReady = /"address":"(http:\/\/[^"]+)"/;
  const workerReady = /(Doklad worker started)/;
  [apiA, apiB, workerA, workerB] = await Promise.all([
    start('api-a', 'src/main-api.ts', apiReady),
    start('api-b', 'src/main-api.ts', apiReady),
    start('worker-a', 'src/main-worker.ts', workerReady),
    start('worker-b', 'src/main-worker.ts', workerReady),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all(started.map((s) => kill(s, 'SIGTERM')));
});

async function json<T>(response: Response): Promise<T> {
  const text = await response.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`not JSON (${response.status}): ${text.slice(0, 300)}`);
  }
}

async function signupOn(api: Started, label: string): Promise<{ token: string; tenantId: string }> {
  const res = await fetch(`${api.url}/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      tenantName: `Scale ${label}`,
      email: uniqueEmail(label),
      password: STRONG_PASSWORD,
      name: 'Scale Tester',
    }),
  });
  expect(res.status).toBe(201);
  const body = await json<{ token: string; tenant: { id: string } }>(res);
  return { token: body.token, tenantId: body.tenant.id };
}

describe('scale-out: 2 APIs and 2 workers on one PostgreSQL, Redis and Azurite', () => {
  it('shares sessions and one rate limit across the APIs, and extracts every one of 200 uploads exactly once through a worker and an API crash', async () => {
    // A session made on A works on B (both APIs read the same sessions and principal changes).
    const probe = await signupOn(apiA, 'probe');
    const onB = await fetch(`${apiB.url}/v1/documents`, {
      headers: { authorization: `Bearer ${probe.token}` },
    });
    expect(onB.status).toBe(200);

    // One limit for the principal across both APIs: alternating A and B, the refusals start after
    // RATE_LIMIT_MAX requests in all (two private limits would allow twice as many).
    let allowed = 1; // the request on B above
    let firstRefusal = 0;
    for (let i = 0; i < RATE_LIMIT_MAX + 10 && !firstRefusal; i++) {
      const api = i % 2 === 0 ? apiA : apiB;
      const res = await fetch(`${api.url}/v1/documents?limit=1`, {
        headers: { authorization: `Bearer ${probe.token}` },
      });
      await res.arrayBuffer();
      if (res.status === 429) firstRefusal = allowed + 1;
      else allowed += 1;
    }
    expect(firstRefusal).toBe(RATE_LIMIT_MAX + 1);

    // The uploading firm and its integration tokens (each token is its own rate-limit principal).
    const firm = await signupOn(apiB, 'firm');
    const tokens: string[] = [];
    for (let i = 0; i < TOKENS; i++) {
      const res = await fetch(`${(i % 2 ? apiA : apiB).url}/v1/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${firm.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `erp-${i}`, scopes: ['documents:read', 'documents:write'] }),
      });
      expect(res.status).toBe(201);
      tokens.push((await json<{ token: string }>(res)).token);
    }

    let apiBAlive = true;
    let retriedOnA = 0;
    let workerKilled = false;
    const documentIds = new Set<string>();
    const upload = async (n: number): Promise<void> => {
      const body = ublXml({ ...SAMPLE, number: `SCALE-${n}` });
      const headers = {
        authorization: `Bearer ${tokens[n % TOKENS]}`,
        'content-type': 'application/xml',
        'idempotency-key': `scale-${n}`,
      };
      let api = n % 2 === 0 || !apiBAlive ? apiA : apiB;
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await fetch(`${api.url}/v1/documents`, { method: 'POST', headers, body });
          const answer = await json<{ id: string }>(res);
          expect([200, 201], JSON.stringify(answer)).toContain(res.status);
          documentIds.add(answer.id);
          return;
        } catch (error) {
          // The dead API: the client's next try goes to the other one, same Idempotency-Key.
          if (api !== apiB || attempt > 2) throw error;
          api = apiA;
          retriedOnA += 1;
        }
      }
    };

    let next = 0;
    const lanes = Array.from({ length: CONCURRENCY }, async () => {
      while (next < UPLOADS) {
        const n = next++;
        if (n === Math.floor(UPLOADS / 3) && !workerKilled) {
          workerKilled = true;
          void kill(workerA, 'SIGKILL');
        }
        if (n === Math.floor(UPLOADS / 2) && apiBAlive) {
          apiBAlive = false;
          void kill(apiB, 'SIGKILL');
        }
        await upload(n);
      }
    });
    await Promise.all(lanes);
    expect(workerA.child.signalCode).toBe('SIGKILL');
    expect(workerB.child.exitCode).toBeNull();
    expect(apiB.child.signalCode).toBe('SIGKILL');

    // Every document leaves the pipeline (the surviving worker takes over the killed one's jobs,
    // the reconciler enqueues what the dead API committed but never enqueued).
    const uploadedAt = Date.now();
    const deadline = uploadedAt + 150_000;
    for (;;) {
      const { rows } = await env.adminQuery<{ id: string; status: string }>(
        `SELECT id, status FROM documents
          WHERE tenant_id = $1 AND status IN ('stored', 'queued', 'extracting')`,
        [firm.tenantId],
      );
      if (rows.length === 0) break;
      if (Date.now() > deadline)
        throw new Error(`still in the pipeline: ${rows.map((r) => `${r.id} ${r.status}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const drainedMs = Date.now() - uploadedAt;

    const { rows: docs } = await env.adminQuery<{ documents: string; distinct_content: string }>(
      `SELECT count(*) AS documents, count(DISTINCT sha256) AS distinct_content FROM documents WHERE tenant_id = $1`,
      [firm.tenantId],
    );
    const { rows: runs } = await env.adminQuery<{ status: string; extractions: number }>(
      `SELECT d.status, count(e.id)::int AS extractions
         FROM documents d LEFT JOIN extractions e ON e.document_id = d.id AND e.origin = 'engine'
        WHERE d.tenant_id = $1 GROUP BY d.id, d.status`,
      [firm.tenantId],
    );
    const documents = Number(docs[0]!.documents);
    const duplicated = documents - Number(docs[0]!.distinct_content);
    const extractedOnce = runs.filter(
      (r) => ['extracted', 'needs_review'].includes(r.status) && r.extractions === 1,
    ).length;
    const extractedTwice = runs.filter((r) => r.extractions > 1).length;
    console.log(
      `[scale] uploads attempted ${UPLOADS}, retried on the other API ${retriedOnA}, documents ${documents}, ` +
        `extracted exactly once ${extractedOnce}, extracted more than once ${extractedTwice}, duplicated documents ${duplicated}; ` +
        `pipeline drained ${Math.round(drainedMs / 1000)} s after the last upload`,
    );
    expect(documentIds.size).toBe(UPLOADS);
    expect(documents).toBe(UPLOADS);
    expect(duplicated).toBe(0);
    expect(extractedTwice).toBe(0);
    expect(extractedOnce).toBe(UPLOADS);

    // The surviving worker chains what the APIs and both workers recorded; every chain verifies.
    for (const tenantId of [firm.tenantId, probe.tenantId]) {
      const ctx = systemContext(tenantId);
      const chainDeadline = Date.now() + 60_000;
      let verification = await env.container.audit.verifyChain(ctx);
      while (verification.unchained.count > 0 && Date.now() < chainDeadline) {
        await new Promise((r) => setTimeout(r, 300));
        verification = await env.container.audit.verifyChain(ctx);
      }
      console.log(
        `[scale] audit chain of ${tenantId === firm.tenantId ? 'the uploading firm' : 'the probe'}: ` +
          `ok ${verification.ok}, events ${verification.eventsChecked}, unchained ${verification.unchained.count}`,
      );
      expect(verification).toMatchObject({ ok: true, unchained: { count: 0 } });
      expect(verification.eventsChecked).toBeGreaterThan(0);
    }
    const { rows: uploadedEvents } = await env.adminQuery<{ n: string }>(
      `SELECT count(*) AS n FROM audit_events WHERE tenant_id = $1 AND action = 'document.uploaded'`,
      [firm.tenantId],
    );
    expect(Number(uploadedEvents[0]!.n)).toBe(UPLOADS);
  }, 300_000);
});
