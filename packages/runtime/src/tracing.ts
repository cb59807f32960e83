/**
 * OpenTelemetry tracing, off by default (BOORU_TRACING). One trace per file: the watcher
 * publishes inside a span and puts its W3C `traceparent` in the NATS headers; dedup continues
 * the trace (withTrace) and carries it to the hasher and catalog in gRPC metadata (the client
 * interceptor), where GrpcHost opens a server span per call.
 *
 * Off: every entry point is one boolean check; the SDK is not even loaded.
 */
import {
  context,
  propagation,
  trace,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from "@opentelemetry/api";
import { InterceptingCall, status as grpcStatus, type Interceptor, type Metadata } from "@grpc/grpc-js";
import type { SpanExporter } from "@opentelemetry/sdk-trace-node";

export { SpanKind };

const TRACER = "booru";
let enabled = false;
let shutdown: (() => Promise<void>) | undefined;

export interface TracingOptions {
  /** service.name of the spans (OTEL_SERVICE_NAME wins when set). */
  serviceName: string;
  /** Where spans go; default OTLP/proto to OTEL_EXPORTER_OTLP_ENDPOINT (tests pass an in-memory one). */
  exporter?: SpanExporter;
  /** Export each span as it ends instead of in batches (tests). */
  immediate?: boolean;
}

export const tracingEnabled = (): boolean => enabled;

/** Registers the global tracer provider and W3C propagator. Call once per process. */
export async function startTracing(opts: TracingOptions): Promise<void> {
  if (enabled) return;
  // Loaded only when tracing is on, so a process with tracing off pays nothing for the SDK.
  const [{ NodeTracerProvider, BatchSpanProcessor, SimpleSpanProcessor }, { resourceFromAttributes }] = await Promise.all([
    import("@opentelemetry/sdk-trace-node"),
    import("@opentelemetry/resources"),
  ]);
  const exporter = opts.exporter ?? new (await import("@opentelemetry/exporter-trace-otlp-proto")).OTLPTraceExporter();
  const processor = opts.immediate ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": process.env.OTEL_SERVICE_NAME ?? opts.serviceName }),
    spanProcessors: [processor],
  });
  provider.register();
  enabled = true;
  shutdown = async () => {
    enabled = false;
    await provider.forceFlush();
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  };
}

/** Flushes pending spans and unregisters the provider (at process stop). */
export async function stopTracing(): Promise<void> {
  const stop = shutdown;
  shutdown = undefined;
  await stop?.();
}

const recordGetter: TextMapGetter<Record<string, string>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key] ?? carrier[key.toLowerCase()],
};

const metadataGetter: TextMapGetter<Metadata> = {
  keys: (md) => Object.keys(md.getMap()),
  get: (md, key) => {
    const values = md.get(key).map(String);
    return values.length > 0 ? values : undefined;
  },
};

const metadataSetter: TextMapSetter<Metadata> = { set: (md, key, value) => md.set(key, value) };

/** W3C trace-context headers for the active span (empty when tracing is off). */
export function traceHeaders(): Record<string, string> {
  const out: Record<string, string> = {};
  if (enabled) propagation.inject(context.active(), out);
  return out;
}

/** Adds attributes (md5, outcome...) to the active span; nothing when tracing is off. */
export function setTraceAttributes(attrs: Attributes): void {
  if (enabled) trace.getActiveSpan()?.setAttributes(attrs);
}

function endSpan(span: Span, err: unknown): void {
  if (err !== undefined) {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  }
  span.end();
}

async function inSpan<T>(name: string, kind: SpanKind, parent: ReturnType<typeof context.active>, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
  const span = trace.getTracer(TRACER).startSpan(name, { kind, attributes }, parent);
  try {
    const result = await context.with(trace.setSpan(parent, span), fn);
    endSpan(span, undefined);
    return result;
  } catch (err) {
    endSpan(span, err);
    throw err;
  }
}

/**
 * Runs `fn` inside a span continuing the trace carried in `headers` (a NATS message's headers);
 * with no trace in them it continues the active span, or starts a new trace.
 */
export async function withTrace<T>(name: string, headers: Record<string, string>, fn: () => Promise<T>, kind: SpanKind = SpanKind.INTERNAL): Promise<T> {
  if (!enabled) return fn();
  return inSpan(name, kind, propagation.extract(context.active(), headers, recordGetter), {}, fn);
}

/** A server span for one gRPC call, continuing the caller's trace from the call metadata (GrpcHost). */
export async function withServerSpan<T>(path: string, metadata: Metadata, fn: () => Promise<T>): Promise<T> {
  if (!enabled) return fn();
  const parent = propagation.extract(ROOT_CONTEXT, metadata, metadataGetter);
  return inSpan(path, SpanKind.SERVER, parent, { "rpc.system": "grpc", "rpc.method": path }, fn);
}

/**
 * A grpc-js client interceptor: a client span per call, whose context goes into the call's
 * metadata so the server span becomes its child. Installed by channelOptions({ tracing: true }).
 */
export const tracingInterceptor: Interceptor = (options, nextCall) => {
  if (!enabled) return new InterceptingCall(nextCall(options));
  const path = options.method_definition.path;
  const span = trace.getTracer(TRACER).startSpan(path, { kind: SpanKind.CLIENT, attributes: { "rpc.system": "grpc", "rpc.method": path } });
  const ctx = trace.setSpan(context.active(), span);
  return new InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      propagation.inject(ctx, metadata, metadataSetter);
      next(metadata, {
        onReceiveStatus(st, nextStatus) {
          span.setAttribute("rpc.grpc.status_code", st.code);
          if (st.code !== grpcStatus.OK) span.setStatus({ code: SpanStatusCode.ERROR, message: st.details });
          span.end();
          nextStatus(st);
        },
      });
    },
  });
};
