/** The library's client entry point (`@booru/dedup/client`): no server, store or bus code. */
import { libraryV1 } from "@booru/proto";
import { channelCredentials, channelOptions } from "@booru/runtime/client";

export type LibraryClient = libraryV1.LibraryClient;

/** `tracing`: carry the trace context into each call (the process's BOORU_TRACING). */
export function createLibraryClient(target: string, opts: { caFile?: string; tracing?: boolean } = {}): LibraryClient {
  return new libraryV1.LibraryClient(target, channelCredentials(opts.caFile), channelOptions({ tracing: opts.tracing }));
}
