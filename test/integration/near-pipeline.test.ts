/**
 * Issue 14 through the whole pipeline (`booru up` as a subprocess): near-duplicate copies of a
 * real photo dropped into the inbox. keep-best (embedded: in-process bus, SQLite) keeps the
 * larger copy; review (NATS + FerretDB) records a group, and applying it moves the dropped copy
 * to duplicates/ and tombstones it.
 */
import { mkdtempSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { describe, expect, it, onTestFinished } from "vitest";
import { catalogV1 } from "@booru/proto";
import { createCatalogClient, unary } from "@booru/catalog/client";
import { haveConformance, CONFORMANCE_IMAGES } from "../harness/conformance.js";
import { isEmptyDir, libraryMd5s, listFiles, md5, mongoUrl, natsUrl, startBooru, uniqueName, waitFor, type BooruProcess } from "../harness/index.js";

const present = haveConformance("near-duplicate pipeline tests");

async function copies(): Promise<{ large: Buffer; small: Buffer }> {
  const src = path.join(CONFORMANCE_IMAGES, "00002701.jpg");
  return { large: await sharp(src).jpeg({ quality: 92 }).toBuffer(), small: await sharp(src).resize({ width: 320 }).jpeg({ quality: 80 }).toBuffer() };
}

async function up(data: string, env: Record<string, string>): Promise<BooruProcess> {
  const app = await startBooru("up", ["--data", data], { BOORU_DATA: data, BOORU_SETTLE_TIME: "300ms", BOORU_SHUTDOWN_TIMEOUT: "10s", BOORU_NEAR_POLL: "300ms", ...env });
  onTestFinished(() => app.kill("SIGKILL"));
  return app;
}

async function drop(data: string, name: string, bytes: Buffer): Promise<void> {
  const inbox = path.join(data, "inbox");
  await mkdir(inbox, { recursive: true });
  await writeFile(path.join(inbox, name), bytes);
  await waitFor(`${name} to leave the inbox`, async () => isEmptyDir(inbox), 90_000);
}

const reasonJson = async (data: string, file: string) => JSON.parse(await readFile(path.join(data, "duplicates", `${file}.reason.json`), "utf8")) as Record<string, string>;

describe.skipIf(!present)("near-duplicates through the pipeline", () => {
  it("keep-best (embedded): the larger copy stays though it came second; the smaller goes to duplicates/ as a near-duplicate and is tombstoned", async () => {
    const { large, small } = await copies();
    const data = mkdtempSync(path.join(os.tmpdir(), "near-best-"));
    await up(data, { NATS_URL: "", MONGO_URL: "", BOORU_NEAR_DUPLICATES: "keep-best" });
    await drop(data, "small.jpg", small);
    await waitFor("the small copy in the library", async () => (await libraryMd5s(path.join(data, "library"))).includes(md5(small)), 30_000);
    await drop(data, "large.jpg", large);
    await waitFor("the small copy dropped", async () => (await libraryMd5s(path.join(data, "library"))).length === 1 && (await listFiles(path.join(data, "duplicates"))).length === 2, 60_000);
    expect(await libraryMd5s(path.join(data, "library"))).toEqual([md5(large)]);
    expect(await reasonJson(data, `${md5(small)}.jpg`)).toMatchObject({ reason: "near-duplicate", md5: md5(small), resembles: md5(large) });
    // The same bytes again: tombstoned, not ingested.
    await drop(data, "small-again.jpg", small);
    expect(await libraryMd5s(path.join(data, "library"))).toEqual([md5(large)]);
    const rejected = await listFiles(path.join(data, "rejected"));
    expect(rejected.some((f) => f.endsWith("small-again.jpg"))).toBe(true);
  });

  it("review (NATS + FerretDB): a group with the larger copy suggested; applying it drops the other through the deletion path", async () => {
    const { large, small } = await copies();
    const data = mkdtempSync(path.join(os.tmpdir(), "near-review-"));
    const name = uniqueName("near");
    const app = await up(data, { NATS_URL: natsUrl(), BOORU_NATS_PREFIX: name, MONGO_URL: mongoUrl(), BOORU_MONGO_DB: name });
    await drop(data, "large.jpg", large);
    await drop(data, "small.jpg", small);
    const client = createCatalogClient(app.target);
    onTestFinished(() => client.close());
    const list = () => unary<catalogV1.ListNearDuplicatesRequest, catalogV1.ListNearDuplicatesResponse>(client.listNearDuplicates.bind(client), { pageSize: 0, pageToken: "" }).then((r) => r.groups);
    const [group] = await waitFor("a group", async () => ((await list()).length === 1 ? list() : undefined), 30_000);
    expect(group!.suggestedKeep).toBe(md5(large));
    expect(group!.members.map((m) => m.md5).sort()).toEqual([md5(large), md5(small)].sort());
    expect(await unary(client.resolveNearDuplicates.bind(client), catalogV1.ResolveNearDuplicatesRequest.fromPartial({ groupId: group!.id, applySuggestion: true }))).toEqual({ kept: [md5(large)], dropped: [md5(small)] });
    await waitFor("the small copy in duplicates/", async () => (await listFiles(path.join(data, "duplicates"))).length === 2, 30_000);
    expect(await libraryMd5s(path.join(data, "library"))).toEqual([md5(large)]);
    expect(await reasonJson(data, `${md5(small)}.jpg`)).toMatchObject({ reason: "near-duplicate", resembles: md5(large) });
    const kept = await unary<catalogV1.GetImageRequest, catalogV1.GetImageResponse>(client.getImage.bind(client), { md5: md5(large) });
    expect(kept.image!.absorbed).toMatchObject([{ md5: md5(small), originalName: "small.jpg" }]);
    expect(await list()).toEqual([]);
  });
});
