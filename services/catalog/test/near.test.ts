import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer } from "@booru/runtime";
import type { catalogV1 } from "@booru/proto";
import { haveConformance } from "../../../test/harness/conformance.js";
import { codeOf, startCatalog, TOKENS, type Running } from "./helpers.js";
import { getImage, listNear, memberSets, nearFoundInTheHour, photoRecord, put, rescanNear, resolveNear } from "./near-support.js";

const present = haveConformance("near-duplicate tests");
const PHOTO = "00002701.jpg";
const OTHER = "00011601.jpg";

/** Near-duplicate groups on one catalog (SQLite, in-process bus), real photos and their variants. */
describe.skipIf(!present)("near-duplicates (review)", () => {
  let cat: Running;
  let data: string;
  let original: catalogV1.Image, half: catalogV1.Image, q40: catalogV1.Image, crop: catalogV1.Image, other: catalogV1.Image;

  beforeAll(async () => {
    [original, half, q40, crop, other] = await Promise.all([photoRecord(PHOTO, "original"), photoRecord(PHOTO, "half"), photoRecord(PHOTO, "q40"), photoRecord(PHOTO, "crop2"), photoRecord(OTHER, "original")]);
    data = await mkdtemp(path.join(tmpdir(), "near-"));
    cat = await startCatalog({}, { "--data": data });
  });
  afterAll(async () => {
    await cat?.stop();
    await rm(data, { recursive: true, force: true });
  });

  const restart = async (env: Record<string, string> = {}) => {
    await cat.stop();
    cat = await startCatalog(env, { "--data": data });
  };
  const waitGroups = (ok: (g: catalogV1.NearDuplicateGroup[]) => boolean) => expect.poll(() => listNear(cat), { timeout: 15_000 }).toSatisfy(ok);

  it("groups a photo's resized and re-encoded copies, suggests the copy with most pixels, announces the group", async () => {
    const events: catalogV1.Event[] = [];
    const stream = cat.client.watchEvents({}, bearer(TOKENS.read));
    stream.on("data", (res: catalogV1.WatchEventsResponse) => events.push(res.event!));
    stream.on("error", () => undefined);
    await new Promise((r) => stream.once("metadata", r));
    // Smallest first: the keeper is not simply the first or the last to arrive.
    for (const image of [half, other, q40, original]) await put(cat, image);
    await waitGroups((g) => g.length === 1 && g[0]!.members.length === 3);
    const [group] = await listNear(cat);
    expect(memberSets([group!])).toEqual([[original.md5, half.md5, q40.md5].sort()]);
    // Same pixels as q40, more bytes.
    expect(group!.suggestedKeep).toBe(original.md5);
    expect(group!.members[0]).toMatchObject({ md5: original.md5, width: 643, height: 488, format: "jpeg", distance: 0 });
    expect(group!.members.find((m) => m.md5 === half.md5)).toMatchObject({ width: 322, format: "png" });
    await expect.poll(() => events.some((e) => e.nearGroupCreated?.id === group!.id || e.nearGroupChanged?.id === group!.id)).toBe(true);
    stream.cancel();
    // The overview's chart: q40 looked like half, the original like both; half and other like none before them.
    expect(await nearFoundInTheHour(cat)).toBe(2);
  });

  it("resolving needs the admin scope", async () => {
    const [group] = await listNear(cat);
    expect(await codeOf(resolveNear(cat, { groupId: group!.id, keepAll: true }, TOKENS.write))).toBe(status.PERMISSION_DENIED);
    expect(await codeOf(rescanNear(cat, TOKENS.read))).toBe(status.PERMISSION_DENIED);
    expect(await codeOf(resolveNear(cat, { groupId: group!.id, keep: { md5s: [other.md5] } }))).toBe(status.INVALID_ARGUMENT);
    expect(await listNear(cat)).toHaveLength(1);
  });

  it("keep all holds for good: after a restart, a rescan with other thresholds, and a copy of one of them", async () => {
    const [group] = await listNear(cat);
    expect(await resolveNear(cat, { groupId: group!.id, keepAll: true })).toMatchObject({ dropped: [] });
    expect(await listNear(cat)).toEqual([]);
    await restart();
    expect(await listNear(cat)).toEqual([]);
    await restart({ BOORU_NEAR_PHASH64: "24", BOORU_NEAR_DHASH64: "24" });
    expect(await rescanNear(cat)).toMatchObject({ images: 4, groups: 0 });
    // Pairs a rescan finds again are not new near-duplicates on the overview.
    expect(await nearFoundInTheHour(cat)).toBe(2);
    expect(await listNear(cat)).toEqual([]);
    await restart();
    // A fourth copy pairs with the three; the three are not paired with each other again.
    await put(cat, crop);
    await waitGroups((g) => g.length === 1);
    const [again] = await listNear(cat);
    expect(again!.id).not.toBe(group!.id);
    expect(again!.members.map((m) => m.md5)).toContain(crop.md5);
    expect(await resolveNear(cat, { groupId: again!.id, keep: { md5s: [crop.md5, original.md5, half.md5, q40.md5] } })).toMatchObject({ dropped: [] });
    await rescanNear(cat);
    expect(await listNear(cat)).toEqual([]);
  });
});

describe.skipIf(!present)("near-duplicates: dropping", () => {
  let cat: Running;
  beforeAll(async () => {
    cat = await startCatalog();
  });
  afterAll(async () => {
    await cat?.stop();
  });

  it("apply the suggestion: the others leave the catalog, the keeper keeps their names and md5s", async () => {
    const [original, half, q40] = await Promise.all([photoRecord(PHOTO, "original"), photoRecord(PHOTO, "half"), photoRecord(PHOTO, "q40")]);
    for (const image of [q40, half, original]) await put(cat, image);
    await expect.poll(() => listNear(cat).then((g) => g[0]?.members.length ?? 0), { timeout: 15_000 }).toBe(3);
    const [group] = await listNear(cat);
    expect(await resolveNear(cat, { groupId: group!.id, applySuggestion: true })).toEqual({ kept: [original.md5], dropped: [half.md5, q40.md5].sort() });
    expect(await listNear(cat)).toEqual([]);
    expect(await codeOf(getImage(cat, half.md5))).toBe(status.NOT_FOUND);
    const keeper = await getImage(cat, original.md5);
    expect(keeper.absorbed.map((a) => [a.md5, a.originalName]).sort()).toEqual([[half.md5, half.originalName], [q40.md5, q40.originalName]].sort());
  });
});

describe.skipIf(!present)("near-duplicates (keep-best at ingest)", () => {
  for (const order of ["small first", "large first"] as const) {
    it(`keeps the larger copy, ${order}`, async () => {
      const cat = await startCatalog({ BOORU_NEAR_DUPLICATES: "keep-best" });
      try {
        const [large, small] = await Promise.all([photoRecord(PHOTO, "original"), photoRecord(PHOTO, "half")]);
        for (const image of order === "small first" ? [small, large] : [large, small]) await put(cat, image);
        await expect.poll(() => codeOf(getImage(cat, small.md5)), { timeout: 15_000 }).toBe(status.NOT_FOUND);
        const kept = await getImage(cat, large.md5);
        expect(kept.absorbed.map((a) => a.md5)).toEqual([small.md5]);
        expect(await listNear(cat)).toEqual([]);
      } finally {
        await cat.stop();
      }
    });
  }
});
