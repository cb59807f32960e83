import { readFileSync } from "node:fs";
import {
  Server,
  ServerCredentials,
  setLogger,
  status,
  type Metadata,
  type ServiceDefinition,
  type UntypedServiceImplementation,
  type ServerUnaryCall,
  type ServerReadableStream,
  type ServerWritableStream,
  type sendUnaryData,
} from "@grpc/grpc-js";
import { HealthImplementation, service as healthService, type ServingStatus } from "grpc-health-check";
import { authV1 } from "@booru/proto";
import type { Logger } from "./logger.js";
import { AppError, failStream, toServiceError } from "./errors.js";
import { Authenticator, type Scope } from "./auth.js";
import { ConfigError, parseHostPort } from "./config.js";
import { withServerSpan } from "./tracing.js";
import { DescriptorIndex, ServerReflection, serviceNamesOf } from "./reflection.js";

/** A handler is a plain async function; the host adapts it to grpc-js's call shapes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (...args: any[]) => Promise<any>;

export interface ServiceOptions {
  /** Scope required per method; methods not listed need `read`. Omit to serve without auth. */
  scopes?: Record<string, Scope>;
}

export interface GrpcHostOptions {
  listen: string;
  /** The setting that names `listen`, for error messages. */
  setting?: string;
  log: Logger;
  auth: Authenticator;
  tlsCert?: string;
  tlsKey?: string;
  maxMessageBytes?: number;
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackAddress(listen: string): boolean {
  const host = parseHostPort(listen)?.host ?? "";
  return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** A bind failure in plain words: the address, what is wrong, what to do. */
export function listenError(listen: string, setting: string, err: unknown): ConfigError {
  const message = (err as Error).message ?? String(err);
  const code = /\b(EADDRINUSE|EADDRNOTAVAIL|EACCES|ENOTFOUND|EAI_AGAIN)\b/.exec(message)?.[1] ?? (err as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    EADDRINUSE: "the address is in use (another booru running?)",
    EADDRNOTAVAIL: "that is not an address of this machine",
    EACCES: "not allowed (ports below 1024 need privileges)",
    ENOTFOUND: "unknown host name",
    EAI_AGAIN: "host name lookup failed",
  };
  return new ConfigError(`cannot listen on ${listen}: ${why[code ?? ""] ?? message}; choose another with ${setting}`);
}

/**
 * grpc-js also prints a failed bind to stderr itself ("E No address added..."); bind() reports
 * it once, in plain words, so that line is dropped. Everything else is printed as grpc-js does.
 */
let bindNoiseDropped = false;
function dropBindNoise(): void {
  if (bindNoiseDropped) return;
  bindNoiseDropped = true;
  setLogger({
    error: (message?: unknown, ...rest: unknown[]) => {
      if (!String(message).startsWith("No address added")) console.error(`E ${String(message)}`, ...rest);
    },
    info: (message?: unknown, ...rest: unknown[]) => console.error(`I ${String(message)}`, ...rest),
    debug: (message?: unknown, ...rest: unknown[]) => console.error(`D ${String(message)}`, ...rest),
  });
}

const SCOPE_OF: Partial<Record<authV1.Scope, Scope>> = {
  [authV1.Scope.READ]: "read",
  [authV1.Scope.HASH]: "hash",
  [authV1.Scope.WRITE]: "write",
  [authV1.Scope.ADMIN]: "admin",
};

/**
 * One gRPC server per process, shared by every module it runs, with grpc.health.v1 reporting
 * real state and server reflection. Tracks in-flight calls per service so a stopping module
 * can refuse new calls and wait for the running ones.
 */
export class GrpcHost {
  readonly server: Server;
  /**
   * "" is the overall readiness; "liveness" answers SERVING for as long as the process can
   * answer at all (also while draining or while a dependency is down), for liveness probes.
   */
  readonly health = new HealthImplementation({ "": "NOT_SERVING", liveness: "SERVING" });
  private readonly services = new Map<string, { inFlight: number; closing: boolean; idle: (() => void)[] }>();
  /** Every service name the server routes, as reflection lists them. */
  private readonly routed = new Set<string>();
  private readonly descriptors = DescriptorIndex.load();
  private boundPort = 0;

  constructor(private readonly opts: GrpcHostOptions) {
    const max = opts.maxMessageBytes ?? 8 * 1024 * 1024;
    this.server = new Server({ "grpc.max_receive_message_length": max, "grpc.max_send_message_length": max });
    this.health.addToServer(this.server);
    this.route(healthService);
    // Health stays open for probes; this API's schema needs a `read` token once tokens are
    // configured (the schema of health and reflection themselves is public).
    const reflection = new ServerReflection(this.descriptors, {
      listServices: () => [...this.routed].sort(),
      authorize: (metadata) => void (opts.auth.enabled && opts.auth.check(metadata, "read")),
    });
    reflection.addToServer(this.server).forEach((d) => this.route(d));
    // Auth.Check authenticates by itself (with the scope asked for), so no scope here.
    const check = (req: authV1.CheckRequest, call: ServerUnaryCall<unknown, unknown>) => this.checkAccess(req, call.metadata);
    this.server.addService(authV1.AuthService, { check: this.wrap("booru.auth.v1.Auth", { inFlight: 0, closing: false, idle: [] }, false, false, check, undefined) });
    this.route(authV1.AuthService);
    // Served by the process itself, for as long as it answers at all.
    this.setStatus("booru.auth.v1.Auth", "SERVING");
  }

  /** Auth.Check: whether the caller's token has a scope, so a client finds a bad token at start. */
  private async checkAccess(req: authV1.CheckRequest, metadata: Metadata): Promise<authV1.CheckResponse> {
    const scope = SCOPE_OF[req.scope];
    if (!scope) throw new AppError(status.INVALID_ARGUMENT, "scope must be one of read, hash, write, admin");
    return { name: this.opts.auth.check(metadata, scope) };
  }

  get isLoopback(): boolean {
    return isLoopbackAddress(this.opts.listen);
  }

  /** Where it listens, as bound: the configured host with the real port (0.0.0.0 stays 0.0.0.0). */
  get address(): string {
    return `${parseHostPort(this.opts.listen)?.host ?? "127.0.0.1"}:${this.boundPort}`;
  }

  /** The address other modules of this process dial to reach this server. */
  get localTarget(): string {
    const host = parseHostPort(this.opts.listen)?.host ?? "127.0.0.1";
    const dial = host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host;
    return `${dial}:${this.boundPort}`;
  }

  get port(): number {
    return this.boundPort;
  }

  async bind(): Promise<number> {
    const creds = this.opts.tlsCert && this.opts.tlsKey
      ? ServerCredentials.createSsl(null, [{ cert_chain: readFileSync(this.opts.tlsCert), private_key: readFileSync(this.opts.tlsKey) }], false)
      : ServerCredentials.createInsecure();
    dropBindNoise();
    this.boundPort = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(this.opts.listen, creds, (err, port) => (err ? reject(listenError(this.opts.listen, this.opts.setting ?? "BOORU_LISTEN", err)) : resolve(port))),
    );
    return this.boundPort;
  }

  addService(name: string, definition: ServiceDefinition, handlers: Record<string, Handler>, options: ServiceOptions = {}): void {
    if (options.scopes && !this.opts.auth.enabled && !this.isLoopback) {
      throw new Error(`refusing to serve ${name} on ${this.opts.listen} without tokens: set BOORU_TOKENS_FILE or listen on 127.0.0.1`);
    }
    const state = { inFlight: 0, closing: false, idle: [] as (() => void)[] };
    this.services.set(name, state);
    const impl: UntypedServiceImplementation = {};
    for (const [method, def] of Object.entries(definition)) {
      const handler = handlers[method];
      if (!handler) throw new Error(`${name}: no handler for ${method}`);
      const scope = options.scopes ? (options.scopes[method] ?? "read") : undefined;
      impl[method] = this.wrap(name, state, def.requestStream, def.responseStream, handler, scope);
    }
    this.server.addService(definition, impl);
    this.route(definition);
    this.setStatus(name, "NOT_SERVING");
  }

  private route(definition: ServiceDefinition): void {
    for (const service of serviceNamesOf(definition)) {
      if (!this.descriptors.has(service)) this.opts.log.warn({ service }, "reflection cannot describe this service: its proto is not in packages/proto/descriptors.binpb (npm run generate)");
      this.routed.add(service);
    }
  }

  setStatus(service: string, value: ServingStatus): void {
    this.health.setStatus(service, value);
  }

  /** Marks every service (and the overall "" entry) NOT_SERVING. */
  setAllNotServing(): void {
    this.health.setStatus("", "NOT_SERVING");
    for (const name of this.services.keys()) this.health.setStatus(name, "NOT_SERVING");
  }

  /** Refuses new calls to a service and waits (up to the deadline) for the running ones. */
  async drain(name: string, deadlineMs: number): Promise<boolean> {
    const state = this.services.get(name);
    if (!state) return true;
    state.closing = true;
    this.setStatus(name, "NOT_SERVING");
    if (state.inFlight === 0) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), deadlineMs);
      state.idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  serviceNames(): string[] {
    return [...this.services.keys()];
  }

