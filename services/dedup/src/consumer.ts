/** The bus side of dedup: decode, process, then ack / nak / requeue by outcome; one log line per file. */
import { status } from "@grpc/grpc-js";
import { ingestV1 } from "@booru/proto";
import { isTransient, withTrace, type Logger, type WorkHandler, type WorkMessage } from "@booru/runtime";
import type { Ingestor, Outcome } from "./ingest.js";
import type { DedupMetrics } from "./metrics.js";

export interface HandlerOptions {
  maxDeliveries: number;
  ackWaitMs: number;
  /** Publishes a fresh copy of a message (resets its delivery count). */
  requeue(data: Uint8Array, headers: Record<string, string>): Promise<void>;
}

/** A requeued copy carries the time before which it must not be processed (JetStream 2.9 has no delayed publish). */
const NOT_BEFORE = "booru-not-before";

/** Backoff for transient failures: 1s, 2s, 4s ... capped at 30s. */
export const transientDelay = (deliveryCount: number) => Math.min(1000 * 2 ** Math.max(0, deliveryCount - 1), 30_000);

export function createHandler(ingestor: Ingestor, metrics: DedupMetrics, log: Logger, opts: HandlerOptions): WorkHandler {
  return async (msg) => {
    const started = performance.now();
    let ev: ingestV1.FileDiscovered;
    try {
      ev = ingestV1.FileDiscovered.decode(msg.data);
    } catch (err) {
      log.error({ err, subject: msg.subject }, "undecodable message dropped");
      msg.term();
      return;
    }
    const notBefore = Number(msg.headers[NOT_BEFORE] ?? 0) - Date.now();
    if (notBefore > 0) {
      // A requeued copy that is not due yet: hand it back without holding a slot while we wait.
      msg.nak(notBefore);
      return;
    }
    metrics.inFlight.inc();
    const keepAlive = setInterval(() => msg.working(), Math.max(100, Math.floor(opts.ackWaitMs / 3)));
    let outcome: Outcome;
    try {
      outcome = await withTrace("dedup.ingest", msg.headers, () => ingestor.process(ev, msg.deliveryCount, () => msg.working()));
    } catch (err) {
      // Hasher or catalog unavailable: wait and retry, never a rejection. A deadline counts toward
      // max-deliveries (a pathological file must not loop forever), and so does anything unexpected.
      const transient = isTransient(err);
      const counts = !transient || (err as { code?: number }).code === status.DEADLINE_EXCEEDED;
      if (!transient) log.error({ err, source: `${ev.inbox}/${ev.path}` }, "ingest step failed");
      outcome = { kind: "retry", why: transient ? "transient" : "error", delayMs: transientDelay(msg.deliveryCount), counts };
    } finally {
      clearInterval(keepAlive);
    }
    try {
      await settle(msg, outcome, opts);
    } catch (err) {
      log.warn({ err, source: `${ev.inbox}/${ev.path}` }, "could not settle message; it will be redelivered");
    }
    metrics.inFlight.dec();
    const seconds = (performance.now() - started) / 1000;
    metrics.duration.observe({ outcome: outcome.kind }, seconds);
    if (outcome.kind === "ingested" && !outcome.finished) metrics.ingested.inc();
    const line = { md5: "md5" in outcome ? outcome.md5 : undefined, source: `${ev.inbox}/${ev.path}`, outcome: outcome.kind, durationMs: Math.round(seconds * 1000), delivery: msg.deliveryCount };
    if (outcome.kind === "rejected") log.warn({ ...line, reason: outcome.reason, message: outcome.message }, "file rejected");
    else if (outcome.kind === "retry") log.info({ ...line, why: outcome.why, delayMs: outcome.delayMs }, "file retried later");
    else if (outcome.kind === "vanished") log.info(line, "file vanished before processing");
    else if (outcome.kind === "stale") log.info(line, "file changed since it was published; waiting for the newer event");
    else log.info(line, `file ${outcome.kind}`);
  };
}

async function settle(msg: WorkMessage, outcome: Outcome, opts: HandlerOptions): Promise<void> {
  if (outcome.kind !== "retry") return msg.ack();
  if (outcome.counts || msg.deliveryCount < opts.maxDeliveries) return msg.nak(outcome.delayMs);
  // Waiting (in flight elsewhere, hasher down) must never use up the deliveries: requeue a fresh
  // copy that is due after the backoff, instead of sleeping on a concurrency slot.
  await opts.requeue(msg.data, {
    ...msg.headers,
    "booru-requeued": String(Number(msg.headers["booru-requeued"] ?? 0) + 1),
    [NOT_BEFORE]: String(Date.now() + outcome.delayMs),
  });
  await msg.ack();
}
