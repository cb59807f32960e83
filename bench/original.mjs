#!/usr/bin/env node
// `npm run bench -- original [--mib 512] [--runs 3]`: an original served to the web console, as
// `booru up` does it (dedup's Library API over gRPC, then the console over HTTP, one process).
// One large file in the library, read three ways: straight from disk, through
// Library.GetOriginal, and through GET /api/images/<md5>/original. Reports each one's MiB/s, the
// gRPC and HTTP paths as ratios of the disk read, and how much the process grew while serving
// (the file is streamed, never held whole).
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { credentials } from "@grpc/grpc-js";
import { catalogV1, hasherV1 } from "@booru/proto";
import { bearer, startApp } from "@booru/runtime";
import { booru } from "../packages/app/dist/index.js";
import { createLibraryClient } from "../services/dedup/dist/client.js";

const { values } = parseArgs({ options: { mib: { type: "string", default: "512" }, runs: { type: "string", default: "3" } } });
const MIB = Number(values.mib);
const RUNS = Number(values.runs);
const SIZE = MIB * 1024 * 1024;

const dir = await mkdtemp(path.join(tmpdir(), "booru-bench-original-"));
const library = path.join(dir, "library");

// A file of random MiBs (each one different, so nothing compresses or dedups along the way).
const md5 = createHash("md5");
const tmp = path.join(dir, "video.tmp");
const fh = await open(tmp, "w");
for (let i = 0; i < MIB; i++) {
  const block = randomBytes(1024 * 1024);
  md5.update(block);
  await fh.write(block);
}
await fh.close();
const sum = md5.digest("hex");
const file = path.join(library, sum.slice(0, 2), sum.slice(2, 4), `${sum}.mp4`);
await mkdir(path.dirname(file), { recursive: true });
await (await import("node:fs/promises")).rename(tmp, file);

const app = await startApp(booru, {
  targets: ["hasher", "catalog", "dedup", "console"],
  env: { ...process.env, BOORU_DATA: dir, BOORU_LISTEN: "127.0.0.1:0", BOORU_METRICS_LISTEN: "127.0.0.1:0", BOORU_WEB_LISTEN: "127.0.0.1:0", BOORU_LOG_LEVEL: "warn" },
});
const web = app.announced.web.replace(/\/$/, "");
const catalog = new catalogV1.CatalogClient(app.grpcAddress, credentials.createInsecure());
const image = catalogV1.Image.fromPartial({
  md5: sum,
  hashes: { md5: sum, sha256: "0".repeat(64), phash64: "0".repeat(16), dhash64: "0".repeat(16), ahash64: "0".repeat(16), phash256: "0".repeat(64), blockhash256: "0".repeat(64), colorhash42: "0".repeat(11), hashVersion: 1 },
  info: { width: 1920, height: 1080, format: "mp4", frames: 100, bytes: SIZE, mime: "video/mp4", kind: hasherV1.MediaKind.VIDEO },
  originalName: "big.mp4",
  sourcePath: "big.mp4",
  libraryPath: path.relative(library, file),
  ingestedUnixMs: Date.now(),
});
await new Promise((resolve, reject) => catalog.putImage({ image, thumbnail: Buffer.alloc(0) }, bearer(undefined), (err, res) => (err ? reject(err) : resolve(res))));
// The client the console uses (its channel options).
const lib = createLibraryClient(app.grpcAddress);

/** Consumes an async iterable of chunks; checks the byte count. */
async function drain(chunks) {
  let n = 0;
  for await (const c of chunks) n += c.length ?? c.chunk?.length ?? 0;
  if (n !== SIZE) throw new Error(`read ${n} bytes, expected ${SIZE}`);
}

const WAYS = {
  disk: () => drain(createReadStream(file, { highWaterMark: 1 << 20 })),
  "gRPC Library.GetOriginal": () => drain(lib.getOriginal({ md5: sum, offset: 0, length: 0 }, bearer(undefined))),
  "HTTP /api/images/<md5>/original": async () => drain((await fetch(`${web}/api/images/${sum}/original`)).body),
};

const rss = () => process.memoryUsage().rss;
const results = [];
for (const [way, run] of Object.entries(WAYS)) {
  const times = [];
  let grew = 0;
  for (let r = 0; r < RUNS; r++) {
    globalThis.gc?.();
    const base = rss();
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, rss())), 20);
    const t = process.hrtime.bigint();
    await run();
    times.push(Number(process.hrtime.bigint() - t) / 1e9);
    clearInterval(sampler);
    grew = Math.max(grew, peak - base);
  }
  times.sort((a, b) => a - b);
  results.push({ way, seconds: times[Math.floor(times.length / 2)], grew });
}
const disk = results[0].seconds;
console.log(`one ${MIB} MiB original, median of ${RUNS} runs, node ${process.version} (file in the page cache after the first read)`);
for (const r of results) {
  console.log(`  ${r.way.padEnd(34)} ${(MIB / r.seconds).toFixed(0).padStart(6)} MiB/s   ${(r.seconds / disk).toFixed(2)}x the disk read   process grew at most ${(r.grew / 1024 / 1024).toFixed(0)} MiB`);
}
lib.close();
catalog.close();
await app.stop();
await rm(dir, { recursive: true, force: true });
