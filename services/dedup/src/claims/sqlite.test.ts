import { describe, expect, it } from "vitest";
import { openSqlite } from "@booru/runtime";
import { claimsContract } from "./claims.contract.js";
import { SqliteClaimsStore } from "./sqlite.js";

claimsContract("SQLite (memory)", async () => new SqliteClaimsStore(openSqlite(":memory:")));

describe("SQLite claims made before the entry column", () => {
  it("opens an older file, keeps its claims and stores entries from then on", async () => {
    const db = openSqlite(":memory:");
    db.exec(`CREATE TABLE claims (md5 TEXT PRIMARY KEY, sha256 TEXT NOT NULL, state TEXT NOT NULL, owner TEXT NOT NULL,
      lease_until INTEGER NOT NULL, source TEXT NOT NULL, attempts INTEGER NOT NULL, image_id TEXT, updated_at INTEGER NOT NULL)`);
    db.prepare("INSERT INTO claims VALUES ('old', 's', 'done', 'a', 0, 'x.jpg', 1, 'ab/cd/old.jpg', 1)").run();
    const store = new SqliteClaimsStore(db);
    expect(await store.get("old")).toMatchObject({ state: "done", source: "x.jpg" });
    expect((await store.get("old"))!.entry).toBeUndefined();
    await store.tryClaim({ md5: "new", sha256: "s", owner: "a", leaseUntil: 0, source: "y.jpg", entry: "e" });
    expect(await store.get("new")).toMatchObject({ entry: "e" });
  });
});
