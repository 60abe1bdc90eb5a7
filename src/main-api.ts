// First, before anything that loads a native module: refuses an unsupported Node.js.
import './platform/node-version-guard.js';
import { buildApp } from './app/build-app.js';
import { createContainer } from './container.js';
import { createLogger } from './platform/logger.js';
import { startMetricsServerOrExit } from './platform/metrics-server.js';
import { shutdownTracing } from './platform/tracing.js';
import { loadConfigOrExit, onShutdownSignal } from './platform/process.js';

const config = loadConfigOrExit();
const logger = createLogger(config.LOG_LEVEL);
const container = await createContainer(config, logger);
const app = await buildApp(container);
// Prometheus scrapes a listener of its own, never the public port (see metrics-server.ts).
const metrics = config.METRICS_ENABLED
  ? await startMetricsServerOrExit(logger, {
      host: config.METRICS_HOST,
      port: config.METRICS_PORT,
      portSetting: 'METRICS_PORT',
      token: config.METRICS_TOKEN,
    })
  : undefined;

onShutdownSignal(logger, config.SHUTDOWN_GRACE_MS, async () => {
  await metrics?.close();
  await app.close();
  await container.close();
  await shutdownTracing();
});

const address = await app.listen({ host: config.HOST, port: config.PORT });
logger.info(
  { address, docs: `${address}/docs`, metrics: metrics && `${metrics.address}/metrics` },
  `Doklad API listening on ${address}; API docs at ${address}/docs`,
);
