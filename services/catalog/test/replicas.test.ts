import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, connectMongo, connectNatsBus, createLogger } from "@booru/runtime";
import { catalogV1, ingestV1 } from "@booru/proto";
import { mongoUrl, natsUrl, uniqueName } from "../../../test/harness/index.js";
import { mongoRepos } from "../src/repos/mongo.js";
import { unary } from "../src/index.js";
import { makeImage } from "./fixtures.js";
import { eventually, startCatalog, TOKENS, type Running } from "./helpers.js";
import { BUS } from "@booru/app";

/** Two catalog replicas sharing MongoDB and NATS, as in the distributed deployment. */
describe("catalog replicas (MongoDB, NATS)", () => {
  const name = uniqueName("catalog");
  let a: Running;
  let b: Running;
  const env = () => ({ NATS_URL: natsUrl(), BOORU_NATS_PREFIX: name, MONGO_URL: mongoUrl(), BOORU_MONGO_DB: name, BOORU_CATALOG_INDEX_REFRESH: "700ms" });
  const similar = (r: Running, hash: string) =>
    unary<catalogV1.FindSimilarRequest, catalogV1.FindSimilarResponse>(r.client.findSimilar.bind(r.client), catalogV1.FindSimilarRequest.fromPartial({ hash, maxDistance: 0 }), { token: TOKENS.read }).then((res) => res.matches.map((m) => m.image!.md5));

  beforeAll(async () => {
    a = await startCatalog(env());
    b = await startCatalog(env());
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    const mongo = await connectMongo(mongoUrl(), name, { appName: "cleanup" });
    await mongo.db.dropDatabase().catch(() => undefined);
    await mongo.close();
  });

  it("a write on one replica reaches the other's index and watchers", async () => {
    const stream = b.client.watchEvents({}, bearer(TOKENS.read));
    const seen: string[] = [];
    stream.on("data", (res: catalogV1.WatchEventsResponse) => seen.push(res.event?.ingested?.md5 ?? res.event?.deletedMd5 ?? "?"));
    stream.on("error", () => undefined);
    await new Promise((r) => stream.once("metadata", r));

    const image = makeImage("replicated", { phash64: "0123456789abcdef" });
    await unary(a.client.putImage.bind(a.client), { image, thumbnail: Buffer.alloc(0) }, { token: TOKENS.write });
    expect(await eventually(() => similar(b, "0123456789abcdef"), (m) => m.length > 0)).toEqual([image.md5]);
    await unary(a.client.deleteImage.bind(a.client), { md5: image.md5 }, { token: TOKENS.admin });
    expect(await eventually(() => similar(b, "0123456789abcdef"), (m) => m.length === 0)).toEqual([]);
    await eventually(async () => seen.length, (n) => n >= 2);
    stream.cancel();
    expect(seen).toEqual([image.md5, image.md5]);
  });

  it("heals from the store what no event announced", async () => {
    const mongo = await connectMongo(mongoUrl(), name, { appName: "side-door" });
    try {
      const image = makeImage("silent", { phash64: "fedcba9876543210" });
      await (await mongoRepos(mongo.db)).images.put(image);
      expect(await eventually(() => similar(b, "fedcba9876543210"), (m) => m.length > 0)).toEqual([image.md5]);
      await (await mongoRepos(mongo.db)).images.delete(image.md5);
      expect(await eventually(() => similar(a, "fedcba9876543210"), (m) => m.length === 0)).toEqual([]);
    } finally {
      await mongo.close();
    }
  });

  it("counts what the watchers report they ignore, per inbox, latest report wins, in every replica's stats", async () => {
    const bus = await connectNatsBus({ url: natsUrl(), topology: BUS, prefix: name, name: "watcher-stand-in", duplicateWindowMs: 60_000, log: createLogger("t", "silent") });
    const stats = (r: Running) => unary<catalogV1.GetStatsRequest, catalogV1.GetStatsResponse>(r.client.getStats.bind(r.client), {}, { token: TOKENS.read });
    const report = (inbox: string, ignoredByReason: Record<string, number>) =>
      bus.feed("reports").publish(ingestV1.InboxReport.encode(ingestV1.InboxReport.fromPartial({ inbox, watcherId: "w1", ignoredByReason, atUnixMs: Date.now() })).finish());
    try {
      report("/in/one", { name: 4, extension: 1 });
      report("/in/two", { name: 1 });
      // Malformed: dropped, counts nothing.
      report("/in/bad", { "NOT A REASON": 9 });
      expect(await eventually(() => stats(b), (s) => s.ignored === 6)).toMatchObject({ ignored: 6, ignoredByReason: { name: 5, extension: 1 } });
      report("/in/one", { name: 0, extension: 0 });
      expect(await eventually(() => stats(a), (s) => s.ignored === 1)).toMatchObject({ ignored: 1, ignoredByReason: { name: 1, extension: 0 } });
    } finally {
      await bus.close();
    }
  });
});