/**
 * Retrying a rejected file with two inboxes: it goes back to the inbox it came from, at its path
 * there, and is taken from there again (a real `booru up`: watcher, dedup, catalog).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { catalogV1 } from "@booru/proto";
import { createCatalogClient, unary } from "@booru/catalog/client";
import { noiseJpeg, startBooru, type BooruProcess } from "../harness/index.js";

describe("retry of a rejected file (two inboxes)", () => {
  let app: BooruProcess | undefined;
  afterAll(async () => {
    app?.kill();
    await app?.exited;
  });

  it("goes back to the inbox it came from, not the first", async () => {
    const data = mkdtempSync(path.join(os.tmpdir(), "booru-retry-"));
    const [first, second] = [path.join(data, "inbox-a"), path.join(data, "inbox-b")];
    await Promise.all([mkdir(first), mkdir(path.join(second, "cam"), { recursive: true })]);
    app = await startBooru("up", ["--data", data], { NATS_URL: "", MONGO_URL: "", BOORU_INBOX: `${first},${second}`, BOORU_SETTLE_TIME: "300ms", BOORU_SETTLE_MAX: "3s" });
    const catalog = createCatalogClient(app.target);
    const rejections = async () => (await unary<catalogV1.ListRejectionsRequest, catalogV1.ListRejectionsResponse>(catalog.listRejections.bind(catalog), { pageSize: 10, pageToken: "", reason: "" }, {})).rejections;
    const retry = (id: string) => unary<catalogV1.RetryRejectionRequest, catalogV1.RetryRejectionResponse>(catalog.retryRejection.bind(catalog), { id }, {});
    const rejectedFile = path.join(data, "rejected", "cam", "broken.jpg");

    await writeFile(path.join(data, "staged"), "not a picture");
    await rename(path.join(data, "staged"), path.join(second, "cam", "broken.jpg"));
    await expect.poll(rejections, { timeout: 60_000 }).toHaveLength(1);
    const [firstRejection] = await rejections();
    expect(firstRejection!.sourcePath).toBe("cam/broken.jpg");

    // Retried as it is: back in the second inbox, found there and rejected again from there.
    await retry(firstRejection!.id);
    await expect.poll(async () => (await rejections()).map((r) => r.id), { timeout: 60_000 }).toEqual([expect.not.stringMatching(firstRejection!.id)]);
    await expect.poll(() => existsSync(`${rejectedFile}.reason.json`), { timeout: 30_000 }).toBe(true);
    expect(JSON.parse(readFileSync(`${rejectedFile}.reason.json`, "utf8"))).toMatchObject({ source: "cam/broken.jpg", inbox: second });
    expect(readdirSync(first)).toEqual([]);

    // Fixed in rejected/, retried: ingested from the second inbox under its path there.
    await writeFile(rejectedFile, await noiseJpeg(64, 48));
    const [again] = await rejections();
    await retry(again!.id);
    const listed = async () => (await unary<catalogV1.ListImagesRequest, catalogV1.ListImagesResponse>(catalog.listImages.bind(catalog), catalogV1.ListImagesRequest.fromPartial({ pageSize: 10 }), {})).images;
    await expect.poll(async () => (await listed()).map((i) => i.sourcePath), { timeout: 60_000 }).toEqual(["cam/broken.jpg"]);
    expect(readdirSync(first)).toEqual([]);
    catalog.close();
  });
});
