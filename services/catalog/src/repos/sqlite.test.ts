import { describe, expect, it } from "vitest";
import { openSqlite } from "@booru/runtime";
import { catalogV1 } from "@booru/proto";
import { makeImage } from "../../test/fixtures.js";
import { repoContract } from "../../test/contract.js";
import { sqliteRepos } from "./sqlite.js";

repoContract("SQLite", async () => {
  const db = openSqlite(":memory:");
  return { repos: sqliteRepos(db), close: async () => void db.close() };
});

describe("SQLite catalog file from before kinds", () => {
  it("gains the kind and frame signature columns at start; its records are images", async () => {
    const db = openSqlite(":memory:");
    db.exec(`CREATE TABLE catalog_images (md5 TEXT PRIMARY KEY, sha256 TEXT NOT NULL, format TEXT NOT NULL, bytes INTEGER NOT NULL,
      ingested INTEGER NOT NULL, phash64 TEXT, dhash64 TEXT, phash256 TEXT, blockhash256 TEXT, record TEXT NOT NULL)`);
    const old = makeImage("old");
    db.prepare("INSERT INTO catalog_images (md5, sha256, format, bytes, ingested, record) VALUES (?, ?, ?, ?, ?, ?)").run(old.md5, old.hashes!.sha256, "jpeg", 1000, old.ingestedUnixMs, JSON.stringify(catalogV1.Image.toJSON(old)));
    const repos = sqliteRepos(db);
    expect((await repos.images.list({ kind: "image" }, 10)).items.map((i) => i.md5)).toEqual([old.md5]);
    expect((await repos.images.list({ kind: "video" }, 10)).items).toEqual([]);
    sqliteRepos(db); // a second start finds the columns there
    db.close();
  });
});
