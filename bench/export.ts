/**
 * Export memory benchmark: a firm's data export streams its whole archive (documents decrypted,
 * extractions, audit log) through encryption into blob storage, so the worker's memory must not
 * grow with the number of documents. Seeds a firm with 100, then 1,000 small documents (real
 * uploads: encrypted, in Azurite, rows in a fresh PostgreSQL database), runs the export job in this
 * process each time, and samples RSS every 20 ms while it runs.
 *
 *   npm run bench:export
 *
 * Prints the peak RSS growth over the RSS just before each export; the goal is a growth for 1,000
 * documents under 64 MiB and under 2x the growth for 100 (what grows with the firm is time, not
 * memory). Exits 0 when every measurement completed (a FAIL is a result), non-zero when
 * something broke or the run took longer than 10 minutes.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { createContainer, type Container } from '../src/container.js';
import { systemContext, type RequestContext } from '../src/core/request-context.js';
import { loadConfig } from '../src/platform/config.js';
import { createLogger } from '../src/platform/logger.js';
import { benchLog, Cleanups, runBenchmark, startBenchStack } from './support.js';

const MB = 1024 * 1024;
const STEPS = [100, 1_000] as const;
const GOAL_GROWTH_MB = 64;
const GOAL_RATIO = 2;
const SAMPLE_MS = 20;

const log = benchLog('bench:export');
const cleanups = new Cleanups(log);

/** A small, unique PDF (~2 KiB): many documents, not big ones, is what this measures. */
function smallPdf(index: number): Buffer {
  const filler = randomBytes(900).toString('hex');
  return Buffer.from(`%PDF-1.7\n% export bench ${index}\n% ${filler}\n%%EOF\n`);
}

async function seed(container: Container, ctx: RequestContext, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    await container.uploads.upload(ctx, {
      source: Readable.from([smallPdf(i)]),
      filename: `invoice-${i}.pdf`,
      metadata: async () => ({}),
    });
  }
}

async function measureExport(container: Container, ctx: RequestContext) {
  const view = await container.exports.requestExport(ctx);
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, SAMPLE_MS);
  const started = performance.now();
  try {
    const done = await container.exports.buildExport({ tenantId: ctx.tenantId, exportId: view.id });
    peak = Math.max(peak, process.memoryUsage().rss);
    return {
      seconds: (performance.now() - started) / 1000,
      growthMb: (peak - baseline) / MB,
      baselineMb: baseline / MB,
      archiveMb: (done.sizeBytes ?? 0) / MB,
      documents: done.progress.documentsDone,
    };
  } finally {
    clearInterval(timer);
  }
}

runBenchmark({
  log,
  cleanups,
  deadlineMs: 10 * 60_000,
  async run() {
    const stack = await startBenchStack({
      name: 'export',
      runId: randomBytes(4).toString('hex'),
      blobContainerPrefix: 'benchexp',
      extraEnv: {},
      cleanups,
      log,
    });
    const config = loadConfig(stack.env);
    const container = await createContainer(config, createLogger('warn'));
    cleanups.push('close container', () => container.close());
    const tenant = await container.tenants.createTenant(
      { actor: { kind: 'system', id: 'bench' } },
      { name: 'Export bench firm' },
    );
    const ctx = systemContext(tenant.id, { kind: 'system', id: 'bench' });
    const rows: string[] = [];
    let seeded = 0;
    const results: { documents: number; growthMb: number }[] = [];
    for (const documents of STEPS) {
      log(`seeding ${documents - seeded} documents`);
      await seed(container, ctx, seeded, documents);
      seeded = documents;
      const result = await measureExport(container, ctx);
      results.push({ documents, growthMb: result.growthMb });
      rows.push(
        `| ${String(result.documents).padStart(9)} | ${result.archiveMb.toFixed(1).padStart(10)} | ` +
          `${result.seconds.toFixed(1).padStart(7)} | ${result.baselineMb.toFixed(0).padStart(11)} | ` +
          `${result.growthMb.toFixed(1).padStart(15)} |`,
      );
    }
    const [small, large] = results as [(typeof results)[0], (typeof results)[0]];
    const ratio = large.growthMb / Math.max(small.growthMb, 1);
    const pass = large.growthMb < GOAL_GROWTH_MB && ratio < GOAL_RATIO;
    const output = [
      '',
      'Tenant export: peak RSS growth of the exporting process',
      '',
      '| documents | archive MB | seconds | RSS before MB | peak growth MB |',
      '|----------:|-----------:|--------:|--------------:|---------------:|',
      ...rows,
      '',
      `Goal: growth for ${large.documents} documents < ${GOAL_GROWTH_MB} MB and < ${GOAL_RATIO}x the growth ` +
        `for ${small.documents} (ratio ${ratio.toFixed(2)}, floor 1 MB): ${pass ? 'PASS' : 'FAIL'}`,
      '',
    ].join('\n');
    return { output };
  },
});
