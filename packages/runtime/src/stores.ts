import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { MongoClient, type Collection, type Db } from "mongodb";
import type { Logger } from "./logger.js";

export type SqliteDb = Database.Database;

/** Opens the embedded SQLite file: WAL so several readers never block the writer, full sync so a done claim survives a crash. */
export function openSqlite(file: string): SqliteDb {
  if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 10000");
  db.pragma("foreign_keys = ON");
  return db;
}

export interface MongoHandle {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

export interface MongoOptions {
  appName: string;
  log?: Logger;
  /** Called each time the watchdog reconnects a stuck client (for a metric). */
  onReconnect?: () => void;
  /** How often the watchdog pings; 0 turns it off. */
  checkEveryMs?: number;
  /** How long pings must fail, with the server reachable, before the client counts as stuck. */
  stuckAfterMs?: number;
}

export async function connectMongo(url: string, dbName: string, opts: MongoOptions): Promise<MongoHandle> {
  const client = new MongoClient(url, {
    appName: opts.appName,
    serverSelectionTimeoutMS: 10_000,
    // Polling hellos instead of the streaming (awaitable) protocol: after a server restart the
    // streaming monitor was seen to hang for minutes (FerretDB), leaving the client unable to
    // select a server although the server was back. A hung socket is also bounded.
    serverMonitoringMode: "poll",
    heartbeatFrequencyMS: 5_000,
    connectTimeoutMS: 10_000,
    socketTimeoutMS: 120_000,
  });
  await client.connect();
  const watchdog = new MongoWatchdog(client, url, opts);
  watchdog.start(opts.checkEveryMs ?? 5_000);
  return {
    client,
    db: client.db(dbName),
    close: async () => {
      watchdog.stop();
      await client.close();
    },
  };
}

/**
 * The driver recovers from a server restart by itself nearly always. Seen here about one
 * FerretDB restart in four: a client whose server monitor stopped, so every operation failed
 * with the stale error of the restart, for good, while a new client connected at once. The
 * watchdog pings; when pings have failed for `stuckAfterMs` although a fresh client reaches the
 * server, it reconnects the client in place. Db and Collection objects stay valid: they look
 * the topology up per operation.
 */
class MongoWatchdog {
  private lastOk = Date.now();
  private timer?: NodeJS.Timeout;
  private busy = false;

  constructor(
    private readonly client: MongoClient,
    private readonly url: string,
    private readonly opts: MongoOptions,
  ) {}

  start(everyMs: number): void {
    if (everyMs <= 0) return;
    this.timer = setInterval(() => void this.check(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.client.db("admin").command({ ping: 1 }, { timeoutMS: 5_000 });
      this.lastOk = Date.now();
    } catch (err) {
      const stuckFor = Date.now() - this.lastOk;
      if (stuckFor >= (this.opts.stuckAfterMs ?? 30_000) && (await reachable(this.url))) await this.reconnect(err, stuckFor);
    } finally {
      this.busy = false;
    }
  }

  private async reconnect(err: unknown, stuckFor: number): Promise<void> {
    this.opts.log?.warn({ err, stuckForMs: stuckFor }, "MongoDB client stuck although the server answers a new connection; reconnecting it");
    this.opts.onReconnect?.();
    await this.client.close().catch(() => undefined);
    try {
      await this.client.connect();
      this.lastOk = Date.now();
      this.opts.log?.info("MongoDB client reconnected");
    } catch (connectErr) {
      // Operations fail as not connected meanwhile (a transient error); the next check retries.
      this.opts.log?.warn({ err: connectErr }, "MongoDB reconnect failed; retrying");
    }
  }
}

/** Whether a new client reaches the server: the difference between "server down" and "our client stuck". */
async function reachable(url: string): Promise<boolean> {
  const probe = new MongoClient(url, { serverSelectionTimeoutMS: 3_000, connectTimeoutMS: 3_000 });
  try {
    await probe.connect();
    await probe.db("admin").command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await probe.close().catch(() => undefined);
  }
}

/** The duplicate-key error that makes `_id` uniqueness a lock. */
export function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: number } | undefined)?.code === 11000;
}

/** Inserts the documents whose `_id` is new; returns those. */
export async function insertManyOnce<T extends { _id: string }>(coll: Collection<T>, docs: T[]): Promise<T[]> {
  try {
    await coll.insertMany(docs as never[], { ordered: false });
    return docs;
  } catch (err) {
    const errors = (err as { writeErrors?: { index: number; code?: number }[] | { index: number; code?: number } }).writeErrors;
    const list = Array.isArray(errors) ? errors : errors ? [errors] : undefined;
    if (!list || list.some((e) => e.code !== 11000)) throw err;
    const failed = new Set(list.map((e) => e.index));
    return docs.filter((_, i) => !failed.has(i));
  }
}

/**
 * Every row of a keyed query, a batch at a time, in key order. `page` takes the last key seen
 * ("" first) and the batch size, and must return rows after that key in key order. No statement
 * stays open across a yield: while a better-sqlite3 iterator is open, every other statement on the
 * connection fails ("busy executing a query"), and a caller that awaits between rows lets other
 * modules of the same process use the connection.
 */
export function* inBatches<T>(page: (after: string, size: number) => T[], keyOf: (row: T) => string, size = 5_000): Generator<T> {
  for (let after = ""; ; ) {
    const rows = page(after, size);
    yield* rows;
    if (rows.length < size) return;
    after = keyOf(rows[rows.length - 1]!);
  }
}
