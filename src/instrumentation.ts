/**
 * Preload module: `node --import ./dist/src/instrumentation.js dist/src/main-api.js` (the npm
 * scripts, the Dockerfile and the tests start the processes that way). It must run before any
 * instrumented package (http, fastify, pg, ioredis) is loaded, which an import inside the entry
 * point cannot guarantee in ESM: every static import is loaded before the entry's body runs.
 *
 * Without OTEL_EXPORTER_OTLP_ENDPOINT it does nothing and loads nothing. A configuration error is
 * left to the entry point, which reports every problem at once.
 */
import { register } from 'node:module';
import { loadConfig, type Config } from './platform/config.js';
import { setTracingShutdown } from './platform/tracing.js';

let config: Config | undefined;
try {
  config = loadConfig();
} catch {
  config = undefined;
}

if (config?.tracing.endpoint) {
  // ESM modules are patched through import-in-the-middle's loader hook; CommonJS ones (fastify,
  // pg, ioredis) through require hooks the SDK installs itself.
  register('import-in-the-middle/hook.mjs', import.meta.url);
  const { startTracing } = await import('./platform/tracing-sdk.js');
  const tracing = startTracing({
    endpoint: config.tracing.endpoint,
    serviceName: config.tracing.serviceName,
  });
  // The entry points' shutdown ends by exporting what is still buffered (shutdownTracing).
  setTracingShutdown(() => tracing.shutdown());
}
