import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MongoClient } from "mongodb";
import { openSqlite } from "@booru/runtime";
import { MongoClaimsStore, SqliteClaimsStore } from "../src/claims/index.js";
import { mongoUrl, uniqueName } from "../../../test/harness/index.js";
import { claimsContract } from "../src/claims/claims.contract.js";

const clients: MongoClient[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
});

claimsContract("SQLite (file)", async () => new SqliteClaimsStore(openSqlite(path.join(mkdtempSync(path.join(tmpdir(), "claims-")), "c.sqlite"))));

claimsContract("MongoDB", async () => {
  const client = new MongoClient(mongoUrl());
  await client.connect();
  clients.push(client);
  return new MongoClaimsStore(client.db(uniqueName("claims")));
});

describe("MongoDB claims: takeover markers", () => {
  it("leaves no marker behind once a takeover is done, so the collection does not grow", async () => {
    const client = new MongoClient(mongoUrl());
    await client.connect();
    clients.push(client);
    const db = client.db(uniqueName("claims"));
    const store = new MongoClaimsStore(db);
    for (let i = 0; i < 3; i++) {
      const md5 = `${i}`.padStart(32, "e");
      await store.tryClaim({ md5, sha256: "s".repeat(64), owner: "a", leaseUntil: Date.now() - 1000, source: "in/a.jpg" });
      const seen = (await store.get(md5))!.leaseUntil;
      expect(await store.takeover(md5, seen, "b", Date.now() + 60_000, "in/b.jpg")).toBe(true);
    }
    expect(await db.collection("claims_takeovers").countDocuments()).toBe(0);
  });
});
