#!/usr/bin/env node
// `npm run bench -- console [--n 100000] [--pages 200]`: the web console's library API over a
// catalog of N images (embedded mode: SQLite, catalog and console in one process, as `booru up`).
// Walks the library page by page by cursor (60 per page, as the page asks) unfiltered and with
// each filter, and reports p50/p95 per page of the console's GET /api/images next to the
// catalog's own ListImages over gRPC in the same run (the console's overhead as a ratio).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { catalogV1, hasherV1 } from "@booru/proto";
import { bearer, openSqlite, startApp } from "@booru/runtime";
import { allModules } from "../packages/cli/dist/modules.js";
import { sqliteRepos } from "../services/catalog/dist/repos/sqlite.js";
import { credentials } from "@grpc/grpc-js";

const { values } = parseArgs({ options: { n: { type: "string", default: "100000" }, pages: { type: "string", default: "200" } } });
const N = Number(values.n);
const PAGES = Number(values.pages);
const PAGE = 60;
const DAY = 86_400_000;
const NOW = Date.now();

let seed = 7;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const hex = (n) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join("");
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

const FORMATS = ["jpeg", "jpeg", "jpeg", "png", "webp", "gif"];
function image(i) {
  const md5 = hex(32);
  const video = i % 50 === 0;
  const format = video ? "mp4" : FORMATS[i % FORMATS.length];
  return catalogV1.Image.fromPartial({
    md5,
    hashes: { md5, sha256: hex(64), phash64: hex(16), dhash64: hex(16), ahash64: hex(16), phash256: hex(64), blockhash256: hex(64), colorhash42: hex(11), hashVersion: 1 },
    info: { width: 1920, height: 1080, format, frames: 1, bytes: Math.floor(50_000 + rand() * 8_000_000), mime: `image/${format}`, kind: video ? hasherV1.MediaKind.VIDEO : hasherV1.MediaKind.IMAGE },
    originalName: `IMG_${String(i).padStart(6, "0")}.${format}`,
    sourcePath: `camera/IMG_${String(i).padStart(6, "0")}.${format}`,
    libraryPath: `${md5.slice(0, 2)}/${md5.slice(2, 4)}/${md5}.${format}`,
    // Spread over the last 60 days, oldest first.
    ingestedUnixMs: NOW - 60 * DAY + Math.floor((i / N) * 60 * DAY),
    thumbnailWidth: 512,
    thumbnailHeight: 288,
    thumbnailMime: "image/webp",
  });
}

const dir = await mkdtemp(path.join(tmpdir(), "booru-bench-console-"));
const t0 = Date.now();
const db = openSqlite(path.join(dir, "booru.sqlite"));
const repos = sqliteRepos(db);
db.transaction(() => {
  for (let i = 0; i < N; i++) void repos.images.put(image(i));
})();
db.close();
console.log(`console library API: ${N.toLocaleString()} images in SQLite (filled in ${((Date.now() - t0) / 1000).toFixed(1)} s), pages of ${PAGE}, node ${process.version}`);

const app = await startApp(allModules, {
  targets: ["catalog", "console"],
  env: { ...process.env, BOORU_DATA: dir, BOORU_LISTEN: "127.0.0.1:0", BOORU_METRICS_LISTEN: "127.0.0.1:0", BOORU_WEB_LISTEN: "127.0.0.1:0", BOORU_LOG_LEVEL: "warn" },
});
const web = app.announced.web.replace(/\/$/, "");
const client = new catalogV1.CatalogClient(app.grpcAddress, credentials.createInsecure());
const grpcList = (req) => new Promise((resolve, reject) => client.listImages(catalogV1.ListImagesRequest.fromPartial(req), bearer(undefined), (err, res) => (err ? reject(err) : resolve(res))));

/**
 * Filters as the page sends them (query string) and as ListImages takes them.
 * @type {[string, Record<string, string>, Partial<catalogV1.ListImagesRequest>][]}
 */
const SCENARIOS = [
  ["newest first, no filter", {}, {}],
  ["kind=video", { kind: "video" }, { kind: hasherV1.MediaKind.VIDEO }],
  ["format=png, at least 1 MiB", { format: "png", minBytes: String(1 << 20) }, { format: "png", minBytes: 1 << 20 }],
  ["last 7 days", { from: new Date(NOW - 7 * DAY).toISOString().slice(0, 10) }, { ingestedAfterUnixMs: Date.parse(new Date(NOW - 7 * DAY).toISOString().slice(0, 10)) }],
];

/** @param {(cursor: string) => Promise<string>} fetchPage */
async function walk(fetchPage) {
  const times = [];
  let cursor = "";
  for (let p = 0; p < PAGES; p++) {
    const t = process.hrtime.bigint();
    const next = await fetchPage(cursor);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (!next) break;
    cursor = next;
  }
  return times.sort((a, b) => a - b);
}

const rows = [];
for (const [label, query, req] of SCENARIOS) {
  // Warm both paths once (statement cache, connections).
  await fetch(`${web}/api/images?${new URLSearchParams(query)}`).then((r) => r.arrayBuffer());
  const viaConsole = await walk(async (cursor) => {
    const res = await fetch(`${web}/api/images?${new URLSearchParams({ ...query, ...(cursor ? { cursor } : {}) })}`, { headers: { "accept-encoding": "gzip" } });
    if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
    return /** @type {{ next: string }} */ (await res.json()).next;
  });
  const viaGrpc = await walk(async (cursor) => (await grpcList({ ...req, pageSize: PAGE, pageToken: cursor })).nextPageToken);
  rows.push({ label, pages: viaConsole.length, c50: pct(viaConsole, 50), c95: pct(viaConsole, 95), g50: pct(viaGrpc, 50), g95: pct(viaGrpc, 95) });
}
client.close();
await app.stop();
await rm(dir, { recursive: true, force: true });

console.log("scenario                        pages  console p50   p95      gRPC p50   p95      p95 ratio");
for (const r of rows) {
  console.log(`${r.label.padEnd(32)}${String(r.pages).padStart(5)}  ${r.c50.toFixed(2).padStart(8)} ms ${r.c95.toFixed(2).padStart(7)} ms ${r.g50.toFixed(2).padStart(8)} ms ${r.g95.toFixed(2).padStart(7)} ms   ${(r.c95 / r.g95).toFixed(2)}x`);
}
const worst = Math.max(...rows.map((r) => r.c95));
console.log(`worst console p95 per page: ${worst.toFixed(2)} ms (target < 100 ms)`);
