import { Metadata, status, type ServerDuplexStream, type ServerWritableStream, type ServiceError } from "@grpc/grpc-js";

/** The trailer that carries a machine-readable reason code (corrupt, too-large, ...). */
export const REASON_KEY = "booru-reason";

/** An error that knows its gRPC status and, optionally, a reason code a client can act on. */
export class AppError extends Error {
  constructor(
    readonly code: status,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const invalid = (reason: string, message: string) => new AppError(status.INVALID_ARGUMENT, message, reason);
export const notFound = (message: string) => new AppError(status.NOT_FOUND, message);

/** Turns anything thrown in a handler into a gRPC error without leaking internals. */
export function toServiceError(err: unknown): Partial<ServiceError> {
  const metadata = new Metadata();
  if (err instanceof AppError) {
    if (err.reason) metadata.set(REASON_KEY, err.reason);
    return { code: err.code, details: err.reason ? `${err.reason}: ${err.message}` : err.message, metadata };
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

/** The reason code of a gRPC error from a server of ours, if any. */
export function reasonOf(err: unknown): string | undefined {
  const md = (err as ServiceError | undefined)?.metadata;
  const value = md?.get?.(REASON_KEY)?.[0];
  return typeof value === "string" ? value : undefined;
}

/** MongoDB driver errors that mean "the database is unreachable right now", not "this input is bad". */
const TRANSIENT_STORE_ERRORS = new Set(["MongoNetworkError", "MongoNetworkTimeoutError", "MongoServerSelectionError", "MongoServerClosedError", "MongoPoolClearedError", "MongoTopologyClosedError", "MongoNotConnectedError", "MongoOperationTimeoutError"]);

/** Errors worth retrying: the other side (a service or the database) is down, overloaded or timed out. */
export function isTransient(err: unknown): boolean {
  const name = (err as Error | undefined)?.name ?? "";
  // Driver errors carry MongoDB's numeric codes, which overlap gRPC's (2 = UNKNOWN, 14 = UNAVAILABLE).
  if (name.startsWith("Mongo")) return TRANSIENT_STORE_ERRORS.has(name);
  const code = (err as ServiceError | undefined)?.code;
  return code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED || code === status.RESOURCE_EXHAUSTED || code === status.ABORTED || code === status.CANCELLED || code === status.UNKNOWN;
}
