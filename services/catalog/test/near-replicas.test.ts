import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { catalogV1 } from "@booru/proto";
import { uniqueName } from "../../../test/harness/index.js";
import { haveConformance } from "../../../test/harness/conformance.js";
import { startReplicas, type Running } from "./helpers.js";
import { listNear, memberSets, nearFoundInTheHour, photoRecord, put } from "./near-support.js";

const present = haveConformance("near-duplicate replica tests");
const PHOTOS = ["00002701.jpg", "00011601.jpg", "00106901.jpg", "00136101.jpg", "01109801.jpg"];

/**
 * Two catalog replicas on MongoDB (FerretDB) and NATS: copies of one photo arriving at the same
 * moment on both are still paired, and each group is recorded once.
 */
describe.skipIf(!present)("near-duplicates on two replicas (MongoDB, NATS)", () => {
  let replicas: Awaited<ReturnType<typeof startReplicas>>;
  let a: Running;
  let b: Running;

  beforeAll(async () => {
    replicas = await startReplicas(uniqueName("near"), { BOORU_NEAR_POLL: "300ms" });
    ({ a, b } = replicas);
  });
  afterAll(async () => {
    await replicas?.stop();
  });

  it("concurrent copies on the two replicas form one group per photo", async () => {
    const pairs: [catalogV1.Image, catalogV1.Image][] = await Promise.all(PHOTOS.map(async (p) => [await photoRecord(p, "original"), await photoRecord(p, "half")] as [catalogV1.Image, catalogV1.Image]));
    // Each photo's two copies at once, one on each replica; all photos at once.
    await Promise.all(pairs.map(([x, y]) => Promise.all([put(a, x), put(b, y)])));
    const expected = memberSets(pairs.map(([x, y]) => ({ id: "", suggestedKeep: "", updatedUnixMs: 0, members: [x, y].map((i) => ({ md5: i.md5 }) as catalogV1.NearDuplicateMember) })));
    await expect.poll(() => listNear(b).then(memberSets), { timeout: 30_000 }).toEqual(expected);
    const groups = await listNear(a);
    expect(memberSets(groups)).toEqual(expected);
    expect(new Set(groups.map((g) => g.id)).size).toBe(PHOTOS.length);
    for (const g of groups) expect(g.suggestedKeep).toBe(pairs.find(([x]) => g.members.some((m) => m.md5 === x.md5))![0].md5);
    // One copy of each photo was found to look like the other, once, whichever replica asks.
    expect(await nearFoundInTheHour(a)).toBe(PHOTOS.length);
    expect(await nearFoundInTheHour(b)).toBe(PHOTOS.length);
  });
});
