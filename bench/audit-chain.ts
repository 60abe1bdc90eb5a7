/**
 * Audit benchmark: how fast one tenant's concurrent transactions can record audit events, how long
 * an event waits from being recorded to being chained while the worker's chain loop runs, and how
 * fast the chainer works through a backlog. It creates and migrates a throw-away database and
 * talks to it as the runtime role, in this process (no API, no Redis).
 *
 *   npm run bench:audit [-- --transactions 2000 --concurrency 16 --backlog 10000 --writers-only]
 *
 * `--writers-only` measures recording alone and never loads the chainer, so the same command can
 * be run against a build from before the sequencer for a before/after comparison.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { systemContext } from '../src/core/request-context.js';
import { createAuditService } from '../src/modules/audit/audit.service.js';
import { signerFromPrivateKey } from '../src/platform/crypto/signing-key.js';
import { openDb, type Db } from '../src/platform/db/db.js';
import { createLogger } from '../src/platform/logger.js';
import { BenchError, benchLog, Cleanups, createDatabase, quantile, runBenchmark } from './support.js';

const log = benchLog('bench:audit');
const cleanups = new Cleanups(log);

interface Options {
  readonly transactions: number;
  readonly concurrency: number;
  readonly backlog: number;
  readonly writersOnly: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const values = { transactions: 2000, concurrency: 16, backlog: 10_000 };
  let writersOnly = false;
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]?.replace(/^--/, '');
    if (name === 'writers-only') {
      writersOnly = true;
      continue;
    }
    if (name !== 'transactions' && name !== 'concurrency' && name !== 'backlog')
      throw new BenchError(`unknown argument "${argv[i]}"`);
    const value = Number(argv[++i]);
    if (!Number.isInteger(value) || value < 1) throw new BenchError(`--${name} needs a positive integer`);
    values[name] = value;
  }
  return { ...values, writersOnly };
}

const ms = (n: number) => `${n.toFixed(1)} ms`;

/** `count` transactions of one tenant, `concurrency` at a time, each recording one event. */
async function recordConcurrently(db: Db, tenantId: string, count: number, concurrency: number) {
  const audit = createAuditService({
    db,
    signer: signerFromPrivateKey(generateKeyPairSync('ed25519').privateKey),
  });
  const ctx = systemContext(tenantId, { kind: 'system', id: 'bench' });
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        await db.withTenant(ctx, (tx) =>
          audit.record(tx, ctx, { action: 'document.viewed', target: { type: 'document', id: `d${i}` } }),
        );
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    perSecond: count / seconds,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
  };
}

async function run(options: Options): Promise<{ output: string }> {
  const name = `doklad_bench_audit_${randomBytes(4).toString('hex')}`;
  const ownerUrl = await createDatabase(name, cleanups);
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  cleanups.push('close owner connection', () => owner.end());
  const newTenant = async () =>
    (
      await owner.query<{ id: string }>(
        `INSERT INTO tenants (name, region) VALUES ('Bench firm', 'eu-west') RETURNING id`,
      )
    ).rows[0]!.id;
  const db = openDb(ownerUrl.replace('postgres@', 'doklad_app@'), options.concurrency + 2);
  cleanups.push('close pool', () => db.close());
  const lines = [`| measurement | result |`, `|---|---|`];

  const tenantA = await newTenant();
  log(`recording: ${options.transactions} transactions, ${options.concurrency} at a time, chainer off`);
  const alone = await recordConcurrently(db, tenantA, options.transactions, options.concurrency);
  lines.push(
    `| record, ${options.concurrency} concurrent transactions of one tenant, no chainer | ` +
      `${alone.perSecond.toFixed(0)} tx/s (latency p50 ${ms(alone.p50)}, p99 ${ms(alone.p99)}) |`,
  );
  if (options.writersOnly) return { output: `${lines.join('\n')}\n` };

  const { createAuditChainer, startAuditChainLoop } = await import('../src/modules/audit/audit.chainer.js');
  const logger = createLogger('warn');
  const chainer = createAuditChainer({ db, logger, batchSize: 500 });
  await chainer.chainPending(tenantA);

  const tenantB = await newTenant();
  log('recording again with the chain loop running (200 ms interval)');
  const loop = startAuditChainLoop(chainer, { intervalMs: 200, logger });
  const withLoop = await recordConcurrently(db, tenantB, options.transactions, options.concurrency);
  const backlogQuery = `SELECT count(*)::int AS n FROM audit_events WHERE tenant_id = $1 AND seq IS NULL`;
  while ((await owner.query<{ n: number }>(backlogQuery, [tenantB])).rows[0]!.n > 0) await sleep(50);
  await loop.stop();
  const lag = await owner.query<{ p50: number; p99: number; max: number }>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY l) AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY l) AS p99, max(l) AS max
       FROM (SELECT (extract(epoch FROM chained_at - occurred_at) * 1000)::float8 AS l
               FROM audit_events WHERE tenant_id = $1 AND action = 'document.viewed') s`,
    [tenantB],
  );
  const { p50, p99, max } = lag.rows[0]!;
  lines.push(
    `| record, same, with the chain loop running | ${withLoop.perSecond.toFixed(0)} tx/s ` +
      `(latency p50 ${ms(withLoop.p50)}, p99 ${ms(withLoop.p99)}) |`,
    `| lag recorded -> chained (chained_at - occurred_at) | p50 ${ms(p50)}, p99 ${ms(p99)}, max ${ms(max)} |`,
  );

  const tenantC = await newTenant();
  await owner.query(
    `INSERT INTO audit_events (tenant_id, occurred_at, actor_kind, actor_id, action, payload)
     SELECT $1, now(), 'system', 'bench', 'document.viewed', jsonb_build_object('i', g)
       FROM generate_series(1, $2::int) g`,
    [tenantC, options.backlog],
  );
  log(`chaining a backlog of ${options.backlog} events`);
  const t0 = performance.now();
  const { chained } = await chainer.chainPending(tenantC);
  const seconds = (performance.now() - t0) / 1000;
  lines.push(
    `| chainer, backlog of ${options.backlog} events, batches of 500 | ${(chained / seconds).toFixed(0)} events/s ` +
      `(${seconds.toFixed(2)} s) |`,
  );
  return { output: `${lines.join('\n')}\n` };
}

runBenchmark({ log, cleanups, deadlineMs: 5 * 60_000, run: () => run(parseOptions(process.argv.slice(2))) });
