import { describe, expect, it } from "vitest";
import { openSqlite, type SqliteDb } from "@booru/runtime";
import { catalogV1 } from "@booru/proto";
import { allHashes, makeDuplicate, makeImage, makeRejection } from "../../test/fixtures.js";
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
    const h = old.hashes!;
    db.prepare("INSERT INTO catalog_images (md5, sha256, format, bytes, ingested, phash64, dhash64, phash256, blockhash256, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").run(old.md5, h.sha256, "jpeg", 1000, old.ingestedUnixMs, h.phash64, h.dhash64, h.phash256, h.blockhash256, JSON.stringify(catalogV1.Image.toJSON(old)));
    const repos = sqliteRepos(db);
    expect((await repos.images.list({ kind: "image" }, 10)).items.map((i) => i.md5)).toEqual([old.md5]);
    expect((await repos.images.list({ kind: "video" }, 10)).items).toEqual([]);
    sqliteRepos(db); // a second start finds the columns there
    // The packed hashes were filled for the older record at start.
    const listed = [];
    const hex = (w: unknown) => [...(w as Uint32Array)].map((x) => x.toString(16).padStart(8, "0")).join("");
    for await (const row of allHashes(repos.images)) listed.push([row.md5, hex(row.hashes.phash64), hex(row.hashes.blockhash256)]);
    expect(listed).toEqual([[old.md5, h.phash64, h.blockhash256]]);
    db.close();
  });
});

describe("SQLite catalog queries", () => {
  /** Every statement the repositories prepare, with the parameters of its last run. */
  function recorded(db: SqliteDb): Map<string, unknown[]> {
    const seen = new Map<string, unknown[]>();
    const prepare = db.prepare.bind(db);
    db.prepare = ((sql: string) => {
      const stmt = prepare(sql);
      if (!/^\s*(SELECT|UPDATE|DELETE)/i.test(sql)) return stmt;
      for (const run of ["get", "all", "run", "iterate"] as const) {
        const original = (stmt[run] as (...a: unknown[]) => unknown).bind(stmt);
        (stmt as unknown as Record<string, unknown>)[run] = (...params: unknown[]) => {
          seen.set(sql, params);
          return original(...params);
        };
      }
      return stmt;
    }) as SqliteDb["prepare"];
    return seen;
  }

  it("read by index: no request reads a whole table or sorts one", async () => {
    const db = openSqlite(":memory:");
    const repos = sqliteRepos(db);
    const seen = recorded(db);
    const images = Array.from({ length: 30 }, (_, i) => makeImage(`q${i}`, { ingestedUnixMs: 1_000 + i, format: i % 2 ? "png" : "jpeg" }));
    for (const image of images) await repos.images.put(image);
    await repos.images.get(images[0]!.md5);
    await repos.images.getBySha256(images[1]!.hashes!.sha256);
    await repos.images.getMany([images[2]!.md5, images[3]!.md5]);
    const first = await repos.images.list({}, 5);
    await repos.images.list({}, 5, first.next);
    await repos.images.list({ format: "png" }, 5, first.next);
    await repos.images.list({ kind: "image" }, 5, first.next);
    await repos.images.stats(1_010);
    await repos.images.thumbnail(images[0]!.md5);
    await repos.images.delete(images[4]!.md5);
    await repos.duplicates.put(makeDuplicate("d1", images[0]!.md5, 5));
    await repos.duplicates.count();
    await repos.duplicates.list(images[0]!.md5, 5, { at: 10, key: "d9" });
    await repos.rejections.put(makeRejection("r1", "corrupt", 5));
    await repos.rejections.countByReason();
    await repos.rejections.list("corrupt", 5, { at: 10, key: "r9" });
    for await (const h of allHashes(repos.images)) expect(h.hashes.phash64).toBeDefined(); // start-up: a scan of its covering index
    const plans = [...seen];
    expect(plans.length).toBeGreaterThan(15);
    for (const [sql, params] of plans) {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail);
      const scans = plan.filter((d) => /^SCAN \w+$/.test(d) || /TEMP B-TREE/.test(d));
      expect({ sql, scans }).toEqual({ sql, scans: [] });
    }
    db.close();
  });

  it("counts the rows of a file from before counters once, when it is first opened", async () => {
    const db = openSqlite(":memory:");
    const repos = sqliteRepos(db);
    await repos.images.put(makeImage("c2", { bytes: 32 }));
    await repos.rejections.put(makeRejection("r1", "corrupt", 1));
    // A file from before the counters: its rows are counted when it is first opened.
    db.exec("DROP TABLE catalog_counters; DROP TRIGGER catalog_images_counted; DROP TRIGGER catalog_images_uncounted; DROP TRIGGER catalog_duplicates_counted; DROP TRIGGER catalog_rejections_counted");
    db.prepare("INSERT INTO catalog_images (md5, sha256, format, bytes, ingested, record) SELECT 'x' || md5, sha256, format, bytes, ingested, record FROM catalog_images").run();
    const again = sqliteRepos(db);
    expect(await again.images.stats(0)).toEqual({ images: 2, bytes: 64, ingestedSince: 2 });
    expect(await again.rejections.countByReason()).toEqual({ corrupt: 1 });
    db.close();
  });
});

describe("SQLite reads of every record", () => {
  // In one process the catalog rebuilds its index while dedup opens its claims on the same
  // connection: `booru up` on an existing data folder failed with "busy executing a query".
  it("leave the connection free between records, however many there are", async () => {
    const db = openSqlite(":memory:");
    const repos = sqliteRepos(db);
    const images = Array.from({ length: 25_050 }, (_, i) => makeImage(`many-${i}`));
    await repos.images.putMany(images.map((image) => ({ image })));
    let hashes = 0;
    for await (const row of allHashes(repos.images)) {
      if (hashes++ % 5_000 === 0) db.exec("CREATE TABLE IF NOT EXISTS other_module (k TEXT PRIMARY KEY)");
      expect(row.hashes.phash64).toBeDefined();
    }
    let records = 0;
    for await (const r of repos.images.records()) if (records++ % 999 === 0) db.prepare("INSERT OR IGNORE INTO other_module (k) VALUES (?)").run(r.image.md5);
    expect({ hashes, records }).toEqual({ hashes: images.length, records: images.length });
    db.close();
  });
});
