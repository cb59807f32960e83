/**
 * The overview's near-duplicates per minute, on both stores: each image found once per minute
 * however often its job runs, counted in its minute, and read without scanning (SQLite's query
 * plan; on the MongoDB-protocol server every command explained, FerretDB included).
 */
import { afterAll, describe, expect, it } from "vitest";
import { openSqlite, type SqliteDb } from "@booru/runtime";
import { planProbe, type PlanProbe } from "../../../test/harness/plans.js";
import { mongoNearRepo } from "../src/near/mongo.js";
import { sqliteNearRepo } from "../src/near/sqlite.js";
import type { NearRepo } from "../src/near/types.js";

const MINUTE = 60_000;
const T0 = 1_700_000_040_000; // a minute's start
const md5 = (n: number) => n.toString(16).padStart(32, "0");

/** Finds in three minutes (one found twice, one before the span) and the counts asked back. */
async function foundCounts(repo: NearRepo) {
  await repo.recordFound(md5(1), T0 - 1);
  await repo.recordFound(md5(2), T0);
  await repo.recordFound(md5(3), T0 + MINUTE - 1);
  await repo.recordFound(md5(3), T0 + MINUTE - 1); // the same job run again
  await repo.recordFound(md5(4), T0 + 2 * MINUTE + 5);
  await repo.recordFound(md5(5), T0 + 3 * MINUTE);
  return Object.fromEntries(await repo.foundPerMinute(T0, T0 + 3 * MINUTE));
}

describe("near-duplicates found per minute (SQLite)", () => {
  it("counts each image once, in its minute, within the span", async () => {
    const db = openSqlite(":memory:");
    expect(await foundCounts(sqliteNearRepo(db))).toEqual({ [T0]: 2, [T0 + 2 * MINUTE]: 1 });
    db.close();
  });

  it("reads by index", async () => {
    const db: SqliteDb = openSqlite(":memory:");
    const repo = sqliteNearRepo(db);
    for (let i = 0; i < 50; i++) await repo.recordFound(md5(i), T0 + i * 7_000);
    const plan = (db.prepare("EXPLAIN QUERY PLAN SELECT at, COUNT(*) AS n FROM catalog_near_found WHERE at >= ? AND at < ? GROUP BY at").all(T0, T0 + MINUTE) as { detail: string }[]).map((r) => r.detail);
    expect(plan.filter((d) => /^SCAN \w+$/.test(d) || /TEMP B-TREE/.test(d))).toEqual([]);
    expect(Object.fromEntries(await repo.foundPerMinute(T0, T0 + 2 * MINUTE))).toEqual({ [T0]: 9, [T0 + MINUTE]: 9 });
    db.close();
  });
});

describe("near-duplicates found per minute (MongoDB protocol)", () => {
  let probe: PlanProbe | undefined;
  afterAll(() => probe?.close());

  it("counts each image once, in its minute, within the span, and reads by index", async () => {
    probe = await planProbe("near-found");
    const repo = await mongoNearRepo(probe.db);
    let counts: Record<string, number> = {};
    const explained = await probe.explain(async () => {
      counts = await foundCounts(repo);
    });
    expect(counts).toEqual({ [T0]: 2, [T0 + 2 * MINUTE]: 1 });
    expect(explained.length).toBeGreaterThanOrEqual(7);
    expect(explained.filter((e) => e.scans.length > 0)).toEqual([]);
  });
});
