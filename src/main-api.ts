// First, before anything that loads a native module: refuses an unsupported Node.js.
import './platform/node-version-guard.js';
import { buildApp } from './app/build-app.js';
import { createContainer } from './container.js';
import { createLogger } from './platform/logger.js';
import { startMetricsServerOrExit } from './platform/metrics-server.js';
import { shutdownTracing } from './platform/tracing.js';
import { loadConfigOrExit, onShutdownSignal } from './platform/process.js';

const config = loadConfigOrExit();
const logger = createLogger(config.logLevel);
const container = await createContainer(config, logger);
const app = await buildApp(container);
// Prometheus scrapes a listener of its own, never the public port (see metrics-server.ts).
const metrics = config.metrics.enabled
  ? await startMetricsServerOrExit(logger, {
      host: config.metrics.host,
      port: config.metrics.apiPort,
      portSetting: 'METRICS_PORT',
      token: config.metrics.token,
    })
  : undefined;

onShutdownSignal(logger, config.http.shutdownGraceMs, async () => {
  await metrics?.close();
  await app.close();
  await container.close();
  await shutdownTracing();
});

const address = await app.listen({ host: config.http.host, port: config.http.port });
logger.info(
  { address, docs: `${address}/docs`, metrics: metrics && `${metrics.address}/metrics` },
  `Doklad API listening on ${address}; API docs at ${address}/docs`,
);
