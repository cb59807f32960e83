import type { ServingStatus } from "grpc-health-check";
import { Counter } from "prom-client";
import { ConfigError, parseConfig, type ConfigOf, type Spec } from "./config.js";
import { commonSettings, dataPaths, type CommonConfig, type DataPaths } from "./common.js";
import { createLogger, type Logger } from "./logger.js";
import { createRegistry, serveMetrics, type Registry } from "./metrics.js";
import { GrpcHost, isLoopbackAddress } from "./grpc-host.js";
import { Authenticator, loadTokens, newInternalToken, type TokenEntry } from "./auth.js";
import { checkFolders, checkOverlaps, type FolderNeed } from "./folders.js";
import { connectNatsBus, createMemoryBus, type Bus } from "./bus/index.js";
import { connectMongo, openSqlite, type MongoHandle, type SqliteDb } from "./stores.js";
import { startTracing, stopTracing } from "./tracing.js";

/** What a module gets from the process it runs in. Connections are shared and opened on first use. */
export interface ModuleContext {
  log: Logger;
  metrics: Registry;
  grpc: GrpcHost;
  common: CommonConfig;
  paths: DataPaths;
  bus(): Promise<Bus>;
  /** MongoDB when MONGO_URL is set; undefined means use SQLite. */
  mongo(): Promise<MongoHandle | undefined>;
  sqlite(): SqliteDb;
  /**
   * Where the hasher or catalog is and the token to present there: the configured address with
   * BOORU_TOKEN, or this process's own server with the process's internal token (modules in one
   * process never need a user's token to talk to each other).
   */
  peer(name: "hasher" | "catalog"): Peer;
  /** Reports this module's health (shown as the health service named after the module). */
  setHealth(status: ServingStatus): void;
  /** Tells the process what else this module serves (the web console's URL), for the start banner. */
  announce(what: string, value: string): void;
}

export interface Peer {
  target: string;
  token?: string;
  /** True when the peer is this process. */
  local: boolean;
}

export interface Running {
  /** Stop taking new work and finish what is in flight within the deadline. */
  stop(deadlineMs: number): Promise<void>;
}

export interface ModuleDef<S extends Spec = Spec> {
  name: string;
  /** Modules that must start first when they run in the same process. */
  deps: string[];
  settings: S;
  /** Registers gRPC services callers need a token for (so the process needs tokens beyond loopback). */
  servesApi?: boolean;
  /** The folders (and SQLite file) it works in; checked, and created, before anything starts. */
  folders?(paths: DataPaths, common: CommonConfig): FolderNeed[];
  start(ctx: ModuleContext, config: ConfigOf<S>): Promise<Running>;
}

export function defineModule<S extends Spec>(def: ModuleDef<S>): ModuleDef<S> {
  return def;
}

/** Selected modules in dependency order (deps that are not selected are remote and ignored). */
export function startOrder(all: readonly ModuleDef[], targets: readonly string[]): ModuleDef[] {
  const byName = new Map(all.map((m) => [m.name, m]));
  const wanted = targets.includes("all") ? all.map((m) => m.name) : [...targets];
  for (const t of wanted) {
    if (!byName.has(t)) throw new ConfigError(`invalid BOORU_TARGET: unknown module ${JSON.stringify(t)} (allowed: all, ${all.map((m) => m.name).join(", ")})`);
  }
  const order: ModuleDef[] = [];
  const visiting = new Set<string>();
  const visit = (name: string) => {
    if (order.some((m) => m.name === name) || !wanted.includes(name)) return;
    if (visiting.has(name)) throw new Error(`module dependency cycle at ${name}`);
    visiting.add(name);
    for (const dep of byName.get(name)!.deps) visit(dep);
    visiting.delete(name);
    order.push(byName.get(name)!);
  };
  wanted.forEach(visit);
  return order;
}

export interface App {
  log: Logger;
  grpcPort: number;
  /** The gRPC address as bound: the configured host and the real port. */
  grpcAddress: string;
  metricsPort: number;
  /** Whether callers need a token (BOORU_TOKENS_FILE). */
  tokens: boolean;
  modules: string[];
  /** What modules announced they serve, e.g. `web` -> the console's URL. */
  announced: Record<string, string>;
  paths: DataPaths;
  common: CommonConfig;
  /** Graceful stop: NOT_SERVING, delay, stop modules in reverse order, drain gRPC, close connections. */
  stop(): Promise<void>;
}

