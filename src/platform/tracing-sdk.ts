/**
 * Starts the OpenTelemetry SDK for this process (see tracing.ts for why and when). Loaded only by
 * the preload module `src/instrumentation.ts`, and only when an OTLP endpoint is configured, so a
 * process without tracing never loads the SDK.
 */
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { Span } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';

export interface TracingSettings {
  /** OTLP/HTTP base URL, e.g. http://collector:4318 (spans go to `<endpoint>/v1/traces`). */
  readonly endpoint: string;
  readonly serviceName: string;
}

export interface RunningTracing {
  /** Exports what is still buffered and stops. */
  shutdown(): Promise<void>;
}

/** A plain function name, or nothing: an anonymous plugin is "named" by its source text. */
const FUNCTION_NAME = /^[\w$.-]{1,64}$/;

/**
 * Hook and handler spans are named after the function, or for an anonymous one after its
 * plugin, which Fastify names by the plugin's source text: kilobytes of code in a span name.
 * Such names become `<hook> - anonymous`, and the route template is added.
 */
function nameHookSpan(span: Span, info: { hookName: string; handler?: string; request: FastifyRequest }) {
  const handler = info.handler && FUNCTION_NAME.test(info.handler) ? info.handler : 'anonymous';
  const route = info.request.routeOptions.url;
  span.updateName(`${info.hookName} - ${handler}${route ? ` ${route}` : ''}`);
  span.setAttribute('hook.name', info.hookName);
  span.setAttribute('hook.callback.name', handler);
}

export function startTracing(settings: TracingSettings): RunningTracing {
  const sdk = new NodeSDK({
    serviceName: settings.serviceName,
    traceExporter: new OTLPTraceExporter({ url: `${settings.endpoint.replace(/\/+$/, '')}/v1/traces` }),
    // Resource attributes from what we pass, not from probing the host or the environment.
    autoDetectResources: false,
    instrumentations: [
      new HttpInstrumentation({
        // Health probes and scrapes arrive every few seconds and explain nothing.
        ignoreIncomingRequestHook: (request) => /^\/(healthz|readyz|metrics)\b/.test(request.url ?? ''),
      }),
      // Registers itself on every Fastify instance at start-up (diagnostics channel).
      new FastifyOtelInstrumentation({ registerOnInitialization: true, lifecycleHook: nameHookSpan }),
      // Statement text only, never the values bound to it (they hold tenant data).
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
      new IORedisInstrumentation(),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
