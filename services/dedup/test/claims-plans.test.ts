/** Every claim lookup and conditional change on the ingest path reads through the `_id` index. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planProbe, type PlanProbe } from "../../../test/harness/plans.js";
import { MongoClaimsStore } from "../src/claims/index.js";

describe("MongoDB query plans of the claims", () => {
  let probe: PlanProbe;
  beforeAll(async () => {
    probe = await planProbe("claim-plans");
  });
  afterAll(() => probe.close());

  it("scan no collection", async () => {
    const claims = new MongoClaimsStore(probe.db);
    const md5s = Array.from({ length: 40 }, (_, i) => i.toString(16).padStart(32, "0"));
    await claims.adoptDone(md5s.map((md5) => ({ md5, sha256: "s".repeat(64), libraryPath: `${md5}.jpg`, source: "x.jpg" })));
    const md5 = "f".repeat(32);
    const claim = { md5, sha256: "e".repeat(64), owner: "o", leaseUntil: Date.now() + 60_000, source: "a.jpg" };
    const found = await probe.explain(async () => {
      await claims.tryClaim(claim);
      await claims.tryClaim(claim);
      await claims.heartbeat(md5, "o", Date.now() + 60_000);
      await claims.markDone(md5, "o", "ff/ff/x.jpg");
      await claims.tombstone(md5s[0]!);
      await claims.readmit(md5s[0]!);
    });
    expect(found.length).toBeGreaterThan(4);
    expect(found.filter((f) => f.scans.length > 0)).toEqual([]);
  });
});
