/**
 * When to try a file again, and when to stop. State rides in message headers, because a retry
 * is a requeued copy of the message (JetStream 2.9 has no delayed redelivery that keeps
 * headers, and a copy restarts JetStream's delivery count): without the headers every requeue
 * would start counting from zero and a failure would loop forever.
 */
import { status, type ServiceError } from "@grpc/grpc-js";
import { Reason, isTransient } from "@booru/runtime";

/** Why a file is tried again. Waits are nobody's fault; failures are counted. */
export type RetryWhy =
  /** The same bytes are being processed elsewhere right now. */
  | "in-flight"
  /** Another replica took the claim over while this one worked. */
  | "claim-lost"
  /** The file ends early and was modified recently: probably still being written. */
  | "truncated"
  /** The bytes changed between two reads of the file. */
  | "changed"
  /** A service or the database is unavailable (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, store network errors). */
  | "transient"
  /** Anything else: a bug, or a file that breaks something. */
  | "error";

const WAIT_BASE_MS: Partial<Record<RetryWhy, number>> = { "in-flight": 200, "claim-lost": 1000, truncated: 1000, changed: 2000 };
const FAILURE_BASE_MS = 1000;
const WAIT_CAP_MS = 30_000;
const FAILURE_CAP_MS = 5 * 60_000;

export interface RetryLimits {
  /** Failures (of any kind) after which a file goes to rejected/ (gave-up). */
  maxAttempts: number;
  /** Time since the first attempt after which a file still retrying or waiting goes to rejected/ (gave-up). */
  maxTimeMs: number;
  /** Failures that are not transient after which a file goes to rejected/ (max-deliveries). */
  maxErrors: number;
}

/** What earlier attempts of this file left in the headers. */
export interface RetryState {
  /** Processing attempts before this one. */
  attempts: number;
  /** Failed attempts (transient or not). */
  failures: number;
  /** Failed attempts that were not transient (a deadline counts: it may be the file's fault). */
  errors: number;
  /** Attempts that ended in a wait. */
  waits: number;
  /** When the first attempt started (this side's clock); undefined before the first. */
  firstAt?: number;
}

const HEADER = { attempts: "booru-attempts", failures: "booru-failures", errors: "booru-errors", waits: "booru-waits", firstAt: "booru-first-attempt", notBefore: "booru-not-before" };

const count = (v: string | undefined) => (v && /^\d+$/.test(v) ? Number(v) : 0);

export function readRetryState(headers: Record<string, string>): RetryState {
  const firstAt = count(headers[HEADER.firstAt]);
  return { attempts: count(headers[HEADER.attempts]), failures: count(headers[HEADER.failures]), errors: count(headers[HEADER.errors]), waits: count(headers[HEADER.waits]), ...(firstAt ? { firstAt } : {}) };
}

/** The headers of a requeued copy: the message's own (trace context) plus the state and when it is due. */
export function retryHeaders(headers: Record<string, string>, state: RetryState, notBefore: number): Record<string, string> {
  return {
    ...headers,
    [HEADER.attempts]: String(state.attempts),
    [HEADER.failures]: String(state.failures),
    [HEADER.errors]: String(state.errors),
    [HEADER.waits]: String(state.waits),
    [HEADER.firstAt]: String(state.firstAt ?? Date.now()),
    [HEADER.notBefore]: String(notBefore),
  };
}

/** Milliseconds until a requeued copy is due (0 or less: now). */
export const dueIn = (headers: Record<string, string>, now: number) => count(headers[HEADER.notBefore]) - now;

/** Exponential backoff from `base`, doubling per step, capped, with up to 20% jitter so a batch that failed together does not retry together. */
export function backoff(step: number, base: number, cap: number, random = Math.random): number {
  const exact = Math.min(cap, base * 2 ** Math.min(30, Math.max(0, step - 1)));
  return Math.round(exact * (0.8 + 0.2 * random()));
}

/** A thrown error as a retry: a transient outage (a deadline noted apart), or anything else. */
export function classifyFailure(err: unknown): { why: "transient" | "error"; deadline: boolean } {
  if (!isTransient(err)) return { why: "error", deadline: false };
  return { why: "transient", deadline: (err as Partial<ServiceError>).code === status.DEADLINE_EXCEEDED };
}

export type RetryPlan = { next: RetryState; delayMs: number; giveUp?: undefined } | { giveUp: { reason: Reason; message: string }; next: RetryState; delayMs: number };

/**
 * The next step after an attempt that ended in a retry: the state to carry and the delay, or
 * giving up (with the reason and a message naming the last error) once a limit is reached.
 */
export function planRetry(why: RetryWhy, lastError: string | undefined, state: RetryState, limits: RetryLimits, now: number, deadline = false): RetryPlan {
  const firstAt = state.firstAt ?? now;
  const elapsed = now - firstAt;
  const failed = why === "transient" || why === "error";
  const next: RetryState = {
    attempts: state.attempts + 1,
    failures: state.failures + (failed ? 1 : 0),
    // A deadline cannot tell a busy peer from a file that takes too long: it counts as both.
    errors: state.errors + (why === "error" || deadline ? 1 : 0),
    waits: state.waits + (failed ? 0 : 1),
    firstAt,
  };
  const delayMs = failed ? backoff(next.failures, FAILURE_BASE_MS, FAILURE_CAP_MS) : backoff(next.waits, WAIT_BASE_MS[why] ?? 1000, WAIT_CAP_MS);
  const last = lastError ? `: ${lastError}` : "";
  if (failed && next.errors >= limits.maxErrors) {
    return { giveUp: { reason: Reason.MAX_DELIVERIES, message: `failed ${next.errors} times${last}` }, next, delayMs };
  }
  if (failed && next.failures >= limits.maxAttempts) {
    return { giveUp: { reason: Reason.GAVE_UP, message: `gave up after ${next.failures} failed attempts in ${formatDuration(elapsed)}${last}` }, next, delayMs };
  }
  if (elapsed + delayMs > limits.maxTimeMs) {
    const what = failed ? `retrying for ${formatDuration(elapsed)} (${next.failures} failed attempts)${last}` : `waiting for ${formatDuration(elapsed)} (${why})`;
    return { giveUp: { reason: Reason.GAVE_UP, message: `gave up after ${what}` }, next, delayMs };
  }
  return { next, delayMs };
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** One line naming an error for reason.json and logs: the gRPC status name and details, or the message. */
export function describeError(err: unknown): string {
  const e = err as Partial<ServiceError> & { code?: unknown };
  if (typeof e.code === "number" && status[e.code]) return `${status[e.code]}: ${e.details || e.message || ""}`.slice(0, 500);
  if (typeof e.code === "string") return `${e.code}: ${e.message ?? ""}`.slice(0, 500);
  return String((err as Error)?.message ?? err).slice(0, 500);
}
