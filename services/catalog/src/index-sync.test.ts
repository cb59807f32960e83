import { describe, expect, it } from "vitest";
import { createLogger, openSqlite } from "@booru/runtime";
import { catalogV1 } from "@booru/proto";
import { makeImage } from "../test/fixtures.js";
import { IndexSync } from "./index-sync.js";
import { sqliteRepos } from "./repos/sqlite.js";
import { SimilarityIndex } from "./similarity.js";

function setup() {
  const db = openSqlite(":memory:");
  const repos = sqliteRepos(db);
  const index = new SimilarityIndex();
  const sync = new IndexSync(repos.images, index, createLogger("test", "silent"));
  const put = (seed: string, ingestedUnixMs: number) => repos.images.put(makeImage(seed, { ingestedUnixMs }));
  return { db, repos, index, sync, put };
}

describe("similarity index sync", () => {
  it("a refresh adds what the store gained and removes what it lost, without events", async () => {
    const { repos, index, sync, put } = setup();
    for (let i = 0; i < 30; i++) await put(`a${i}`, Date.now());
    await sync.refresh();
    expect(index.size).toBe(30);
    await put("new", Date.now());
    await repos.images.delete(makeImage("a3").md5);
    await sync.refresh();
    expect(index.size).toBe(30);
    expect(index.has(makeImage("new").md5)).toBe(true);
    expect(index.has(makeImage("a3").md5)).toBe(false);
  });

  it("an event deleting a record during a refresh is not undone by the scan", async () => {
    const { index, sync, put } = setup();
    for (let i = 0; i < 10; i++) await put(`b${i}`, Date.now());
    const gone = makeImage("b4").md5;
    const running = sync.refresh();
    sync.apply(catalogV1.Event.fromPartial({ deletedMd5: gone }));
    await running;
    expect(index.has(gone)).toBe(false);
  });

  it("catching up reads the records stored since the last refresh, not the whole store", async () => {
    const { db, index, sync, put } = setup();
    const old = Date.now() - 3_600_000;
    for (let i = 0; i < 20; i++) await put(`c${i}`, old);
    await sync.refresh();
    // Stored meanwhile by another replica, its event lost.
    await put("late", Date.now());
    const statements: string[] = [];
    const prepare = db.prepare.bind(db);
    db.prepare = ((sql: string) => (statements.push(sql), prepare(sql))) as typeof db.prepare;
    await sync.catchUp();
    expect(index.has(makeImage("late").md5)).toBe(true);
    expect(index.size).toBe(21);
    // By the ingest-time index: the full scan's statement never ran.
    expect(statements.some((s) => s.includes("catalog_images_sim"))).toBe(false);
  });
});
