import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { ALGORITHMS } from "./hashes.js";
import type { SimilarityIndex } from "./similarity.js";

export interface CatalogMetrics {
  writes: Counter<"op" | "result">;
  similarSeconds: Histogram<"algorithm">;
}

/** The catalog's metrics, with the names in docs/metrics.md. */
export function catalogMetrics(registry: Registry, index: SimilarityIndex): CatalogMetrics {
  const writes = new Counter({ name: "booru_catalog_writes_total", help: "catalog writes", labelNames: ["op", "result"], registers: [registry] });
  const similarSeconds = new Histogram({
    name: "booru_similar_query_duration_seconds",
    help: "FindSimilar latency",
    labelNames: ["algorithm"],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  new Gauge({
    name: "booru_similar_index_entries",
    help: "entries in the in-memory similarity index",
    labelNames: ["algorithm"],
    registers: [registry],
    collect() {
      for (const algorithm of ALGORITHMS) this.set({ algorithm }, index.entries(algorithm));
    },
  });
  return { writes, similarSeconds };
}
