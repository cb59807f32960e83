/**
 * No request path scans a collection: every command the catalog's repositories send is
 * explained on the real server, and a collection scan fails the test. FerretDB 1.24 pushes down
 * equality only (no ranges, no sorts): the newest-first reads are the known exceptions there,
 * and only there.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planProbe, type PlanProbe } from "../../../test/harness/plans.js";
import { mongoRepos } from "../src/repos/mongo.js";
import { makeDuplicate, makeImage, makeRejection } from "./fixtures.js";

describe("MongoDB query plans of the catalog", () => {
  let probe: PlanProbe;
  beforeAll(async () => {
    probe = await planProbe("plans");
  });
  afterAll(() => probe.close());

  it("reads every lookup through an index", async () => {
    const repos = await mongoRepos(probe.db);
    const images = Array.from({ length: 40 }, (_, i) => makeImage(`plan${i}`, { ingestedUnixMs: 1_000 + i, format: i % 2 ? "png" : "jpeg" }));
    await repos.images.putMany(images.map((image) => ({ image })));
    const image = images[0]!;
    const found = await probe.explain(async () => {
      await repos.images.put(image);
      await repos.images.put(makeImage("plan-new"));
      await repos.images.get(image.md5);
      await repos.images.getBySha256(image.hashes!.sha256);
      await repos.images.getMany([images[1]!.md5, images[2]!.md5]);
      await repos.images.thumbnail(image.md5);
      await repos.images.delete(images[3]!.md5);
      await repos.duplicates.put(makeDuplicate("dup", image.md5, 5));
      await repos.rejections.put(makeRejection("rej", "corrupt", 5));
      const first = await repos.images.list({}, 5);
      await repos.images.list({}, 5, first.next);
    });
    // GetStats counts on this store (FerretDB's $inc loses increments between replicas; see
    // MongoImages.stats), so its reads are not in this list: issue 16 is open on it.
    expect(found.length).toBeGreaterThan(12);
    // What FerretDB 1.24 cannot push down: newest-first pages (a range and a sort).
    const rangeOrSort = (f: (typeof found)[number]) => f.command === "find images" && (/ingestedUnixMs/.test(f.filter) || f.filter === "{}");
    expect(found.filter((f) => f.scans.length > 0 && !(probe.ferret && rangeOrSort(f)))).toEqual([]);
  });
});
