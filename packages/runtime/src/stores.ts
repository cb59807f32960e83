import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { MongoClient, type Db } from "mongodb";

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
}

export async function connectMongo(url: string, dbName: string, appName: string): Promise<MongoHandle> {
  const client = new MongoClient(url, {
    appName,
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
  return { client, db: client.db(dbName) };
}

/** The duplicate-key error that makes `_id` uniqueness a lock. */
export function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: number } | undefined)?.code === 11000;
}
