// First, before anything that loads a native module: refuses an unsupported Node.js.
import './platform/node-version-guard.js';
import { buildApp } from './app/build-app.js';
import { createContainer } from './container.js';
import { createLogger } from './platform/logger.js';
import { loadConfigOrExit, onShutdownSignal } from './platform/process.js';

const config = loadConfigOrExit();
const logger = createLogger(config.LOG_LEVEL);
const container = await createContainer(config, logger);
const app = await buildApp(container);

onShutdownSignal(logger, config.SHUTDOWN_GRACE_MS, async () => {
  await app.close();
  await container.close();
});

const address = await app.listen({ host: config.HOST, port: config.PORT });
logger.info(
  { address, docs: `${address}/docs` },
  `Doklad API listening on ${address}; API docs at ${address}/docs`,
);
