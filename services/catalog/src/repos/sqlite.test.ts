import { openSqlite } from "@booru/runtime";
import { repoContract } from "../../test/contract.js";
import { sqliteRepos } from "./sqlite.js";

repoContract("SQLite", async () => {
  const db = openSqlite(":memory:");
  return { repos: sqliteRepos(db), close: async () => void db.close() };
});
