/** The library's client entry point (`@booru/dedup/client`): no server, store or bus code. */
import { libraryV1 } from "@booru/proto";
import { channelCredentials, channelOptions } from "@booru/runtime/client";

export type LibraryClient = libraryV1.LibraryClient;

/**
 * HTTP/2's default 64 KiB window makes a 1 MiB chunk wait for many window updates: a large
 * original streamed at tens of MiB/s. A window of a few chunks lets the library run ahead of the
 * reader by that much and no more (`npm run bench -- original`).
 */
const FLOW_CONTROL_WINDOW = 8 * 1024 * 1024;

/** `tracing`: carry the trace context into each call (the process's BOORU_TRACING). */
export function createLibraryClient(target: string, opts: { caFile?: string; tracing?: boolean } = {}): LibraryClient {
  return new libraryV1.LibraryClient(target, channelCredentials(opts.caFile), { ...channelOptions({ tracing: opts.tracing }), "grpc-node.flow_control_window": FLOW_CONTROL_WINDOW });
}
