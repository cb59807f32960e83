import path from "node:path";
import { settings, type ConfigOf } from "./config.js";

/** Settings shared by every target. */
export const commonSettings = {
  target: settings.list("BOORU_TARGET", ["all"], "modules to run in this process: all, or a list of watcher, dedup, hasher, catalog"),
  data: settings.string("BOORU_DATA", "./data", "folder holding inbox/, library/, duplicates/, rejected/ and the SQLite file"),
  inbox: settings.list("BOORU_INBOX", [], "inbox folders to watch (default DATA/inbox)"),
  library: settings.optional("BOORU_LIBRARY", "content-addressed library folder (default DATA/library)"),
  duplicates: settings.optional("BOORU_DUPLICATES", "where duplicates are moved (default DATA/duplicates)"),
  rejected: settings.optional("BOORU_REJECTED", "where rejected files go with a reason (default DATA/rejected)"),
  sqlite: settings.optional("BOORU_SQLITE", "SQLite file in embedded mode (default DATA/booru.sqlite)"),
  listen: settings.address("BOORU_LISTEN", "127.0.0.1:50051", "gRPC address of this process"),
  metricsListen: settings.address("BOORU_METRICS_LISTEN", "127.0.0.1:9464", "/metrics HTTP address"),
  natsUrl: settings.optional("NATS_URL", "NATS server(s); unset means the in-process bus"),
  natsPrefix: settings.string("BOORU_NATS_PREFIX", "", "prefix for stream, subject and consumer names"),
  duplicateWindow: settings.duration("BOORU_DUPLICATE_WINDOW", 20 * 60_000, "publishes of the same file (same message id) inside this window are dropped; keep it above BOORU_RESCAN_INTERVAL so reconcile scans do not re-queue a backlog"),
  mongoUrl: settings.optional("MONGO_URL", "MongoDB URL; unset means SQLite"),
  mongoDb: settings.string("BOORU_MONGO_DB", "booru", "MongoDB database name"),
  tokensFile: settings.optional("BOORU_TOKENS_FILE", "tokens callers of the hasher and catalog need: one '<token> <scopes> [name]' per line, scopes read, hash, write, admin; required to serve them beyond loopback"),
  token: settings.optional("BOORU_TOKEN", "token dedup presents to a hasher and catalog in another process (needs write; checked at start)"),
  tlsCert: settings.optional("BOORU_TLS_CERT", "server certificate (PEM) to serve gRPC over TLS"),
  tlsKey: settings.optional("BOORU_TLS_KEY", "server private key (PEM)"),
  tlsCa: settings.optional("BOORU_TLS_CA", "CA (PEM) clients use to verify the servers; enables TLS to them"),
  shutdownTimeout: settings.duration("BOORU_SHUTDOWN_TIMEOUT", 25_000, "deadline for in-flight work at shutdown"),
  shutdownDelay: settings.duration("BOORU_SHUTDOWN_DELAY", 0, "time NOT_SERVING before draining, so load balancers notice"),
  logLevel: settings.oneOf("BOORU_LOG_LEVEL", ["trace", "debug", "info", "warn", "error", "fatal", "silent"], "info", "log level"),
  logFormat: settings.oneOf("BOORU_LOG_FORMAT", ["auto", "json", "pretty"], "auto", "json lines, or readable lines (auto: readable on a terminal)"),
  tracing: settings.bool("BOORU_TRACING", false, "OpenTelemetry tracing (OTLP endpoint from OTEL_EXPORTER_OTLP_ENDPOINT)"),
};

export type CommonConfig = ConfigOf<typeof commonSettings>;

export interface DataPaths {
  data: string;
  inboxes: string[];
  library: string;
  duplicates: string;
  rejected: string;
  sqlite: string;
}

export function dataPaths(c: CommonConfig): DataPaths {
  const data = path.resolve(c.data);
  const under = (v: string | undefined, name: string) => path.resolve(v ?? path.join(data, name));
  return {
    data,
    inboxes: c.inbox.length > 0 ? c.inbox.map((p) => path.resolve(p)) : [path.join(data, "inbox")],
    library: under(c.library, "library"),
    duplicates: under(c.duplicates, "duplicates"),
    rejected: under(c.rejected, "rejected"),
    sqlite: under(c.sqlite, "booru.sqlite"),
  };
}
