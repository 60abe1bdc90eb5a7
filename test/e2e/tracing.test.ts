/**
 * Traces as an operator gets them: the API and the worker run as real processes started with the
 * preload module (`--import src/instrumentation.ts`), exporting OTLP/HTTP JSON to a receiver in
 * this test. One upload must give one trace that holds the API's request, the enqueue and the
 * worker's processing, and the worker's log line for the job must carry that trace's id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE } from '../unit/extraction/fixtures/invoice-model.js';
import { ublXml } from '../unit/extraction/fixtures/xml-fixtures.js';
import { STRONG_PASSWORD, uniqueEmail } from '../helpers/auth.js';
import { childProcessEnv, useTestEnv } from '../helpers/test-env.js';

const env = useTestEnv({ app: false });

interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
}

const SPAN_KIND = { server: 2, client: 3, producer: 4, consumer: 5 } as const;

/** A minimal OTLP/HTTP receiver: JSON trace exports, kept in memory. */
function startReceiver(): Promise<{ server: Server; url: string; spans: ExportedSpan[] }> {
  const spans: ExportedSpan[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: Array<{
            resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
            scopeSpans: Array<{ spans: Array<Omit<ExportedSpan, 'service'>> }>;
          }>;
        };
        for (const resourceSpans of body.resourceSpans) {
          const service =
            resourceSpans.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
          for (const scope of resourceSpans.scopeSpans)
            for (const span of scope.spans) spans.push({ ...span, service });
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans }),
    ),
  );
}

function processEnv(otlpUrl: string, service: string): NodeJS.ProcessEnv {
  return childProcessEnv(env.config, {
    LOG_LEVEL: 'info',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
    OTEL_SERVICE_NAME: service,
  });
}

interface Started {
  child: ChildProcess;
  output: () => string;
}

/** Starts an entry point with the preload module; resolves when `ready` matches its output. */
function start(
  entry: string,
  environment: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<Started & { match: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './src/instrumentation.ts', entry], {
    env: environment,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not start:\n${output}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`${entry} exited (${code}):\n${output}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, output: () => output, match: match[1] ?? '' });
      }
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let api: Started & { match: string };
let worker: Started;

beforeAll(async () => {
  receiver = await startReceiver();
  [api, worker] = await Promise.all([
    start('src/main-api.ts', processEnv(receiver.url, 'doklad-api'), /"address":"(http:\/\/[^"]+)"/),
    start('src/main-worker.ts', processEnv(receiver.url, 'doklad-worker'), /(Doklad worker started)/),
  ]);
}, 90_000);

afterAll(async () => {
  await Promise.all([api && stop(api.child), worker && stop(worker.child)]);
  await new Promise((resolve) => receiver?.server.close(resolve));
});

describe('traces', () => {
  it('follows one upload from the API through the queue into the worker, in one trace, and the worker log carries its id', async () => {
    const base = api.match;
    const signup = await fetch(`${base}/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        tenantName: 'Trace Firm',
        email: uniqueEmail('trace'),
        password: STRONG_PASSWORD,
        name: 'Tracy',
      }),
    });
    expect(signup.status).toBe(201);
    const { token } = (await signup.json()) as { token: string };
    const upload = await fetch(`${base}/v1/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/xml' },
      body: ublXml({ ...SAMPLE, number: 'TRACE-1' }),
    });
    expect(upload.status, await upload.clone().text()).toBe(201);
    const documentId = ((await upload.json()) as { id: string }).id;

    const deadline = Date.now() + 30_000;
    while (!/"msg":"job processed"/.test(worker.output())) {
      if (Date.now() > deadline) throw new Error(`the worker did not process the job:\n${worker.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // Stopping flushes the spans still buffered in both processes.
    await Promise.all([stop(api.child), stop(worker.child)]);

    const spans = receiver.spans;
    const publish = spans.find((s) => s.name === 'extraction publish');
    expect(publish, `spans: ${spans.map((s) => `${s.service}:${s.name}`).join(', ')}`).toBeDefined();
    const trace = spans.filter((s) => s.traceId === publish!.traceId);
    const names = trace.map((s) => `${s.service}:${s.name}`);

    // API: the HTTP server span of the upload is the root of the trace, the enqueue under it.
    const root = trace.find((s) => !s.parentSpanId);
    expect(root, names.join(', ')).toMatchObject({ service: 'doklad-api', kind: SPAN_KIND.server });
    expect(publish).toMatchObject({ service: 'doklad-api', kind: SPAN_KIND.producer });
    // Fastify's handler span (named without the plugin's source text), PostgreSQL and Redis.
    expect(names).toContain('doklad-api:handler - anonymous /v1/documents');
    expect(names.some((n) => n.startsWith('doklad-api:pg.query:INSERT'))).toBe(true);
    expect(names).toContain('doklad-api:incr');
    for (const span of trace) expect(span.name.length, span.name).toBeLessThan(120);

    // Worker: the job's span is a child of the enqueue, with database work under it.
    const processSpan = trace.find((s) => s.name === 'extraction process');
    expect(processSpan, names.join(', ')).toMatchObject({
      service: 'doklad-worker',
      kind: SPAN_KIND.consumer,
      parentSpanId: publish!.spanId,
    });
    const workerChildren = trace.filter((s) => s.service === 'doklad-worker' && s !== processSpan);
    expect(
      workerChildren.some((s) => s.name.startsWith('pg.query:UPDATE')),
      names.join(', '),
    ).toBe(true);
    // The encrypted content is read from blob storage (an HTTP client span).
    expect(workerChildren.some((s) => s.name === 'GET' && s.kind === SPAN_KIND.client)).toBe(true);

    // Exactly one trace for the upload: no worker span of this document sits in another trace.
    const processSpans = spans.filter((s) => s.name === 'extraction process');
    expect(processSpans).toHaveLength(1);

    // The worker's log line for the job names the same trace.
    const line = worker
      .output()
      .split('\n')
      .find((l) => l.includes('"msg":"job processed"') && l.includes(documentId));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ traceId: publish!.traceId });
    // And the API's request log lines carry it too.
    expect(api.output()).toContain(`"traceId":"${publish!.traceId}"`);
  }, 90_000);
});
