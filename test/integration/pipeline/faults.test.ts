/**
 * Fault tests: a worker killed mid-extraction, Redis gone during an upload, a job that keeps
 * failing. Nothing may be lost and nothing extracted twice.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app/build-app.js';
import { createContainer } from '../../../src/container.js';
import { createLogger } from '../../../src/platform/logger.js';
import { freePort } from '../../../scripts/dev-services/free-port.js';
import { createQueue } from '../../../src/platform/queue.js';
import { INTERNAL_FAILURE_REASON } from '../../../src/modules/extractions/extractions.failures.js';
import { EXTRACTION_QUEUE } from '../../../src/modules/extractions/extractions.jobs.js';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers.js';
import { SAMPLE } from '../../unit/extraction/fixtures/invoice-model.js';
import {
  englishLayout,
  scannedPdfBytes,
  textInvoicePdfBytes,
} from '../../unit/extraction/fixtures/pdf-fixtures.js';
import { ublXml } from '../../unit/extraction/fixtures/xml-fixtures.js';
import { bearer, signup } from '../../helpers/auth.js';
import { uploadRaw } from '../../helpers/documents.js';
import { childProcessEnv, useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv({
  env: { EXTRACTION_ATTEMPTS: '3', EXTRACTION_BACKOFF_MS: '50', EXTRACTION_LOCK_MS: '3000' },
});
const children: ChildProcess[] = [];
let workers: RunningWorkers | undefined;
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await workers?.close();
});

async function statusOf(id: string): Promise<string> {
  const { rows } = await env.adminQuery('SELECT status FROM documents WHERE id = $1', [id]);
  return rows[0].status;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** A worker process with this test file's configuration. */
function workerProcess(extra: Record<string, string> = {}): ChildProcess {
  const c = env.config;
  // node itself (not the tsx CLI, which would wrap it in a second process): SIGKILL must hit the
  // process that holds the job.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main-worker.ts'], {
    env: childProcessEnv(c, { EXTRACTION_LOCK_MS: '3000', LOG_LEVEL: 'warn', ...extra }),
    stdio: 'ignore',
  });
  children.push(child);
  return child;
}

describe('worker killed mid-extraction', () => {
  it('lets another worker finish the job: the document ends extracted exactly once', async () => {
    const owner = await signup(env.app);
    // A scanned invoice: OCR keeps the worker busy long enough to be killed mid-way.
    const text = await textInvoicePdfBytes(englishLayout({ ...SAMPLE, number: 'KILL-1' }));
    const scan = Buffer.from((await scannedPdfBytes(text, 200)).pdf);
    const id = (await uploadRaw(env.app, owner.token, scan, { contentType: 'application/pdf' })).json().id;
    const first = workerProcess();
    await waitFor(async () => (await statusOf(id)) === 'extracting', 60_000, 'the first worker to start');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect(await statusOf(id)).toBe('extracting');
    const second = workerProcess();
    await waitFor(
      async () => ['extracted', 'needs_review'].includes(await statusOf(id)),
      90_000,
      'the second worker to finish',
    );
    const { rows } = await env.adminQuery(
      'SELECT count(*)::int AS n FROM extractions WHERE document_id = $1',
      [id],
    );
    expect(rows[0].n).toBe(1);
    // SIGTERM: the worker stops taking jobs, finishes the running ones and exits 0.
    const exited = new Promise<number | null>((resolve) => second.once('exit', resolve));
    second.kill('SIGTERM');
    expect(await exited).toBe(0);
    children.splice(0);
  }, 180_000);
});

describe('a job that keeps failing', () => {
  it('ends failed with its reason after the configured attempts, and stays inspectable', async () => {
    const owner = await signup(env.app);
    const id = (
      await uploadRaw(env.app, owner.token, Buffer.from(ublXml({ ...SAMPLE, number: 'FAIL-1' })), {
        contentType: 'application/xml',
      })
    ).json().id;
    // The ciphertext disappears from storage: every attempt fails the same way.
    await env.blobStore.delete(env.blobStore.containerFor(owner.tenantId), id);
    workers = await startWorkers(env.container);
    await waitFor(async () => (await statusOf(id)) === 'failed', 30_000, 'the document to fail');
    const { rows } = await env.adminQuery(
      'SELECT failure_reason, processing_run_id FROM documents WHERE id = $1',
      [id],
    );
    // The blob store's message (it names the container) stays in the log; the reason is generic.
    expect(rows[0].failure_reason).toBe(INTERNAL_FAILURE_REASON);
    const queue = createQueue(
      { redisUrl: env.config.redis.url, keyPrefix: env.config.redis.keyPrefix },
      EXTRACTION_QUEUE,
    );
    const job = await queue.getJob(`extract-${id}-${rows[0].processing_run_id}`);
    expect(job?.attemptsMade).toBe(3);
    expect(await job?.isFailed()).toBe(true);
    await queue.close();
    const doc = (await env.app.inject({ url: `/v1/documents/${id}`, headers: bearer(owner.token) })).json();
    expect(doc).toMatchObject({ status: 'failed', failureReason: INTERNAL_FAILURE_REASON });
  }, 60_000);
});

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

describe.skipIf(!hasRedisServer)('Redis down during an upload (needs the redis-server binary)', () => {
  it('keeps the document and processes it once Redis is back', async () => {
    const port = await freePort();
    const startRedis = () => {
      const child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      children.push(child);
      return child;
    };
    let redis = startRedis();
    await sleep(300);
    const config = Object.freeze({
      ...env.config,
      redis: { ...env.config.redis, url: `redis://127.0.0.1:${port}` },
    });
    const container = await createContainer(config, createLogger('silent'), { clock: env.clock });
    const app = await buildApp(container);
    try {
      const owner = await signup(app);
      redis.kill('SIGKILL');
      await new Promise((r) => redis.once('exit', r));
      const up = await uploadRaw(app, owner.token, Buffer.from(ublXml({ ...SAMPLE, number: 'OUTAGE-2' })), {
        contentType: 'application/xml',
      });
      expect(up.statusCode).toBe(201);
      expect(up.json().status).toBe('stored');
      redis = startRedis();
      await sleep(500);
      const local = await startWorkers(container);
      try {
        env.clock.advance(60_000);
        await waitFor(
          async () =>
            (await container.pipeline.reconcile()).enqueued >= 0 &&
            ['extracted', 'needs_review'].includes(await statusOf(up.json().id)),
          60_000,
          'the document to be processed after the outage',
        );
      } finally {
        await local.close();
      }
    } finally {
      await app.close();
      await container.close();
    }
  }, 120_000);
});
