/** The bus side of dedup: decode, process, then ack / requeue / give up by outcome; one log line per file. */
import { ingestV1 } from "@booru/proto";
import { reasonName, withTrace, type Logger, type WorkHandler, type WorkMessage } from "@booru/runtime";
import type { Attempt, Ingestor, Outcome } from "./ingest.js";
import type { DedupMetrics } from "./metrics.js";
import { classifyFailure, describeError, dueIn, planRetry, readRetryState, retryHeaders, type RetryLimits, type RetryState } from "./retry.js";

export interface HandlerOptions {
  ackWaitMs: number;
  retry: RetryLimits;
  /** Publishes a fresh copy of a message (resets its delivery count; the headers carry the retry state). */
  requeue(data: Uint8Array, headers: Record<string, string>): Promise<void>;
}

type Retry = Extract<Outcome, { kind: "retry" }>;

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
    const due = dueIn(msg.headers, Date.now());
    if (due > 0) {
      // A requeued copy that is not due yet: hand it back without holding a slot while we wait.
      msg.nak(due);
      return;
    }
    const state = readRetryState(msg.headers);
    const attempt: Attempt = { number: state.attempts + 1, delivery: msg.deliveryCount, firstAt: state.firstAt ?? Date.now() };
    const source = `${ev.inbox}/${ev.path}`;
    metrics.inFlight.inc();
    const keepAlive = setInterval(() => msg.working(), Math.max(100, Math.floor(opts.ackWaitMs / 3)));
    let outcome: Outcome;
    let delayMs = 0;
    try {
      outcome = await withTrace("dedup.ingest", msg.headers, () => ingestor.process(ev, attempt, () => msg.working()));
    } catch (err) {
      const { why, deadline } = classifyFailure(err);
      if (why === "error") log.error({ err, source }, "ingest step failed");
      outcome = { kind: "retry", why, error: err, deadline };
    }
    try {
      if (outcome.kind === "retry") [outcome, delayMs] = await retryOrGiveUp(ingestor, ev, attempt, state, outcome, msg, opts, log);
      else await msg.ack();
    } catch (err) {
      log.warn({ err, source }, "could not settle message; it will be redelivered");
    } finally {
      clearInterval(keepAlive);
    }
    metrics.inFlight.dec();
    const seconds = (performance.now() - started) / 1000;
    metrics.duration.observe({ outcome: outcome.kind }, seconds);
    if (outcome.kind === "ingested" && !outcome.finished) metrics.ingested.inc();
    if (outcome.kind === "retry") metrics.retries.inc({ why: outcome.why });
    const line = { md5: "md5" in outcome ? outcome.md5 : undefined, source, outcome: outcome.kind, durationMs: Math.round(seconds * 1000), attempt: attempt.number };
    if (outcome.kind === "rejected") log.warn({ ...line, reason: reasonName(outcome.reason), message: outcome.message }, "file rejected");
    else if (outcome.kind === "retry") log.info({ ...line, why: outcome.why, delayMs, error: outcome.error ? describeError(outcome.error) : undefined }, "file retried later");
    else if (outcome.kind === "vanished") log.info(line, "file vanished before processing");
    else if (outcome.kind === "stale") log.info(line, "file changed since it was published; waiting for the newer event");
    else log.info(line, `file ${outcome.kind}`);
  };
}

/**
 * Requeues a copy that is due after the backoff, carrying the retry state, or (past a limit)
 * moves the file to rejected/ with the reason and the last error. When even that fails (the
 * catalog is down too), the file is requeued to try again later: it is never dropped.
 */
async function retryOrGiveUp(
  ingestor: Ingestor,
  ev: ingestV1.FileDiscovered,
  attempt: Attempt,
  state: RetryState,
  retry: Retry,
  msg: WorkMessage,
  opts: HandlerOptions,
  log: Logger,
): Promise<[Outcome, number]> {
  const plan = planRetry(retry.why, retry.error ? describeError(retry.error) : undefined, state, opts.retry, Date.now(), retry.deadline);
  if (plan.giveUp) {
    try {
      const outcome = await ingestor.giveUp(ev, attempt, plan.giveUp.reason, plan.giveUp.message);
      await msg.ack();
      return [outcome, 0];
    } catch (err) {
      log.warn({ err, source: `${ev.inbox}/${ev.path}` }, "could not give the file up yet; trying again later");
    }
  }
  await opts.requeue(msg.data, retryHeaders(msg.headers, plan.next, Date.now() + plan.delayMs));
  await msg.ack();
  return [retry, plan.delayMs];
}
