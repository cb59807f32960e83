import { Metadata, status, type ServerDuplexStream, type ServerWritableStream, type ServiceError } from "@grpc/grpc-js";
import { parseReason, reasonName, type Reason } from "./reasons.js";

/** The trailer that carries a machine-readable reason code (corrupt, too-large, ...): a Reason in kebab case. */
export const REASON_KEY = "booru-reason";

/** An error that knows its gRPC status and, optionally, a reason code a client can act on. */
export class AppError extends Error {
  constructor(
    readonly code: status,
    message: string,
    readonly reason?: Reason,
  ) {
    super(message);
    this.name = "AppError";
  }
}

/** A file that will never work, and why (the trailer a client acts on, e.g. dedup rejects it). */
export const invalid = (reason: Reason, message: string) => new AppError(status.INVALID_ARGUMENT, message, reason);
/** A request that is wrong in itself (a client's mistake, not a property of a file): no reason code. */
export const badRequest = (message: string) => new AppError(status.INVALID_ARGUMENT, message);
export const notFound = (message: string) => new AppError(status.NOT_FOUND, message);

/** Turns anything thrown in a handler into a gRPC error without leaking internals. */
export function toServiceError(err: unknown): Partial<ServiceError> {
  const metadata = new Metadata();
  if (err instanceof AppError) {
    if (!err.reason) return { code: err.code, details: err.message, metadata };
    metadata.set(REASON_KEY, reasonName(err.reason));
    return { code: err.code, details: `${reasonName(err.reason)}: ${err.message}`, metadata };
  }
  return { code: status.INTERNAL, details: "internal error", metadata };
}

/**
 * Ends a server stream with an error status. grpc-js sends the status on the stream's "error"
 * event; destroy() would tear the stream down without one and leave the client waiting.
 */
export function failStream(call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>, error: Partial<ServiceError>): void {
  call.emit("error", Object.assign(new Error(String(error.details)), error));
}

/** The reason code of an error: an AppError's own, or the trailer of a gRPC error from a server of ours. */
export function reasonOf(err: unknown): Reason | undefined {
  if (err instanceof AppError) return err.reason;
  const md = (err as ServiceError | undefined)?.metadata;
  const value = md?.get?.(REASON_KEY)?.[0];
  return typeof value === "string" ? parseReason(value) : undefined;
}

/** MongoDB driver errors that mean "the database is unreachable right now", not "this input is bad". */
const TRANSIENT_STORE_ERRORS = new Set(["MongoNetworkError", "MongoNetworkTimeoutError", "MongoServerSelectionError", "MongoServerClosedError", "MongoPoolClearedError", "MongoTopologyClosedError", "MongoNotConnectedError", "MongoOperationTimeoutError"]);

/** gRPC codes that mean "try again later": the peer is down or restarting, busy past the deadline, or lost a race. */
const TRANSIENT_CODES = new Set([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.ABORTED]);

/**
 * Errors worth retrying: the other side (a service or the database) is down, overloaded or
 * timed out. Not UNKNOWN, CANCELLED, RESOURCE_EXHAUSTED (a message over the size limit, a
 * handler that threw) or anything unexpected: those fail the same way again.
 */
export function isTransient(err: unknown): boolean {
  const name = (err as Error | undefined)?.name ?? "";
  // Driver errors carry MongoDB's numeric codes, which overlap gRPC's (2 = UNKNOWN, 14 = UNAVAILABLE).
  if (name.startsWith("Mongo")) return TRANSIENT_STORE_ERRORS.has(name);
  const code = (err as ServiceError | undefined)?.code;
  return code !== undefined && TRANSIENT_CODES.has(code);
}
