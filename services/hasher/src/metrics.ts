import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { reasonName, reasonOf } from "@booru/runtime";

/** booru_hasher_* as named in docs/metrics.md. */
export class HasherMetrics {
  readonly requests: Counter<"result">;
  readonly duration: Histogram;
  readonly inFlight: Gauge;
  readonly bytes: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({ name: "booru_hasher_requests_total", help: "Hash calls by result", labelNames: ["result"], registers });
    this.duration = new Histogram({ name: "booru_hasher_duration_seconds", help: "server-side time per Hash call", buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers });
    this.inFlight = new Gauge({ name: "booru_hasher_in_flight", help: "Hash calls running", registers });
    this.bytes = new Counter({ name: "booru_hasher_bytes_total", help: "bytes received", registers });
  }

  /** Counts one call by result and times it. */
  async observe<T>(fn: () => Promise<T>): Promise<T> {
    const end = this.duration.startTimer();
    this.inFlight.inc();
    try {
      const res = await fn();
      this.requests.inc({ result: "ok" });
      return res;
    } catch (err) {
      this.requests.inc({ result: resultOf(err) });
      throw err;
    } finally {
      this.inFlight.dec();
      end();
    }
  }
}

/** The reason code (corrupt, truncated, too-large, ...) or "error". */
function resultOf(err: unknown): string {
  const reason = reasonOf(err);
  return reason ? reasonName(reason) : "error";
}