export interface StartOptions {
  argv?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Flags already parsed (the CLI parses them once). */
  flags?: Map<string, string>;
  /** Overrides of the target list (e.g. `booru up` is always all). */
  targets?: string[];
}

/** Runs the selected modules in one process, Loki-style. */
export async function startApp(all: readonly ModuleDef[], opts: StartOptions): Promise<App> {
  const flags = opts.flags ?? new Map();
  const env = opts.env ?? process.env;
  const fullSpec: Spec = { ...commonSettings };
  for (const m of all) Object.assign(fullSpec, m.settings);
  const parsed = parseConfig(fullSpec, flags, env) as Record<string, unknown>;
  const common = parsed as unknown as CommonConfig;
  const order = startOrder(all, opts.targets ?? common.target);
  const paths = dataPaths(common);
  // Everything that can be checked is checked before anything binds or starts.
  const tokens = common.tokensFile ? loadTokens(common.tokensFile) : [];
  checkListen(order, common, tokens);
  await checkModuleFolders(order, common, paths);
  const log = createLogger(order.length === all.length ? "booru" : order.map((m) => m.name).join("+"), common.logLevel, common.logFormat);
  const metrics = createRegistry();
  const internalToken = newInternalToken();
  const auth = new Authenticator(tokens, internalToken);
  const grpc = new GrpcHost({ listen: common.listen, setting: "--listen (BOORU_LISTEN)", log, auth, tlsCert: common.tlsCert, tlsKey: common.tlsKey });
  const grpcPort = await grpc.bind();
  const metricsServer = await serveMetrics(metrics, common.metricsListen, log).catch(async (err: unknown) => {
    await grpc.shutdown(0);
    throw err;
  });
  log.info({ grpc: grpc.address, metrics: metricsServer.address, tls: Boolean(common.tlsCert), tokens: auth.enabled }, "listening");
  // Before any module builds a gRPC client: channelOptions() adds the tracing interceptor then.
  if (common.tracing) await startTracing({ serviceName: `booru-${order.map((m) => m.name).join("-")}` });
  const resources = new Resources(common, paths, log, metrics);
  const peer = (addr: string | undefined): Peer => (addr ? { target: addr, token: common.token, local: false } : { target: grpc.localTarget, token: internalToken, local: true });

  const running: { name: string; handle: Running }[] = [];
  const moduleHealth = new Map<string, ServingStatus>();
  const refreshOverall = () =>
    grpc.setStatus("", [...moduleHealth.values()].every((s) => s === "SERVING") ? "SERVING" : "NOT_SERVING");
  let stopping: Promise<void> | undefined;
  const announced: Record<string, string> = {};

  const stop = () =>
    (stopping ??= (async () => {
      const deadline = Date.now() + common.shutdownTimeout;
      grpc.setAllNotServing();
      for (const name of moduleHealth.keys()) grpc.setStatus(name, "NOT_SERVING");
      if (common.shutdownDelay > 0) await new Promise((r) => setTimeout(r, common.shutdownDelay));
      for (const { name, handle } of running.reverse()) {
        try {
          await handle.stop(Math.max(0, deadline - Date.now()));
          log.info({ module: name }, "module stopped");
        } catch (err) {
          log.error({ err, module: name }, "module failed to stop cleanly");
        }
      }
      await grpc.shutdown(Math.max(100, deadline - Date.now()));
      await metricsServer.close();
      await resources.close();
      await stopTracing().catch((err) => log.warn({ err }, "tracing flush failed"));
    })());

  for (const m of order) {
    const before = new Set(grpc.serviceNames());
    // The gRPC services a module registers share its health.
    const owned: string[] = [];
    const ctx: ModuleContext = {
      log: log.child({ module: m.name }),
      metrics,
      grpc,
      common,
      paths,
      bus: () => resources.bus(),
      mongo: () => resources.mongo(),
      sqlite: () => resources.sqlite(),
      peer: (name) => peer(name === "hasher" ? common.hasherAddr : common.catalogAddr),
      setHealth: (s) => {
        moduleHealth.set(m.name, s);
        grpc.setStatus(m.name, s);
        for (const name of owned) grpc.setStatus(name, s);
        refreshOverall();
      },
      announce: (what, value) => void (announced[what] = value),
    };
    try {
      const config = Object.fromEntries(Object.keys(m.settings).map((k) => [k, parsed[k]]));
      running.push({ name: m.name, handle: await m.start(ctx, config as never) });
      owned.push(...grpc.serviceNames().filter((n) => !before.has(n)));
      if (moduleHealth.has(m.name)) ctx.setHealth(moduleHealth.get(m.name)!);
      if (!moduleHealth.has(m.name)) ctx.setHealth("SERVING");
      log.info({ module: m.name }, "module started");
    } catch (err) {
      // A ConfigError is the whole story in one line (the CLI prints it); anything else gets its stack.
      if (!(err instanceof ConfigError)) log.error({ err, module: m.name }, "module failed to start");
      await stop();
      throw err;
    }
  }
  refreshOverall();
  log.info({ modules: order.map((m) => m.name), grpc: grpc.address, metrics: metricsServer.address }, "ready");
  return { log, grpcPort, grpcAddress: grpc.address, metricsPort: metricsServer.port, tokens: auth.enabled, modules: order.map((m) => m.name), announced, paths, common, stop };
}

