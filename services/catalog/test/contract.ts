/**
 * The one contract every storage adapter of the catalog passes (SQLite in the unit tests,
 * MongoDB through the harness in the integration tests).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hasherV1 } from "@booru/proto";
import type { Cursor, Page, Repos } from "../src/repos/types.js";
import type { HashValues } from "../src/similarity.js";
import { allHashes, makeDuplicate, makeImage, makeRejection, signatureOf } from "./fixtures.js";

export interface Opened {
  repos: Repos;
  close(): Promise<void>;
}

/** Hash values as hex, whether a store lists them so or packed (as words). */
function hexOf(h: HashValues): Record<string, string | undefined> {
  const hex = (w: Uint32Array) => [...w].map((x) => x.toString(16).padStart(8, "0")).join("");
  return Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined).map(([k, v]) => [k, typeof v === "string" ? v : hex(v!)]));
}

async function walk<T>(fetch: (after?: Cursor) => Promise<Page<T>>): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: Cursor | undefined;
  do {
    const page = await fetch(cursor);
    pages.push(page.items);
    cursor = page.next;
  } while (cursor && pages.length < 100);
  return pages;
}

export function repoContract(name: string, open: () => Promise<Opened>): void {
  describe(`catalog repositories: ${name}`, () => {
    let opened: Opened;
    let repos: Repos;
    beforeEach(async () => {
      opened = await open();
      repos = opened.repos;
    });
    afterEach(() => opened.close());

    it("stores one record per md5 and keeps the first on a retry", async () => {
      const image = makeImage("a");
      const thumb = { data: Buffer.from("thumbnail bytes"), mime: "image/webp", width: 64, height: 48 };
      expect(await repos.images.put(image, thumb)).toEqual({ created: true, image });
      const retry = await repos.images.put({ ...image, originalName: "other.jpg" }, thumb);
      expect(retry).toEqual({ created: false, image });
      expect(await repos.images.get(image.md5)).toEqual(image);
      expect(await repos.images.getBySha256(image.hashes!.sha256)).toEqual(image);
      expect(await repos.images.get(makeImage("missing").md5)).toBeUndefined();
      expect(await repos.images.thumbnail(image.md5)).toEqual(thumb);
      const other = makeImage("b");
      await repos.images.put(other);
      const many = await repos.images.getMany([other.md5, makeImage("missing").md5, image.md5]);
      expect(many.sort((x, y) => (x.md5 < y.md5 ? -1 : 1))).toEqual([image, other].sort((x, y) => (x.md5 < y.md5 ? -1 : 1)));
    });

    it("deletes the record and its thumbnail", async () => {
      const image = makeImage("gone");
      await repos.images.put(image, { data: Buffer.from([1, 2, 3]), mime: "image/webp", width: 1, height: 1 });
      expect(await repos.images.delete(image.md5)).toBe(true);
      expect(await repos.images.get(image.md5)).toBeUndefined();
      expect(await repos.images.thumbnail(image.md5)).toBeUndefined();
      expect(await repos.images.delete(image.md5)).toBe(false);
    });

    it("pages newest first, complete and stable, with ties on the time", async () => {
      const images = Array.from({ length: 23 }, (_, i) => makeImage(`p${i}`, { ingestedUnixMs: 1_000 + Math.floor(i / 4), format: i % 3 ? "jpeg" : "png", bytes: 100 * i }));
      for (const image of images) await repos.images.put(image);
      const expected = [...images].sort((a, b) => b.ingestedUnixMs - a.ingestedUnixMs || (a.md5 < b.md5 ? 1 : -1)).map((i) => i.md5);
      const pages = await walk((after) => repos.images.list({}, 5, after));
      expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
      expect(pages.flat().map((i) => i.md5)).toEqual(expected);
      expect((await walk((after) => repos.images.list({}, 5, after))).flat().map((i) => i.md5)).toEqual(expected);

      // A page boundary stays stable when older records arrive in between.
      const first = await repos.images.list({}, 5);
      await repos.images.put(makeImage("late", { ingestedUnixMs: 1 }));
      const rest = (await walk((after) => repos.images.list({}, 5, after ?? first.next))).flat().map((i) => i.md5);
      expect([...first.items.map((i) => i.md5), ...rest]).toEqual([...expected, makeImage("late").md5]);

      // Oldest first: the same records in the other order, filters included, by cursor.
      const oldest = await walk((after) => repos.images.list({ oldestFirst: true }, 5, after));
      expect(oldest.flat().map((i) => i.md5)).toEqual([makeImage("late").md5, ...[...expected].reverse()]);
      const pngs = (await walk((after) => repos.images.list({ oldestFirst: true, format: "png" }, 2, after))).flat().map((i) => i.md5);
      expect(pngs).toEqual([...expected].reverse().filter((m) => images.find((i) => i.md5 === m)!.info!.format === "png"));
    });

    it("filters by format, byte range and ingested range across pages", async () => {
      const images = Array.from({ length: 20 }, (_, i) => makeImage(`f${i}`, { ingestedUnixMs: 2_000 + i, format: i % 2 ? "png" : "jpeg", bytes: 100 * i }));
      for (const image of images) await repos.images.put(image);
      const match = (i: (typeof images)[number]) => i.info!.format === "png" && i.info!.bytes >= 300 && i.info!.bytes <= 1500 && i.ingestedUnixMs >= 2_004 && i.ingestedUnixMs < 2_014;
      const expected = images.filter(match).reverse().map((i) => i.md5);
      expect(expected.length).toBeGreaterThan(2);
      const filter = { format: "png", minBytes: 300, maxBytes: 1500, ingestedAfter: 2_004, ingestedBefore: 2_014 };
      const got = (await walk((after) => repos.images.list(filter, 2, after))).flat().map((i) => i.md5);
      expect(got).toEqual(expected);
    });

    it("filters by kind across pages (a record without a kind is an image) and lists frame signatures", async () => {
      const K = hasherV1.MediaKind;
      const kinds = [K.UNSPECIFIED, K.IMAGE, K.ANIMATION, K.VIDEO, K.ARCHIVE, K.VIDEO, K.IMAGE, K.VIDEO, K.ANIMATION];
      const images = kinds.map((kind, i) =>
        makeImage(`k${i}`, { kind, ingestedUnixMs: 3_000 + i, format: kind === K.VIDEO ? "mp4" : "png", frameSignature: kind === K.VIDEO || kind === K.ANIMATION ? signatureOf(`k${i}`) : "" }),
      );
      for (const image of images) await repos.images.put(image);
      const listed = async (kind: string) => (await walk((after) => repos.images.list({ kind }, 2, after))).flat().map((i) => i.md5);
      const expected = (...ks: hasherV1.MediaKind[]) => images.filter((i) => ks.includes(i.info!.kind)).reverse().map((i) => i.md5);
      expect(await listed("video")).toEqual(expected(K.VIDEO));
      expect(await listed("animation")).toEqual(expected(K.ANIMATION));
      expect(await listed("archive")).toEqual(expected(K.ARCHIVE));
      expect(await listed("image")).toEqual(expected(K.UNSPECIFIED, K.IMAGE));
      expect((await repos.images.list({ kind: "video", format: "png" }, 10)).items).toEqual([]);
      const video = images[3]!;
      expect(await repos.images.get(video.md5)).toEqual(video);
      const signatures = new Map<string, string | undefined>();
      for await (const h of allHashes(repos.images)) signatures.set(h.md5, hexOf(h.hashes).frames);
      for (const image of images) expect(signatures.get(image.md5), image.originalName).toBe(image.hashes!.frameSignature || undefined);
    });

    it("counts images, bytes and recent ingests and lists every hash", async () => {
      await repos.images.put(makeImage("s1", { bytes: 10, ingestedUnixMs: 100 }));
      await repos.images.put(makeImage("s2", { bytes: 20, ingestedUnixMs: 200 }));
      await repos.images.put(makeImage("s3", { bytes: 30, ingestedUnixMs: 300 }));
      expect(await repos.images.stats(200)).toEqual({ images: 3, bytes: 60, ingestedSince: 2 });
      const hashes = [];
      for await (const h of allHashes(repos.images)) hashes.push({ md5: h.md5, hashes: hexOf(h.hashes) });
      expect(hashes.sort((a, b) => (a.md5 < b.md5 ? -1 : 1))).toEqual(
        ["s1", "s2", "s3"].map((s) => makeImage(s)).sort((a, b) => (a.md5 < b.md5 ? -1 : 1)).map((i) => ({
          md5: i.md5,
          hashes: { phash64: i.hashes!.phash64, dhash64: i.hashes!.dhash64, phash256: i.hashes!.phash256, blockhash256: i.hashes!.blockhash256 },
        })),
      );
    });

    it("stores a batch once, skipping records it has, and lists every record with its thumbnail", async () => {
      const thumb = { data: Buffer.from("t"), mime: "image/webp", width: 4, height: 3 };
      const held = makeImage("m0", { bytes: 7 });
      await repos.images.put(held);
      const batch = [held, makeImage("m1", { bytes: 5 }), makeImage("m2", { bytes: 6 })].map((image, i) => ({ image, ...(i === 1 && { thumbnail: thumb }) }));
      expect(await repos.images.putMany(batch)).toBe(2);
      expect(await repos.images.putMany(batch)).toBe(0);
      expect(await repos.images.stats(0)).toMatchObject({ images: 3, bytes: 18 });
      expect(await repos.images.getBySha256(batch[2]!.image.hashes!.sha256)).toEqual(batch[2]!.image);
      const all = [];
      for await (const r of repos.images.records()) all.push(r);
      const byMd5 = (x: { image: { md5: string } }, y: { image: { md5: string } }) => (x.image.md5 < y.image.md5 ? -1 : 1);
      expect(all.sort(byMd5)).toEqual([...batch].sort(byMd5));
    });

    it("keeps its counts through retries and deletes", async () => {
      await repos.images.put(makeImage("n1", { bytes: 10 }));
      await repos.images.put(makeImage("n1", { bytes: 10 }));
      await repos.images.put(makeImage("n2", { bytes: 32 }));
      await repos.images.delete(makeImage("n1").md5);
      await repos.images.delete(makeImage("n1").md5);
      await repos.rejections.put(makeRejection("r1", "corrupt", 1));
      await repos.rejections.put(makeRejection("r1", "corrupt", 1));
      await repos.duplicates.put(makeDuplicate("d1", makeImage("n2").md5, 1));
      await repos.duplicates.put(makeDuplicate("d1", makeImage("n2").md5, 1));
      expect(await repos.images.stats(0)).toEqual({ images: 1, bytes: 32, ingestedSince: 1 });
      expect(await repos.rejections.countByReason()).toEqual({ corrupt: 1 });
      expect(await repos.duplicates.count()).toBe(1);
      const now = Date.now();
      await repos.images.put(makeImage("n3", { ingestedUnixMs: now - 5_000 }));
      await repos.images.putMany([{ image: makeImage("n4", { ingestedUnixMs: now - 120_000 }) }, { image: makeImage("n5", { ingestedUnixMs: now }) }]);
      expect((await repos.images.stats(now - 60_000)).ingestedSince).toBe(2);
    });

    it("stores duplicates once per id and lists them newest first", async () => {
      const md5 = makeImage("orig").md5;
      const dups = Array.from({ length: 7 }, (_, i) => makeDuplicate(`d${i}`, i < 5 ? md5 : makeImage("x").md5, 10 + Math.floor(i / 2)));
      for (const d of dups) expect(await repos.duplicates.put(d)).toBe(true);
      expect(await repos.duplicates.put({ ...dups[0]!, sourcePath: "changed" })).toBe(false);
      expect(await repos.duplicates.count()).toBe(7);
      const all = (await walk((after) => repos.duplicates.list(undefined, 3, after))).flat();
      expect(all.map((d) => d.id)).toEqual(["d6", "d5", "d4", "d3", "d2", "d1", "d0"]);
      expect(all.at(-1)).toEqual(dups[0]);
      const ofMd5 = (await walk((after) => repos.duplicates.list(md5, 2, after))).flat();
      expect(ofMd5.map((d) => d.id)).toEqual(["d4", "d3", "d2", "d1", "d0"]);
    });

    it("keeps the latest report per inbox and lists the fresh ones", async () => {
      const report = (inbox: string, name: number, at: number) => ({ inbox, watcherId: "w", ignoredByReason: { name, extension: 1 }, receivedUnixMs: at });
      await repos.inboxReports.put(report("/in/a", 1, 100));
      await repos.inboxReports.put(report("/in/b", 5, 50));
      await repos.inboxReports.put(report("/in/a", 2, 200));
      expect((await repos.inboxReports.list(0)).sort((x, y) => x.inbox.localeCompare(y.inbox))).toEqual([report("/in/a", 2, 200), report("/in/b", 5, 50)]);
      expect(await repos.inboxReports.list(100)).toEqual([report("/in/a", 2, 200)]);
    });

    it("stores rejections once per id, by reason", async () => {
      const reasons = ["corrupt", "corrupt", "too-large", "corrupt", "unsupported"];
      for (const [i, reason] of reasons.entries()) expect(await repos.rejections.put(makeRejection(`r${i}`, reason, 50 + i))).toBe(true);
      expect(await repos.rejections.put(makeRejection("r0", "corrupt", 50))).toBe(false);
      expect(await repos.rejections.countByReason()).toEqual({ corrupt: 3, "too-large": 1, unsupported: 1 });
      const corrupt = (await walk((after) => repos.rejections.list("corrupt", 2, after))).flat();
      expect(corrupt.map((r) => r.id)).toEqual(["r3", "r1", "r0"]);
      expect(corrupt[2]).toEqual(makeRejection("r0", "corrupt", 50));
      expect((await repos.rejections.list(undefined, 10)).items).toHaveLength(5);
      expect(await repos.rejections.get("r0")).toEqual(makeRejection("r0", "corrupt", 50));
      expect(await repos.rejections.delete("r0")).toBe(true);
      expect(await repos.rejections.delete("r0")).toBe(false);
      expect(await repos.rejections.get("r0")).toBeUndefined();
      expect(await repos.rejections.countByReason()).toMatchObject({ corrupt: 2 });
    });
    it("counts images, duplicates and rejections per minute from a time on", async () => {
      const minute = 60_000;
      const t0 = 1_700_000_040_000; // a minute's start
      await repos.images.put(makeImage("old", { ingestedUnixMs: t0 - 1 }));
      await repos.images.put(makeImage("m0a", { ingestedUnixMs: t0 }));
      await repos.images.put(makeImage("m0b", { ingestedUnixMs: t0 + minute - 1 }));
      await repos.images.put(makeImage("m2", { ingestedUnixMs: t0 + 2 * minute + 5 }));
      await repos.duplicates.put(makeDuplicate("d1", makeImage("m0a").md5, t0 + minute + 1));
      await repos.duplicates.put(makeDuplicate("d0", makeImage("m0a").md5, t0 - minute));
      await repos.rejections.put(makeRejection("r1", "corrupt", t0 + 3));
      await repos.rejections.put(makeRejection("r2", "truncated", t0 + 4));
      expect(Object.fromEntries(await repos.images.perMinute(t0))).toEqual({ [t0]: 2, [t0 + 2 * minute]: 1 });
      expect(Object.fromEntries(await repos.duplicates.perMinute(t0))).toEqual({ [t0 + minute]: 1 });
      expect(Object.fromEntries(await repos.rejections.perMinute(t0))).toEqual({ [t0]: 2 });
    });
  });
}
