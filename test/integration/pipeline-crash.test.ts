/**
 * Crash safety with separate `booru run --target=...` processes: kill -9 one of dedup, hasher or
 * catalog in the middle of a batch, start it again, and every file must end up exactly once.
 * Needs the compiled CLI (`npx tsc -b`).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { listFiles, makeImage, md5 } from "../../services/dedup/test/corpus.js";
import { freePort, uniqueName } from "../harness/index.js";
import { BooruProcess, catalogSources, pipelineEnv, until } from "./pipeline-support.js";

const UNIQUE = 40;
const DUPLICATES = 8;

/** One record and one library file per image, every duplicate kept, nothing rejected. */
async function expectExactlyOnce(data: string, catalog: string, images: Buffer[]) {
  const sources = await catalogSources(catalog);
  expect(new Set(sources.keys())).toEqual(new Set(images.map(md5)));
  expect(listFiles(path.join(data, "library"))).toHaveLength(UNIQUE);
  expect(listFiles(path.join(data, "duplicates"))).toHaveLength(DUPLICATES);
  expect(listFiles(path.join(data, "rejected"))).toEqual([]);
}

async function crashRun(victim: "dedup" | "hasher" | "catalog") {
  const data = mkdtempSync(path.join(tmpdir(), `crash-${victim}-`));
  const [hasherPort, catalogPort] = [await freePort(), await freePort()];
  const env = pipelineEnv(data, uniqueName(), uniqueName("db"), {
    BOORU_HASHER_ADDR: `127.0.0.1:${hasherPort}`,
    BOORU_CATALOG_ADDR: `127.0.0.1:${catalogPort}`,
    BOORU_LOG_LEVEL: "info",
    BOORU_DEDUP_CONCURRENCY: "2",
  });
  const procs = {
    hasher: new BooruProcess("hasher", env, hasherPort),
    catalog: new BooruProcess("catalog", env, catalogPort),
    dedup: new BooruProcess("dedup", env),
    watcher: new BooruProcess("watcher", env),
  };
  const inbox = path.join(data, "inbox");
  mkdirSync(inbox, { recursive: true });
  try {
    for (const p of Object.values(procs)) await p.start();
    const images = await Promise.all(Array.from({ length: UNIQUE }, (_, i) => makeImage(i, 320)));
    images.forEach((b, i) => writeFileSync(path.join(inbox, `photo-${i}.${i % 2 ? "jpg" : "png"}`), b));
    for (let i = 0; i < DUPLICATES; i++) writeFileSync(path.join(inbox, `again-${i}.${(i * 5) % 2 ? "jpg" : "png"}`), images[(i * 5) % UNIQUE]!);
    const total = UNIQUE + DUPLICATES;
    // Mid-batch: some files are done, most are not.
    await until(() => listFiles(inbox).length <= total - 6, 90_000, "the batch to get going");
    await procs[victim].kill9();
    await new Promise((r) => setTimeout(r, 1500));
    await procs[victim].start();
    await until(() => listFiles(inbox).length === 0, 150_000, "an empty inbox");
    await expectExactlyOnce(data, `127.0.0.1:${catalogPort}`, images);
  } catch (err) {
    for (const [name, p] of Object.entries(procs)) process.stderr.write(`--- ${name} log tail ---\n${p.log.slice(-3000)}\n`);
    throw err;
  } finally {
    await Promise.all(Object.values(procs).map((p) => p.stop()));
  }
}

/** Embedded mode (no NATS, no MongoDB): the inbox is the queue and SQLite holds the claims. */
async function embeddedCrashRun() {
  const data = mkdtempSync(path.join(tmpdir(), "crash-embedded-"));
  const port = await freePort();
  const env = { BOORU_DATA: data, BOORU_METRICS_LISTEN: "127.0.0.1:0", BOORU_WEB_LISTEN: "127.0.0.1:0", BOORU_LOG_LEVEL: "info", BOORU_SETTLE_TIME: "1s", BOORU_LEASE: "4s", BOORU_DEDUP_CONCURRENCY: "2" };
  const app = new BooruProcess("all", env, port);
  const inbox = path.join(data, "inbox");
  mkdirSync(inbox, { recursive: true });
  try {
    await app.start();
    const images = await Promise.all(Array.from({ length: UNIQUE }, (_, i) => makeImage(i, 320)));
    images.forEach((b, i) => writeFileSync(path.join(inbox, `photo-${i}.${i % 2 ? "jpg" : "png"}`), b));
    for (let i = 0; i < DUPLICATES; i++) writeFileSync(path.join(inbox, `again-${i}.png`), images[(i * 2) % UNIQUE]!);
    await until(() => listFiles(inbox).length <= UNIQUE + DUPLICATES - 6, 90_000, "the batch to get going");
    await app.kill9();
    await app.start();
    await until(() => listFiles(inbox).length === 0, 150_000, "an empty inbox");
    await expectExactlyOnce(data, `127.0.0.1:${port}`, images);
  } catch (err) {
    process.stderr.write(`--- booru run log tail ---\n${app.log.slice(-3000)}\n`);
    throw err;
  } finally {
    await app.stop();
  }
}

describe("crash safety (`booru run` processes, kill -9 mid-batch)", () => {
  it("embedded `booru run` (in-process bus, SQLite) killed and restarted: every file exactly once", () => embeddedCrashRun(), 300_000);
  it("dedup replica killed and restarted: every file exactly once, nothing lost", () => crashRun("dedup"), 300_000);
  it("hasher killed and restarted: transient failures retried, every file exactly once", () => crashRun("hasher"), 300_000);
  it("catalog killed and restarted: every file exactly once, no record duplicated", () => crashRun("catalog"), 300_000);
});
