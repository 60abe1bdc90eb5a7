/**
 * OpenTelemetry traces. Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set: then the SDK exports over
 * OTLP/HTTP with the HTTP, Fastify, pg and ioredis instrumentations. The SDK must start before
 * the instrumented packages load, so it is started by the preload module `src/instrumentation.ts`
 * (`node --import ./dist/src/instrumentation.js dist/src/main-api.js`); see docs/operations.md.
 *
 * The helpers below use only `@opentelemetry/api`, which does nothing (and costs next to nothing)
 * when no SDK was started: the hot path pays for tracing only where it is switched on.
 *
 * A job carries its trace context as a W3C `traceparent` string in its data: trace and span ids
 * and the sampled flag, nothing else (no baggage), so job payloads stay ids only.
 */
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';

const tracer = () => trace.getTracer('doklad');

/** What a job's data may carry to join the enqueuing request's trace. */
export interface TraceCarrier {
  readonly traceparent?: string;
}

/** The active trace context as job data (`{}` when nothing is traced). */
export function currentTraceCarrier(): TraceCarrier {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? { traceparent: carrier.traceparent } : {};
}

/** The active span's ids, for log lines (pino mixin); `{}` when nothing is traced. */
export function activeTraceIds(): { traceId?: string; spanId?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  // An unsampled or invalid context names no trace anyone can look up.
  return traceFlags & 1 ? { traceId, spanId } : {};
}

async function inSpan<T>(span: Span, work: () => Promise<T>, parent = context.active()): Promise<T> {
  try {
    return await context.with(trace.setSpan(parent, span), work);
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}

/** Runs `work` in a PRODUCER span `<queue> publish` (the enqueue, with its Redis commands). */
export function tracePublish<T>(queue: string, attributes: Attributes, work: () => Promise<T>): Promise<T> {
  const span = tracer().startSpan(`${queue} publish`, {
    kind: SpanKind.PRODUCER,
    attributes: { 'messaging.system': 'bullmq', 'messaging.destination.name': queue, ...attributes },
  });
  return inSpan(span, work);
}

/**
 * Runs `work` in a CONSUMER span `<queue> process`, a child of the context the job carries, so
 * the worker's spans (and log lines) join the trace of the request that enqueued the job.
 */
export function traceProcess<T>(
  queue: string,
  carrier: TraceCarrier | undefined,
  attributes: Attributes,
  work: () => Promise<T>,
): Promise<T> {
  const parent = carrier?.traceparent
    ? propagation.extract(context.active(), { traceparent: carrier.traceparent })
    : context.active();
  const span = tracer().startSpan(
    `${queue} process`,
    {
      kind: SpanKind.CONSUMER,
      attributes: { 'messaging.system': 'bullmq', 'messaging.destination.name': queue, ...attributes },
    },
    parent,
  );
  return inSpan(span, work, parent);
}

let stopTracing: () => Promise<void> = async () => undefined;

/** Set by the preload module that started the SDK. */
export function setTracingShutdown(stop: () => Promise<void>): void {
  stopTracing = stop;
}

/** Exports the spans still buffered and stops the SDK; the entry points call it last on shutdown. */
export function shutdownTracing(): Promise<void> {
  return stopTracing().catch(() => undefined);
}
