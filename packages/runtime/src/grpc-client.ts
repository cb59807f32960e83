import { readFileSync } from "node:fs";
import { credentials, type CallOptions, type ChannelCredentials, type ChannelOptions, type ClientUnaryCall, type Metadata, type ServiceError } from "@grpc/grpc-js";
import { bearer } from "./auth.js";
import { tracingEnabled, tracingInterceptor } from "./tracing.js";

/**
 * Channel options for calls between services. round_robin matters: with a headless Service and
 * a dns:/// target, grpc-js opens a subchannel per pod and spreads calls; the default
 * pick_first would pin every call to one pod.
 *
 * When tracing is on (startApp starts it before any module builds a client), the options also
 * carry the client interceptor that puts the trace context into each call's metadata; grpc-js
 * clients take `interceptors` from their options. Off, nothing is added.
 */
export function channelOptions(maxMessageBytes = 8 * 1024 * 1024): ChannelOptions {
  const opts: ChannelOptions = {
    "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
    "grpc.keepalive_time_ms": 30_000,
    "grpc.keepalive_timeout_ms": 10_000,
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": maxMessageBytes,
    // Re-resolve DNS often enough that new hasher pods get traffic soon after they start.
    "grpc.dns_min_time_between_resolutions_ms": 5_000,
    // grpc-js backs off reconnects up to 120 s by default: after a 20 s hasher outage, dedup
    // would keep failing fast for up to two more minutes. Peers inside a cluster come back in
    // seconds, so retry often.
    "grpc.initial_reconnect_backoff_ms": 500,
    "grpc.max_reconnect_backoff_ms": 5_000,
  };
  if (tracingEnabled()) opts.interceptors = [tracingInterceptor];
  return opts;
}

/** TLS when a CA file is given (BOORU_TLS_CA), plaintext otherwise. */
export function channelCredentials(caFile?: string): ChannelCredentials {
  return caFile ? credentials.createSsl(readFileSync(caFile)) : credentials.createInsecure();
}

export const deadline = (ms: number) => ({ deadline: new Date(Date.now() + ms) });

/** The last overload of a generated client's unary method: (request, metadata, options, callback). */
export type UnaryMethod<Req, Res> = (req: Req, metadata: Metadata, options: Partial<CallOptions>, callback: (err: ServiceError | null, res: Res) => void) => ClientUnaryCall;

export interface UnaryOptions {
  /** Bearer token (ignored when `metadata` is given). */
  token?: string;
  metadata?: Metadata;
  /** Deadline from now; 30 s when unset. */
  timeoutMs?: number;
}

/**
 * The one promisifier for unary calls of any generated client, with a token or metadata and a
 * deadline: `unary(client.getImage.bind(client), { md5 }, { token })`.
 */
export function unary<Req, Res>(method: UnaryMethod<Req, Res>, req: Req, opts: UnaryOptions = {}): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    method(req, opts.metadata ?? bearer(opts.token), deadline(opts.timeoutMs ?? 30_000), (err, res) => (err ? reject(err) : resolve(res)));
  });
}
