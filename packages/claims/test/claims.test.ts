import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { MongoClient } from "mongodb";
import { openSqlite } from "@booru/runtime";
import { MongoClaimsStore, SqliteClaimsStore } from "../src/index.js";
import { mongoUrl, uniqueName } from "../../../test/harness/index.js";
import { claimsContract } from "./contract.js";

const clients: MongoClient[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
});

claimsContract("SQLite (file)", async () => new SqliteClaimsStore(openSqlite(path.join(mkdtempSync(path.join(tmpdir(), "claims-")), "c.sqlite"))));

claimsContract("MongoDB", async () => {
  const client = new MongoClient(mongoUrl());
  await client.connect();
  clients.push(client);
  const store = new MongoClaimsStore(client.db(uniqueName("claims")));
  await store.init();
  return store;
});
