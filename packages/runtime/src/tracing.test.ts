import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentials, makeGenericClientConstructor, status, type ServiceDefinition, type ServiceError } from "@grpc/grpc-js";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-node";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { GrpcHost } from "./grpc-host.js";
import { channelOptions } from "./grpc-client.js";
import { Authenticator } from "./auth.js";
import { createLogger } from "./logger.js";
import { invalid } from "./errors.js";
import { Reason } from "./reasons.js";
import { startTracing, stopTracing, traceHeaders, tracingEnabled, withTrace } from "./tracing.js";

// A tiny JSON-encoded service, so the test needs no generated code.
const json = {
  serialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  deserialize: (b: Buffer) => JSON.parse(b.toString()) as unknown,
};
const method = (name: string, responseStream: boolean) => ({
  path: `/test.Echo/${name}`,
  requestStream: false,
  responseStream,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
});
const echoService = { Echo: method("Echo", false), Fail: method("Fail", false) } as unknown as ServiceDefinition;
const EchoClient = makeGenericClientConstructor(echoService, "Echo");
type Echo = InstanceType<typeof EchoClient> & Record<string, (req: unknown, cb: (err: ServiceError | null, res?: unknown) => void) => void>;

describe("tracing off (the default)", () => {
  it("adds nothing: no headers, no interceptor, the function just runs", async () => {
    expect(tracingEnabled()).toBe(false);
    expect(await withTrace("x", { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }, async () => traceHeaders())).toEqual({});
    expect(channelOptions().interceptors).toBeUndefined();
  });
});

describe("tracing on", () => {
  const exporter = new InMemorySpanExporter();
  let host: GrpcHost;
  let client: Echo;
  // The headers the handler saw as its active trace context.
  let seenInHandler: Record<string, string> = {};

  beforeAll(async () => {
    await startTracing({ serviceName: "test", exporter, immediate: true });
    host = new GrpcHost({ listen: "127.0.0.1:0", log: createLogger("test", "silent"), auth: new Authenticator([]) });
    host.addService("test.Echo", echoService, {
      Echo: async (req: unknown) => {
        seenInHandler = traceHeaders();
        return req;
      },
      Fail: async () => {
        throw invalid(Reason.CORRUPT, "not an image");
      },
    });
    await host.bind();
    client = new EchoClient(host.localTarget, credentials.createInsecure(), channelOptions({ tracing: true })) as Echo;
  });

  afterAll(async () => {
    client?.close();
    await host?.shutdown(1000);
    await stopTracing();
  });

  const call = (name: string, req: unknown) =>
    new Promise<unknown>((resolve, reject) => client[name](req, (err, res) => (err ? reject(err) : resolve(res))));
  const byKind = (spans: ReadableSpan[], kind: SpanKind) => spans.filter((s) => s.kind === kind);

  it("a call from a traced client gives a server span whose parent is the client span", async () => {
    exporter.reset();
    await withTrace("dedup.file", {}, () => call("Echo", { hello: 1 }));
    const spans = exporter.getFinishedSpans();
    const [server] = byKind(spans, SpanKind.SERVER);
    const [clientSpan] = byKind(spans, SpanKind.CLIENT);
    const outer = spans.find((s) => s.name === "dedup.file")!;
    expect(server.name).toBe("/test.Echo/Echo");
    expect(server.parentSpanContext?.spanId).toBe(clientSpan.spanContext().spanId);
    expect(clientSpan.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    // The handler ran inside the server span: what it would pass on continues the same trace.
    expect(seenInHandler.traceparent).toContain(server.spanContext().spanId);
  });

  it("a failed call marks both spans as errors", async () => {
    exporter.reset();
    const err = (await call("Fail", {}).catch((e: unknown) => e)) as ServiceError;
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    const spans = exporter.getFinishedSpans();
    expect(byKind(spans, SpanKind.SERVER)[0].status.code).toBe(SpanStatusCode.ERROR);
    expect(byKind(spans, SpanKind.CLIENT)[0].status.code).toBe(SpanStatusCode.ERROR);
    expect(byKind(spans, SpanKind.CLIENT)[0].attributes["rpc.grpc.status_code"]).toBe(status.INVALID_ARGUMENT);
  });

  it("headers round-trip: a span started from traceHeaders() of another continues its trace", async () => {
    exporter.reset();
    const headers = await withTrace("watcher.publish", {}, async () => traceHeaders(), SpanKind.PRODUCER);
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    // Later, elsewhere, with no active span (as in dedup's consumer loop).
    await withTrace("dedup.file", headers, async () => undefined, SpanKind.CONSUMER);
    const publish = exporter.getFinishedSpans().find((s) => s.name === "watcher.publish")!;
    const consume = exporter.getFinishedSpans().find((s) => s.name === "dedup.file")!;
    expect(consume.spanContext().traceId).toBe(publish.spanContext().traceId);
    expect(consume.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
  });

  it("separate files get separate traces, and an error in the function is recorded and rethrown", async () => {
    exporter.reset();
    await withTrace("a", {}, async () => undefined);
    await expect(withTrace("b", {}, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    const [a, b] = exporter.getFinishedSpans();
    expect(a.spanContext().traceId).not.toBe(b.spanContext().traceId);
    expect(b.status).toEqual({ code: SpanStatusCode.ERROR, message: "boom" });
  });
});