/** Serving an API beyond loopback needs tokens: refused before anything binds. */
function checkListen(order: readonly ModuleDef[], common: CommonConfig, tokens: TokenEntry[]): void {
  const apis = order.filter((m) => m.servesApi).map((m) => m.name);
  if (apis.length === 0 || tokens.length > 0 || isLoopbackAddress(common.listen)) return;
  throw new ConfigError(`refusing to serve ${apis.join(" and ")} on ${common.listen} without tokens: anyone who can reach it could use it; set BOORU_TOKENS_FILE (--tokens-file) or listen on 127.0.0.1`);
}

/** The folders the selected modules use: no inbox overlapping another folder, each usable. */
async function checkModuleFolders(order: readonly ModuleDef[], common: CommonConfig, paths: DataPaths): Promise<void> {
  const needs = order.flatMap((m) => m.folders?.(paths, common) ?? []);
  if (needs.some((n) => n.role === "inbox")) {
    // The whole configuration, not only this process's part: a watcher alone must not watch a library either.
    const others: FolderNeed[] = [
      { role: "library", path: paths.library, write: true },
      { role: "duplicates folder", path: paths.duplicates, write: true },
      { role: "rejected folder", path: paths.rejected, write: true },
      ...(common.mongoUrl ? [] : [{ role: "SQLite file", path: paths.sqlite, write: true, file: true }]),
    ];
    await checkOverlaps(paths.inboxes.map((p) => ({ role: "inbox", path: p, write: false })), others);
  }
  await checkFolders(needs);
}

/** Shared connections, opened on first use and closed once at shutdown. */
class Resources {
  private busP?: Promise<Bus>;
  private mongoP?: Promise<MongoHandle | undefined>;
  private sqliteDb?: SqliteDb;

  constructor(
    private readonly common: CommonConfig,
    private readonly paths: DataPaths,
    private readonly log: Logger,
    private readonly metrics: Registry,
  ) {}

  bus(): Promise<Bus> {
    this.busP ??= this.common.natsUrl
      ? connectNatsBus({ url: this.common.natsUrl, prefix: this.common.natsPrefix, name: `booru-${process.pid}`, duplicateWindowMs: this.common.duplicateWindow, log: this.log })
      : Promise.resolve(createMemoryBus(this.log, this.common.duplicateWindow));
    return this.busP;
  }

  mongo(): Promise<MongoHandle | undefined> {
    this.mongoP ??= this.openMongo();
    return this.mongoP;
  }

  private async openMongo(): Promise<MongoHandle | undefined> {
    if (!this.common.mongoUrl) return undefined;
    const reconnects = new Counter({ name: "booru_store_reconnects_total", help: "MongoDB clients the watchdog reconnected after they stayed stuck", registers: [this.metrics] });
    return connectMongo(this.common.mongoUrl, this.common.mongoDb, { appName: "booru", log: this.log, onReconnect: () => reconnects.inc() });
  }

  sqlite(): SqliteDb {
    this.sqliteDb ??= openSqlite(this.paths.sqlite);
    return this.sqliteDb;
  }

  async close(): Promise<void> {
    const bus = await this.busP?.catch(() => undefined);
    await bus?.close().catch((err) => this.log.warn({ err }, "bus close failed"));
    const mongo = await this.mongoP?.catch(() => undefined);
    await mongo?.close().catch((err) => this.log.warn({ err }, "mongo close failed"));
    this.sqliteDb?.close();
  }
}
