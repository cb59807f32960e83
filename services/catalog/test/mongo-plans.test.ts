/**
 * No request path reads a whole collection: every command the catalog's repositories send is
 * explained on the real server, and a collection scan or a sort of every match fails the test.
 * On FerretDB, newest-first pages are read from an index by scripts/ferretdb.patch (1.24 itself
 * pushes down no sort and no range).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planProbe, type PlanProbe } from "../../../test/harness/plans.js";
import { mongoNearRepo } from "../src/near/mongo.js";
import { mongoRepos } from "../src/repos/mongo.js";
import { makeDuplicate, makeImage, makeRejection } from "./fixtures.js";

describe("MongoDB query plans of the catalog", () => {
  let probe: PlanProbe;
  beforeAll(async () => {
    probe = await planProbe("plans");
  });
  afterAll(() => probe.close());

  it("reads every lookup and counter through an index", async () => {
    const repos = await mongoRepos(probe.db);
    const near = await mongoNearRepo(probe.db);
    const images = Array.from({ length: 40 }, (_, i) => makeImage(`plan${i}`, { ingestedUnixMs: 1_000 + i, format: i % 2 ? "png" : "jpeg" }));
    await repos.images.putMany(images.map((image) => ({ image })));
    for (let i = 0; i < 3; i++) {
      await repos.duplicates.put(makeDuplicate(`dup${i}`, images[i]!.md5, 10 + i));
      await repos.rejections.put(makeRejection(`rej${i}`, "corrupt", 10 + i));
      await near.putGroup({ id: `g${i}`, members: [images[2 * i]!.md5, images[2 * i + 1]!.md5], updatedUnixMs: 10 + i });
    }
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
      await repos.duplicates.count();
      await repos.rejections.put(makeRejection("rej", "corrupt", 5));
      await repos.rejections.countByReason();
      const first = await repos.images.list({}, 5);
      await repos.images.list({}, 5, first.next);
      await repos.images.list({ oldestFirst: true }, 5, (await repos.images.list({ oldestFirst: true }, 5)).next);
      await repos.images.list({ kind: "image" }, 5, first.next);
      await repos.duplicates.list(undefined, 5, (await repos.duplicates.list(undefined, 1)).next);
      await repos.duplicates.list(image.md5, 5);
      await repos.rejections.list(undefined, 5, (await repos.rejections.list(undefined, 1)).next);
      await repos.rejections.list("corrupt", 5);
      await near.listGroups(5, (await near.listGroups(1)).next);
      await near.enqueue({ id: "i:plan", kind: "image", md5s: [image.md5], at: 5 });
      await near.nextJobs(5);
      await repos.images.stats(Date.now() - 60_000);
    });
    expect(found.length).toBeGreaterThan(16);
    expect(found.filter((f) => f.scans.length > 0)).toEqual([]);
  });
});
