import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { QueueDepth } from "@booru/runtime";

/** The dedup metrics of docs/metrics.md. */
export function dedupMetrics(registry: Registry, depth: () => Promise<QueueDepth>) {
  let last: Promise<QueueDepth> | undefined;
  // One consumer-info call per scrape for both gauges.
  const read = () => (last ??= depth().finally(() => setTimeout(() => (last = undefined), 500).unref()));
  const depthGauge = (name: string, help: string, pick: (d: QueueDepth) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const d = await read().catch(() => undefined);
        if (d) this.set(pick(d));
      },
    });
  return {
    claims: new Counter({ name: "booru_claims_total", help: "claim protocol results", labelNames: ["outcome"], registers: [registry] }),
    duplicates: new Counter({ name: "booru_duplicates_disposed_total", help: "duplicates disposed of before any decode", labelNames: ["policy"], registers: [registry] }),
    rejected: new Counter({ name: "booru_rejected_total", help: "files sent to rejected/", labelNames: ["reason"], registers: [registry] }),
    ingested: new Counter({ name: "booru_ingested_total", help: "files filed into the library and catalogued", registers: [registry] }),
    retries: new Counter({ name: "booru_ingest_retries_total", help: "files requeued to try again later, by why (transient, error, in-flight, truncated, ...)", labelNames: ["why"], registers: [registry] }),
    duration: new Histogram({
      name: "booru_ingest_duration_seconds",
      help: "one file, from message to ack",
      labelNames: ["outcome"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    inFlight: new Gauge({ name: "booru_ingest_in_flight", help: "files being processed by this replica", registers: [registry] }),
    pending: depthGauge("booru_queue_pending", "messages not yet delivered (consumer lag)", (d) => d.pending),
    ackPending: depthGauge("booru_queue_ack_pending", "delivered, not yet acked", (d) => d.ackPending),
  };
}

export type DedupMetrics = ReturnType<typeof dedupMetrics>;
