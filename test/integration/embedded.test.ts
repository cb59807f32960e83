/**
 * Issue 6: `booru up` as a subprocess with nothing but the embedded defaults (in-process bus,
 * SQLite). Good, duplicate and corrupt files; kill -9 mid-batch; restarts re-ingest nothing.
 */
import { mkdtempSync } from "node:fs";
import { appendFile, copyFile, mkdir, readFile, rename, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { catalogV1 } from "@booru/proto";
import { createCatalogClient } from "@booru/catalog/client";
import { listFiles, libraryMd5s, md5, noiseJpeg, startBooru, waitFor, isEmptyDir, type BooruProcess } from "../harness/index.js";

// No NATS_URL / MONGO_URL: this is the embedded default.
// A file that ends early is waited for BOORU_SETTLE_MAX (2 min by default): 3 s keeps the run short.
const embeddedEnv = (data: string, settleMax = "3s") => ({ NATS_URL: "", MONGO_URL: "", BOORU_DATA: data, BOORU_SETTLE_TIME: "300ms", BOORU_SETTLE_MAX: settleMax, BOORU_SHUTDOWN_TIMEOUT: "10s" });

async function stats(app: BooruProcess): Promise<catalogV1.GetStatsResponse> {
  const client = createCatalogClient(app.target);
  try {
    return await new Promise((resolve, reject) => client.getStats({}, (err, res) => (err ? reject(err) : resolve(res!))));
  } finally {
    client.close();
  }
}

async function up(data: string): Promise<BooruProcess> {
  return startBooru("up", ["--data", data], embeddedEnv(data));
}

describe("booru up (embedded)", () => {
  it("ingests, disposes of duplicates, rejects corrupt files, survives kill -9 and re-ingests nothing", async () => {
    const data = mkdtempSync(path.join(os.tmpdir(), "booru-up-"));
    const inbox = path.join(data, "inbox");
    await mkdir(path.join(inbox, "sub"), { recursive: true });

    const unique: Buffer[] = [];
    for (let i = 0; i < 12; i++) unique.push(await noiseJpeg());
    let app = await up(data);
    onTestFinished(() => app.kill("SIGKILL"));
    await waitFor("the banner", async () => app.output().includes(`drop images into: ${inbox}`), 30_000);

    // 12 unique, 4 duplicates under other names, 3 corrupt.
    await Promise.all(unique.map((b, i) => writeFile(path.join(inbox, i % 2 ? "sub" : "", `img${i}.jpg`), b)));
    await Promise.all([0, 1, 2, 3].map((i) => writeFile(path.join(inbox, `copy-of-${i}.jpeg`), unique[i]!)));
    await writeFile(path.join(inbox, "notes.jpg"), "this is text, not a JPEG\n");
    await writeFile(path.join(inbox, "truncated.jpg"), unique[5]!.subarray(0, 300));
    await writeFile(path.join(inbox, "empty.png"), "");

    await waitFor("inbox to empty", async () => isEmptyDir(inbox), 90_000);
    expect(await libraryMd5s(path.join(data, "library"))).toEqual(unique.map(md5).sort());
    expect((await listFiles(path.join(data, "duplicates"))).length).toBe(4);
    const rejected = await listFiles(path.join(data, "rejected"));
    expect(rejected.filter((f) => !f.endsWith(".reason.json")).length).toBe(3);
    const reasonOf = async (name: string) => JSON.parse(await readFile(path.join(data, "rejected", `${name}.reason.json`), "utf8")).reason;
    expect(["corrupt", "unsupported"]).toContain(await reasonOf("notes.jpg"));
    expect(await reasonOf("truncated.jpg")).toBe("truncated");
    expect(await reasonOf("empty.png")).toBe("corrupt");
    let s = await stats(app);
    expect({ images: s.images, duplicates: s.duplicates, rejected: s.rejected }).toEqual({ images: 12, duplicates: 4, rejected: 3 });

    // A second batch, killed mid-way with SIGKILL.
    const batch: Buffer[] = [];
    for (let i = 0; i < 60; i++) batch.push(await noiseJpeg(256, 192));
    await Promise.all(batch.map((b, i) => writeFile(path.join(inbox, `batch${i}.jpg`), b)));
    await waitFor("some of the batch to be filed", async () => (await libraryMd5s(path.join(data, "library"))).length >= 16, 60_000, 50);
    app.kill("SIGKILL");
    await app.exited;
    // The kill really landed mid-batch: some files were still waiting.
    expect((await listFiles(inbox)).length).toBeGreaterThan(0);

    app = await up(data);
    await waitFor("inbox to empty after the restart", async () => isEmptyDir(inbox), 90_000);
    const all = [...unique, ...batch].map(md5).sort();
    expect(await libraryMd5s(path.join(data, "library"))).toEqual(all);
    s = await stats(app);
    expect({ images: s.images, duplicates: s.duplicates, rejected: s.rejected }).toEqual({ images: 72, duplicates: 4, rejected: 3 });
    app.kill("SIGTERM");
    expect(await app.exited).toBe(0);

    // Dropping bytes that are already in the library again is a duplicate, not a new record.
    await copyFile(path.join(data, "duplicates", (await listFiles(path.join(data, "duplicates")))[0]!), path.join(inbox, "again.jpg"));
    app = await up(data);
    await waitFor("the re-dropped copy to be disposed of", async () => isEmptyDir(inbox), 60_000);
    s = await stats(app);
    expect({ images: s.images, duplicates: s.duplicates }).toEqual({ images: 72, duplicates: 5 });
    app.kill("SIGTERM");
    expect(await app.exited).toBe(0);
  });

  it("ingests once a file whose writer paused longer than the settle time, and counts what it ignores", async () => {
    const data = mkdtempSync(path.join(os.tmpdir(), "booru-slow-"));
    const inbox = path.join(data, "inbox");
    const app = await startBooru("up", ["--data", data], embeddedEnv(data, "60s"));
    onTestFinished(() => app.kill("SIGKILL"));
    await waitFor("the banner", async () => app.output().includes(`drop images into: ${inbox}`), 30_000);
    const photo = await noiseJpeg(400, 300);
    expect(photo.length).toBeGreaterThan(40_000);

    // head -c 20000 a.jpg > inbox/s.jpg; (a pause longer than the settle time); tail -c +20001 a.jpg >> inbox/s.jpg
    await writeFile(path.join(inbox, "s.jpg"), photo.subarray(0, 20_000));
    // The pause lasts until the pipeline has hashed the first part and decided to wait for the rest.
    await waitFor("the cut file to be waited for", async () => /"why":"truncated"/.test(app.output()), 30_000);
    await appendFile(path.join(inbox, "s.jpg"), photo.subarray(20_000));

    // Files it must leave alone, and say so: a download in progress, a hidden file, a text file.
    const later = await noiseJpeg(200, 150);
    await writeFile(path.join(inbox, "later.jpg.part"), later);
    await writeFile(path.join(inbox, ".hidden.jpg"), later);
    await writeFile(path.join(inbox, "notes.txt"), "not an image\n");

    await waitFor("the completed file to be filed", async () => (await libraryMd5s(path.join(data, "library"))).length === 1, 60_000);
    expect(await libraryMd5s(path.join(data, "library"))).toEqual([md5(photo)]);
    expect(await listFiles(path.join(data, "rejected"))).toEqual([]);
    const s = await waitFor("the ignored files in the stats", async () => ((await stats(app)).ignored === 3 ? stats(app) : undefined), 30_000);
    expect(s).toMatchObject({ images: 1, rejected: 0, ignored: 3, ignoredByReason: { name: 2, extension: 1 } });

    // The download finishes: waited for until renamed, then ingested; the count follows.
    await rename(path.join(inbox, "later.jpg.part"), path.join(inbox, "later.jpg"));
    await waitFor("the finished download to be filed", async () => (await libraryMd5s(path.join(data, "library"))).length === 2, 60_000);
    await waitFor("the ignored count to drop", async () => (await stats(app)).ignored === 2, 30_000);
    expect((await stats(app)).images).toBe(2);

    // Cut off long ago: rejected as truncated at once. The whole file written at the same path
    // later is a new event (nothing drops it as a repeat) and is ingested; the reject stays.
    const third = await noiseJpeg(300, 200);
    await writeFile(path.join(data, "old-cut.jpg"), third.subarray(0, 5000));
    await utimes(path.join(data, "old-cut.jpg"), new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    await rename(path.join(data, "old-cut.jpg"), path.join(inbox, "t.jpg"));
    await waitFor("the old cut file to be rejected", async () => (await listFiles(path.join(data, "rejected"))).includes("t.jpg.reason.json"), 30_000);
    expect(JSON.parse(await readFile(path.join(data, "rejected", "t.jpg.reason.json"), "utf8"))).toMatchObject({ reason: "truncated" });
    await writeFile(path.join(inbox, "t.jpg"), third);
    await waitFor("the whole file to be filed", async () => (await libraryMd5s(path.join(data, "library"))).includes(md5(third)), 60_000);
    expect(await listFiles(path.join(data, "rejected"))).toEqual(["t.jpg", "t.jpg.reason.json"]);
    expect(await stats(app)).toMatchObject({ images: 3, rejected: 1, rejectedByReason: { truncated: 1 } });
    app.kill("SIGTERM");
    expect(await app.exited).toBe(0);
  });
});