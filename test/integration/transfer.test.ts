/**
 * `booru export` / `booru import` move a catalog between the stores: SQLite -> JSON lines ->
 * MongoDB (FerretDB here) -> JSON lines -> another SQLite file, record for record, thumbnails
 * included; imported md5s are done claims for dedup; importing again adds nothing.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasherV1 } from "@booru/proto";
import { connectMongo, openSqlite, type MongoHandle } from "@booru/runtime";
import { openRepos, type StoredImage } from "@booru/catalog";
import { openClaimsStore } from "@booru/dedup";
import { makeImage, signatureOf } from "../../services/catalog/test/fixtures.js";
import { runBooru } from "../harness/booru.js";
import { mongoUrl, uniqueName } from "../harness/index.js";

const sorted = (records: StoredImage[]) => [...records].sort((a, b) => (a.image.md5 < b.image.md5 ? -1 : 1));

async function all(images: AsyncIterable<StoredImage>): Promise<StoredImage[]> {
  const out: StoredImage[] = [];
  for await (const r of images) out.push(r);
  return sorted(out);
}

describe("booru export / booru import", () => {
  let dir: string;
  let mongo: MongoHandle;
  const dbName = uniqueName("transfer");
  const mongoFlags = () => ["--mongo-url", mongoUrl(), "--mongo-db", dbName];
  const records: StoredImage[] = Array.from({ length: 2_500 }, (_, i) => ({
    image: makeImage(`t${i}`, { ingestedUnixMs: 1_700_000_000_000 + i, bytes: 1000 + i, ...(i % 50 === 0 && { kind: hasherV1.MediaKind.VIDEO, format: "mp4", frameSignature: signatureOf(`t${i}`) }) }),
    ...(i % 7 === 0 && { thumbnail: { data: Buffer.from(`thumb ${i}`), mime: "image/webp", width: 64, height: 48 } }),
  }));

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "booru-transfer-"));
    const db = openSqlite(path.join(dir, "a", "booru.sqlite"));
    await (await openRepos({ sqlite: () => db, mongo: async () => undefined })).images.putMany(records);
    db.close();
    mongo = await connectMongo(mongoUrl(), dbName, { appName: "transfer-test" });
  });
  afterAll(async () => {
    await mongo.db.dropDatabase().catch(() => undefined);
    await mongo.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("moves every record from SQLite to MongoDB and back, and a second import adds nothing", async () => {
    const file = path.join(dir, "a.jsonl");
    const exported = await runBooru(["export", "--data", path.join(dir, "a"), "--out", file]);
    expect(exported, exported.stderr).toMatchObject({ code: 0, stderr: expect.stringContaining("exported 2500 records") });
    expect((await readFile(file, "utf8")).trimEnd().split("\n")).toHaveLength(2_500);

    const imported = await runBooru(["import", file, ...mongoFlags()]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toMatch(/2500 lines, 2500 new, 100%/);
    const repos = await openRepos({ mongo: async () => mongo, sqlite: () => openSqlite(":memory:") });
    expect(await all(repos.images.records())).toEqual(sorted(records));
    expect(await repos.images.stats(0)).toMatchObject({ images: 2_500, bytes: records.reduce((n, r) => n + r.image.info!.bytes, 0) });

    // dedup will treat these bytes as already ingested.
    const claims = await openClaimsStore({ mongo: async () => mongo, sqlite: () => openSqlite(":memory:") });
    for (const { image } of [records[0]!, records[2_499]!]) expect(await claims.get(image.md5)).toMatchObject({ state: "done", sha256: image.hashes!.sha256, libraryPath: image.libraryPath });

    const again = await runBooru(["import", file, ...mongoFlags()]);
    expect(again.stderr).toMatch(/2500 lines, 0 new/);
    expect((await repos.images.stats(0)).images).toBe(2_500);

    // And back into a fresh SQLite file.
    const back = path.join(dir, "b.jsonl");
    expect((await runBooru(["export", "--out", back, ...mongoFlags()])).code).toBe(0);
    expect((await runBooru(["import", back, "--data", path.join(dir, "b")])).code).toBe(0);
    const db = openSqlite(path.join(dir, "b", "booru.sqlite"));
    expect(await all((await openRepos({ sqlite: () => db, mongo: async () => undefined })).images.records())).toEqual(sorted(records));
    db.close();
  });

  it("refuses a malformed line, naming it, and stores nothing of its batch", async () => {
    const file = path.join(dir, "bad.jsonl");
    await writeFile(file, `${(await readFile(path.join(dir, "a.jsonl"), "utf8")).split("\n")[0]}\n{"image": {"md5": "nope"}}\n`);
    const res = await runBooru(["import", file, "--data", path.join(dir, "c")]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/line 2: .*md5/);
  });
});
