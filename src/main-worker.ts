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
const logger = createLogger(config.LOG_LEVEL).child({ process: 'worker' });
// Extraction runs in worker threads, one per concurrent job, off this process's event loop.
const pool = config.EXTRACTION_IN_THREADS ? createExtractionPool(config.EXTRACTION_CONCURRENCY) : undefined;
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
const metrics = config.METRICS_ENABLED
  ? await startMetricsServerOrExit(logger, {
      host: config.METRICS_HOST,
      port: config.WORKER_METRICS_PORT,
      portSetting: 'WORKER_METRICS_PORT',
      token: config.METRICS_TOKEN,
    })
  : undefined;
onShutdownSignal(logger, config.SHUTDOWN_GRACE_MS, async () => {
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
