import { mkdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogV1, ingestV1 } from "@booru/proto";
import { openSqlite, startApp } from "@booru/runtime";
import { SqliteDeletionOutbox } from "../src/deletions.js";
import { catalogModule, unary } from "../src/index.js";
import { makeDuplicate, makeImage, makeRejection } from "./fixtures.js";
import { codeOf, startCatalog, TOKENS, type Running } from "./helpers.js";

describe("catalog API (SQLite, in-process bus)", () => {
  let cat: Running;
  const call = <Req, Res>(method: (...a: never[]) => unknown, req: Req, token: string | undefined = TOKENS.read) =>
    unary<Req, Res>((method as never as (...a: unknown[]) => never).bind(cat.client) as never, req, { token });
  const c = () => cat.client;

  beforeAll(async () => {
    cat = await startCatalog();
  });
  afterAll(() => cat.stop());

  describe("auth", () => {
    it("rejects a missing or wrong token with UNAUTHENTICATED", async () => {
      expect(await codeOf(call(c().getStats, {}, ""))).toBe(status.UNAUTHENTICATED);
      expect(await codeOf(call(c().getStats, {}, "not-a-known-token-at-all"))).toBe(status.UNAUTHENTICATED);
      expect(await call(c().getStats, {}, TOKENS.read)).toMatchObject({ images: expect.any(Number) });
    });

    it("refuses writes and deletes beyond the token's scope with PERMISSION_DENIED", async () => {
      const image = makeImage("auth");
      expect(await codeOf(call(c().putImage, { image, thumbnail: Buffer.alloc(0) }, TOKENS.read))).toBe(status.PERMISSION_DENIED);
      expect(await codeOf(call(c().deleteImage, { md5: image.md5 }, TOKENS.read))).toBe(status.PERMISSION_DENIED);
      expect(await codeOf(call(c().deleteImage, { md5: image.md5 }, TOKENS.write))).toBe(status.PERMISSION_DENIED);
      expect(await call(c().deleteImage, { md5: image.md5 }, TOKENS.admin)).toEqual({ deleted: false });
    });

    it("will not serve beyond loopback without tokens", async () => {
      await expect(startApp([catalogModule], { flags: new Map([["--listen", "0.0.0.0:0"], ["--metrics-listen", "127.0.0.1:0"], ["--data", cat.data]]), env: { BOORU_LOG_LEVEL: "silent" }, targets: ["catalog"] })).rejects.toThrow(/without tokens/);
    });
  });

  it("stores a record once by md5 and serves it with its thumbnail", async () => {
    const image = makeImage("put", { ingestedUnixMs: 5_000 });
    const thumbnail = Buffer.from("webp thumbnail bytes");
    expect(await call(c().putImage, { image, thumbnail }, TOKENS.write)).toEqual({ image, created: true });
    expect(await call(c().putImage, { image: { ...image, originalName: "again.jpg" }, thumbnail }, TOKENS.write)).toEqual({ image, created: false });
    expect(await call(c().getImage, { md5: image.md5 })).toEqual({ image });
    expect(await call(c().getImage, { sha256: image.hashes!.sha256 })).toEqual({ image });
    expect(await call(c().getThumbnail, { md5: image.md5 })).toEqual({ data: thumbnail, mime: "image/webp", width: 64, height: 48 });
    expect(await codeOf(call(c().getImage, { md5: makeImage("none").md5 }))).toBe(status.NOT_FOUND);
    expect(await codeOf(call(c().getImage, { md5: "../../etc/passwd" }))).toBe(status.INVALID_ARGUMENT);
  });

  it("refuses bad records without storing anything", async () => {
    const bad = [
      { ...makeImage("b1"), libraryPath: "../outside.jpg" },
      { ...makeImage("b2"), libraryPath: "/etc/passwd" },
      { ...makeImage("b3"), md5: "xyz" },
      { ...makeImage("b4"), hashes: { ...makeImage("b4").hashes!, phash64: "123" } },
    ];
    for (const image of bad) expect([image.md5, await codeOf(call(c().putImage, { image, thumbnail: Buffer.alloc(0) }, TOKENS.write))]).toEqual([image.md5, status.INVALID_ARGUMENT]);
    const big = await call(c().putImage, { image: makeImage("b5"), thumbnail: Buffer.alloc(3 * 1024 * 1024) }, TOKENS.write).catch((e: Error) => e.message);
    expect(big).toMatch(/thumbnail is \d+ bytes/);
    expect(await codeOf(call(c().getImage, { md5: makeImage("b5").md5 }))).toBe(status.NOT_FOUND);
    expect(await codeOf(call(c().listImages, catalogV1.ListImagesRequest.fromPartial({ pageSize: 5000 })))).toBe(status.INVALID_ARGUMENT);
    expect(await codeOf(call(c().listImages, catalogV1.ListImagesRequest.fromPartial({ pageToken: "garbage" })))).toBe(status.INVALID_ARGUMENT);
  });

  it("pages through every image newest first, with filters", async () => {
    const images = Array.from({ length: 25 }, (_, i) => makeImage(`page${i}`, { ingestedUnixMs: 10_000 + Math.floor(i / 3), format: i % 2 ? "png" : "jpeg" }));
    for (const image of images) await call(c().putImage, { image, thumbnail: Buffer.alloc(0) }, TOKENS.write);
    const listAll = async (req: Partial<catalogV1.ListImagesRequest>) => {
      const seen: string[] = [];
      let pageToken = "";
      let pages = 0;
      do {
        const res = await call<catalogV1.ListImagesRequest, catalogV1.ListImagesResponse>(c().listImages, catalogV1.ListImagesRequest.fromPartial({ ...req, pageToken }));
        seen.push(...res.images.map((i) => i.md5));
        pageToken = res.nextPageToken;
        pages++;
      } while (pageToken);
      return { seen, pages };
    };
    const window = { ingestedAfterUnixMs: 10_000, ingestedBeforeUnixMs: 20_000 };
    const expected = [...images].sort((a, b) => b.ingestedUnixMs - a.ingestedUnixMs || (a.md5 < b.md5 ? 1 : -1)).map((i) => i.md5);
    const first = await listAll({ pageSize: 7, ...window });
    expect(first).toEqual({ seen: expected, pages: 4 });
    expect(await listAll({ pageSize: 7, ...window })).toEqual(first);
    const png = await listAll({ pageSize: 4, format: "png", ...window });
    expect(png.seen).toEqual(expected.filter((md5) => images.find((i) => i.md5 === md5)!.info!.format === "png"));
  });

  it("finds similar images in distance order, not the image asked about", async () => {
    const base = "f0f0f0f0f0f0f0f0";
    const flip = (bits: number) => (BigInt(`0x${base}`) ^ ((1n << BigInt(bits)) - 1n)).toString(16).padStart(16, "0");
    const near = [0, 1, 3, 8, 9, 20].map((bits, i) => makeImage(`sim${i}`, { phash64: flip(bits) }));
    for (const image of near) await call(c().putImage, { image, thumbnail: Buffer.alloc(0) }, TOKENS.write);
    const res = await call<catalogV1.FindSimilarRequest, catalogV1.FindSimilarResponse>(c().findSimilar, catalogV1.FindSimilarRequest.fromPartial({ md5: near[0]!.md5, algorithm: catalogV1.SimilarAlgorithm.PHASH64 }));
    expect(res.matches.map((m) => [m.image!.md5, m.distance])).toEqual([[near[1]!.md5, 1], [near[2]!.md5, 3], [near[3]!.md5, 8]]);
    expect(res.matches[0]!.image).toEqual(near[1]);
    const byHash = await call<catalogV1.FindSimilarRequest, catalogV1.FindSimilarResponse>(c().findSimilar, catalogV1.FindSimilarRequest.fromPartial({ hash: base, maxDistance: 9, limit: 2 }));
    expect(byHash.matches.map((m) => m.distance)).toEqual([0, 1]);
    expect(await codeOf(call(c().findSimilar, catalogV1.FindSimilarRequest.fromPartial({ hash: "abc" })))).toBe(status.INVALID_ARGUMENT);
  });

  it("records duplicates and rejections once and counts them in the stats", async () => {
    const before = await call<object, catalogV1.GetStatsResponse>(c().getStats, {});
    const md5 = makeImage("put").md5;
    for (let i = 0; i < 2; i++) {
      await call(c().recordDuplicate, { duplicate: makeDuplicate("dup-1", md5, Date.now()) }, TOKENS.write);
      await call(c().recordRejection, { rejection: makeRejection("rej-1", "corrupt", Date.now()) }, TOKENS.write);
    }
    await call(c().recordRejection, { rejection: makeRejection("rej-2", "too-large", Date.now()) }, TOKENS.write);
    const after = await call<object, catalogV1.GetStatsResponse>(c().getStats, {});
    expect(after.duplicates - before.duplicates).toBe(1);
    expect(after.rejected - before.rejected).toBe(2);
    expect(after.rejectedByReason).toMatchObject({ corrupt: 1, "too-large": 1 });
    const dups = await call<catalogV1.ListDuplicatesRequest, catalogV1.ListDuplicatesResponse>(c().listDuplicates, catalogV1.ListDuplicatesRequest.fromPartial({ md5 }));
    expect(dups.duplicates.map((d) => d.id)).toEqual(["dup-1"]);
  });

  it("knows the rejection reasons: an unknown one is refused, naming the valid ones", async () => {
    const err = await call(c().listRejections, catalogV1.ListRejectionsRequest.fromPartial({ reason: "nonsense" })).catch((e: Error) => e);
    expect(await codeOf(Promise.reject(err))).toBe(status.INVALID_ARGUMENT);
    expect((err as Error).message).toMatch(/reason must be one of corrupt, truncated, unsupported, .*gave-up/);
    expect(await codeOf(call(c().recordRejection, { rejection: makeRejection("rej-bad", "made-up", Date.now()) }, TOKENS.write))).toBe(status.INVALID_ARGUMENT);
    expect(await call(c().listRejections, catalogV1.ListRejectionsRequest.fromPartial({ reason: "truncated" }))).toEqual({ rejections: [], nextPageToken: "" });
  });

  it("counts images, bytes and the last minute's ingests", async () => {
    const before = await call<object, catalogV1.GetStatsResponse>(c().getStats, {});
    await call(c().putImage, { image: makeImage("recent", { ingestedUnixMs: Date.now(), bytes: 1234 }), thumbnail: Buffer.alloc(0) }, TOKENS.write);
    const after = await call<object, catalogV1.GetStatsResponse>(c().getStats, {});
    expect([after.images - before.images, after.bytes - before.bytes, after.ingestedLastMinute - before.ingestedLastMinute]).toEqual([1, 1234, 1]);
  });

  it("exports its metrics", async () => {
    await call(c().findSimilar, catalogV1.FindSimilarRequest.fromPartial({ hash: "0000000000000000" }));
    const text = await (await fetch(`http://127.0.0.1:${cat.app.metricsPort}/metrics`)).text();
    expect(text).toMatch(/booru_catalog_writes_total\{op="put",result="created"\} [1-9]/);
    expect(text).toMatch(/booru_catalog_writes_total\{op="put",result="exists"\} [1-9]/);
    expect(text).toMatch(/booru_similar_query_duration_seconds_count\{algorithm="phash64"\} [1-9]/);
    const entries = Number(/booru_similar_index_entries\{algorithm="phash64"\} (\d+)/.exec(text)?.[1]);
    const stats = await call<object, catalogV1.GetStatsResponse>(c().getStats, {});
    expect(entries).toBe(stats.images);
  });

  it("streams events to watchers", async () => {
    const stream = cat.client.watchEvents({}, (await import("@booru/runtime")).bearer(TOKENS.read));
    const received: catalogV1.Event[] = [];
    stream.on("data", (res: catalogV1.WatchEventsResponse) => received.push(res.event!));
    stream.on("error", () => undefined);
    await new Promise((r) => stream.once("metadata", r));
    const image = makeImage("watched", { ingestedUnixMs: Date.now() });
    await call(c().putImage, { image, thumbnail: Buffer.alloc(0) }, TOKENS.write);
    await call(c().recordRejection, { rejection: makeRejection("rej-watch", "unsupported", Date.now()) }, TOKENS.write);
    await new Promise((r) => setTimeout(r, 200));
    stream.cancel();
    expect(received.map((e) => e.ingested?.md5 ?? e.rejected?.id)).toEqual([image.md5, "rej-watch"]);
  });

  it("deletes the record and thumbnail, and owes dedup the library file and the tombstone (an ImageDeleted in its outbox)", async () => {
    const image = makeImage("delete-me");
    const file = path.join(cat.app.paths.library, image.libraryPath);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, "the original");
    await call(c().putImage, { image, thumbnail: Buffer.from("t") }, TOKENS.write);
    expect(await call(c().deleteImage, { md5: image.md5 }, TOKENS.admin)).toEqual({ deleted: true });
    // One writer per store: the library is dedup's (none runs here, so the deletion waits for it).
    expect((await stat(file)).isFile()).toBe(true);
    expect(await codeOf(call(c().getImage, { md5: image.md5 }))).toBe(status.NOT_FOUND);
    expect(await codeOf(call(c().getThumbnail, { md5: image.md5 }))).toBe(status.NOT_FOUND);
    const similar = await call<catalogV1.FindSimilarRequest, catalogV1.FindSimilarResponse>(c().findSimilar, catalogV1.FindSimilarRequest.fromPartial({ hash: image.hashes!.phash64, maxDistance: 0 }));
    expect(similar.matches).toEqual([]);
    const db = openSqlite(cat.app.paths.sqlite);
    try {
      const owed = (await new SqliteDeletionOutbox(db).pending(100)).filter((d) => d.md5 === image.md5);
      expect(owed).toEqual([expect.objectContaining({ sha256: image.hashes!.sha256, libraryPath: image.libraryPath, reason: ingestV1.DeletionReason.USER, keeperMd5: "" })]);
    } finally {
      db.close();
    }
    expect(await call(c().deleteImage, { md5: image.md5 }, TOKENS.admin)).toEqual({ deleted: false });
  });
});
