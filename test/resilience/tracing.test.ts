/**
 * Tracing across processes: with BOORU_TRACING=true every file is one trace, from the watcher's
 * publish (W3C traceparent in the NATS headers) through dedup to the hasher's and catalog's
 * server spans (trace context in gRPC metadata), exported over OTLP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniquePng } from "../fuzz/encode.js";
import { Pipeline, sleep, startServers } from "./pipeline.js";
import { startOtlpReceiver, type ReceivedSpan } from "./otlp.js";

const SERVER = 2;

describe("tracing", () => {
  let servers: Awaited<ReturnType<typeof startServers>> | undefined;
  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let p: Pipeline;

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    servers = await startServers();
    p = await Pipeline.start({
      natsUrl: servers.nats.url,
      mongoUrl: servers.ferret.url,
      hashers: 1,
      env: { BOORU_TRACING: "true", OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: "200" },
    });
  });

  afterAll(async () => {
    await p?.stop();
    await otlp?.close();
    await servers?.stop();
  });

  it("one trace per file: watcher publish -> dedup -> hasher and catalog server spans", async () => {
    const files = [1, 2, 3].map((i) => ({ name: `traced-${i}.png`, bytes: uniquePng(7_000 + i, 32) }));
    p.drop(files);
    await p.waitForSettled(files.length, 120_000);

    const traceOf = (s: ReceivedSpan) => otlp.spans.filter((x) => x.traceId === s.traceId);
    const complete = (t: ReceivedSpan[]) =>
      t.some((s) => s.service === "booru-hasher" && s.kind === SERVER && s.name.endsWith("/Hash")) &&
      t.some((s) => s.service === "booru-catalog" && s.kind === SERVER && s.name.endsWith("/PutImage"));
    const ingests = () => otlp.spans.filter((s) => s.service === "booru-dedup" && s.name === "dedup.ingest");
    // Spans are exported in batches; give the last ones a moment.
    for (let i = 0; i < 50 && !(ingests().length >= files.length && ingests().every((s) => complete(traceOf(s)))); i++) await sleep(200);

    expect(ingests()).toHaveLength(files.length);
    expect(new Set(ingests().map((s) => s.traceId)).size).toBe(files.length);
    for (const ingest of ingests()) {
      const trace = traceOf(ingest);
      const byId = new Map(trace.map((s) => [s.spanId, s]));
      // Every server span hangs off a client span in dedup, which hangs off the ingest span.
      for (const server of trace.filter((s) => s.kind === SERVER)) {
        const client = byId.get(server.parentSpanId);
        expect(client?.service, `parent of ${server.name}`).toBe("booru-dedup");
        expect(byId.get(client!.parentSpanId)?.name).toBe("dedup.ingest");
      }
      expect(complete(trace), JSON.stringify(trace)).toBe(true);
      // The trace starts at the watcher's publish.
      const root = byId.get(ingest.parentSpanId);
      expect(root?.service, "the watcher's publish span is the parent of dedup.ingest").toBe("booru-watcher");
    }
  });
});
