/**
 * OpenTelemetry tracing, off by default (BOORU_TRACING). One trace per file: the watcher
 * publishes with trace headers, dedup continues the trace and carries it to the hasher and
 * catalog in gRPC metadata.
 *
 * Interface only for now: these are no-ops until tracing is wired (issue 8).
 */

/** W3C trace-context headers for the active span (empty when tracing is off). */
export function traceHeaders(): Record<string, string> {
  return {};
}

/** Runs `fn` inside a span continuing the trace carried in `headers`. */
export async function withTrace<T>(_name: string, _headers: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  return fn();
}