  inFlight(name: string): number {
    return this.services.get(name)?.inFlight ?? 0;
  }

  async shutdown(deadlineMs: number): Promise<void> {
    this.setAllNotServing();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, deadlineMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private wrap(name: string, state: { inFlight: number; closing: boolean; idle: (() => void)[] }, reqStream: boolean, resStream: boolean, handler: Handler, scope: Scope | undefined) {
    const begin = (metadata: Metadata) => {
      if (state.closing) throw new AppError(status.UNAVAILABLE, `${name} is shutting down`);
      if (scope) this.opts.auth.check(metadata, scope);
      state.inFlight++;
    };
    const end = () => {
      if (--state.inFlight === 0) state.idle.splice(0).forEach((fn) => fn());
    };
    const log = this.opts.log;
    const fail = (err: unknown) => {
      if (!(err instanceof AppError)) log.error({ err, service: name }, "handler failed");
      return toServiceError(err);
    };
    if (resStream) {
      return (call: ServerWritableStream<unknown, unknown>) => {
        try {
          begin(call.metadata);
        } catch (err) {
          failStream(call, toServiceError(err));
          return;
        }
        withServerSpan(call.getPath(), call.metadata, () => handler(call.request, call))
          .then(() => call.end())
          .catch((err) => failStream(call, fail(err)))
          .finally(end);
      };
    }
    return (call: ServerUnaryCall<unknown, unknown> | ServerReadableStream<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      try {
        begin(call.metadata);
      } catch (err) {
        if (reqStream) (call as ServerReadableStream<unknown, unknown>).resume();
        callback(toServiceError(err));
        return;
      }
      const run = withServerSpan(call.getPath(), call.metadata, () =>
        reqStream ? handler(call) : handler((call as ServerUnaryCall<unknown, unknown>).request, call),
      );
      run.then((res) => callback(null, res)).catch((err) => callback(fail(err))).finally(end);
    };
  }
}
