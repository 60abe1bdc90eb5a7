// First, before anything that loads a native module: refuses an unsupported Node.js.
import './platform/node-version-guard.js';
import { createContainer } from './container.js';
import { createLogger } from './platform/logger.js';
import { observeQueues } from './platform/metrics.js';
import { startMetricsServerOrExit } from './platform/metrics-server.js';
import { shutdownTracing } from './platform/tracing.js';
import { loadConfigOrExit, onShutdownSignal } from './platform/process.js';
import { pingRedis } from './platform/redis.js';
import { createExtractionPool } from './workers/extraction-pool.js';
import { startWorkers } from './workers/start-workers.js';

const config = loadConfigOrExit();
const logger = createLogger(config.logLevel).child({ process: 'worker' });
// Extraction runs in worker threads, one per concurrent job, off this process's event loop.
const pool = config.extraction.inThreads ? createExtractionPool(config.extraction.concurrency) : undefined;
const container = await createContainer(config, logger, pool ? { extract: (task) => pool.run(task) } : {});

// Fail fast: a worker that cannot reach Redis can take no jobs, so it should not look healthy.
if (!(await pingRedis(container.redis))) {
  logger.fatal('Redis is unreachable at REDIS_URL; the worker cannot start');
  await container.close();
  process.exit(1);
}

const workers = await startWorkers(container);
// Queue depth and the oldest waiting job's age are read from Redis at each scrape.
observeQueues(() => container.queues.all());
const metrics = config.metrics.enabled
  ? await startMetricsServerOrExit(logger, {
      host: config.metrics.host,
      port: config.metrics.workerPort,
      portSetting: 'WORKER_METRICS_PORT',
      token: config.metrics.token,
    })
  : undefined;
onShutdownSignal(logger, config.http.shutdownGraceMs, async () => {
  await metrics?.close();
  await workers.close();
  await pool?.close();
  await container.close();
  await shutdownTracing();
});
logger.info(
  { queues: workers.queueNames, metrics: metrics && `${metrics.address}/metrics` },
  'Doklad worker started',
);
