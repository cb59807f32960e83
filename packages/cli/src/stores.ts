/**
 * The stores of this machine's configuration (MONGO_URL, else the SQLite file under --data), for
 * the admin commands that work on them directly (`booru export`, `booru import`).
 */
import { commonSettings, connectMongo, dataPaths, openSqlite, parseConfig, type MongoHandle, type SqliteDb } from "@booru/runtime";

/** The settings these commands take: where the data is. */
const STORE_SETTINGS = { data: commonSettings.data, sqlite: commonSettings.sqlite, mongoUrl: commonSettings.mongoUrl, mongoDb: commonSettings.mongoDb };

export const STORE_HELP = [
  "  --data DIR           data folder holding the SQLite file (env BOORU_DATA; default ./data)",
  "  --sqlite FILE        the SQLite file (env BOORU_SQLITE; default DATA/booru.sqlite)",
  "  --mongo-url URL      MongoDB instead of SQLite (env MONGO_URL)",
  "  --mongo-db NAME      MongoDB database (env BOORU_MONGO_DB; default booru)",
].join("\n");

export interface Stores {
  mongo(): Promise<MongoHandle | undefined>;
  sqlite(): SqliteDb;
  /** Which store, for messages. */
  describe: string;
  close(): Promise<void>;
}

export function openStores(flags: Map<string, string>): Stores {
  const config = parseConfig(STORE_SETTINGS, flags);
  const paths = dataPaths({ ...parseConfig(commonSettings, new Map()), ...config });
  let mongo: Promise<MongoHandle | undefined> | undefined;
  let sqlite: SqliteDb | undefined;
  return {
    mongo: () => (mongo ??= config.mongoUrl ? connectMongo(config.mongoUrl, config.mongoDb, { appName: "booru-transfer" }) : Promise.resolve(undefined)),
    sqlite: () => (sqlite ??= openSqlite(paths.sqlite)),
    describe: config.mongoUrl ? `MongoDB database ${config.mongoDb}` : `SQLite ${paths.sqlite}`,
    async close() {
      await (await mongo)?.close();
      sqlite?.close();
    },
  };
}
