#!/usr/bin/env node
// `npm run bench -- near-rescan [--n 100000]`: `booru near --rescan` (RescanNearDuplicates) over a
// SQLite catalog of N images with random hashes, one in 1000 with a planted near copy (a few
// bits off on each hash): the time to rebuild every pair and group from the similarity index,
// per million images, next to the time to build the index from the store (the same scan every
// catalog start does) in the same run. The rescan joins the phash64 values (hash64-join.ts), whose
// work grows with the square of the catalog: run it at the size you care about (--n 1000000).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { catalogV1 } from "@booru/proto";
import { createLogger, openSqlite } from "@booru/runtime";
import { sqliteRepos } from "../services/catalog/dist/repos/sqlite.js";
import { sqliteNearRepo } from "../services/catalog/dist/near/sqlite.js";
import { NearDetector } from "../services/catalog/dist/near/detector.js";
import { DEFAULT_NEAR_RULE } from "../services/catalog/dist/near/rule.js";
import { DEFAULT_KEEPER } from "../services/catalog/dist/near/keeper.js";
import { SimilarityIndex } from "../services/catalog/dist/similarity.js";
import { IndexSync } from "../services/catalog/dist/index-sync.js";

const { values } = parseArgs({ options: { n: { type: "string", default: "100000" } } });
const N = Number(values.n);

let seed = 7;
const rand32 = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (t ^ (t >>> 14)) >>> 0;
};
const hex = (words) => Array.from({ length: words }, () => rand32().toString(16).padStart(8, "0")).join("");
/** Flips `bits` distinct bits of a hex value. */
const flip = (h, bits) => {
  const b = h.split("").map((c) => parseInt(c, 16));
  const done = new Set();
  while (done.size < bits) done.add(rand32() % (b.length * 4));
  for (const i of done) b[i >> 2] ^= 1 << (i & 3);
  return b.map((x) => x.toString(16)).join("");
};
const md5 = (i) => i.toString(16).padStart(32, "0");

const dir = mkdtempSync(path.join(tmpdir(), "near-rescan-"));
const db = openSqlite(path.join(dir, "booru.sqlite"));
const repos = sqliteRepos(db);
const near = sqliteNearRepo(db);
const log = createLogger("bench", "warn");

let t = performance.now();
const put = db.transaction((from, to) => {
  for (let i = from; i < to; i++) {
    let hashes = { phash64: hex(2), dhash64: hex(2), blockhash256: hex(8), phash256: hex(8) };
    // Every 1000th image is a near copy of the one before it.
    if (i % 1000 === 999) hashes = { phash64: flip(prev.phash64, 3), dhash64: flip(prev.dhash64, 4), blockhash256: flip(prev.blockhash256, 6), phash256: flip(prev.phash256, 10) };
    prev = hashes;
    void repos.images.put(catalogV1.Image.fromPartial({ md5: md5(i), hashes: { md5: md5(i), sha256: md5(i) + md5(i), ...hashes }, info: { width: 100, height: 100, format: "jpeg", bytes: 1000 + i }, ingestedUnixMs: 1_700_000_000_000 + i, libraryPath: "x" }));
  }
});
let prev;
for (let i = 0; i < N; i += 10_000) put(i, Math.min(N, i + 10_000));
console.log(`near rescan: ${N.toLocaleString()} images in SQLite (${((performance.now() - t) / 1000).toFixed(1)} s to write), node ${process.version}`);

const index = new SimilarityIndex();
const sync = new IndexSync(repos.images, index, log);
// CPU seconds beside wall seconds: on a shared machine the wall time depends on the load.
const cpu = (from) => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
};
t = performance.now();
let c = process.cpuUsage();
await sync.refresh();
const indexS = (performance.now() - t) / 1000;
console.log(`  index built from the store: ${indexS.toFixed(1)} s, ${cpu(c).toFixed(1)} CPU s (${index.size.toLocaleString()} entries)`);

const detector = new NearDetector({ repo: near, images: repos.images, index, refreshIndex: () => sync.refresh(), catchUpIndex: () => sync.catchUp(), rule: DEFAULT_NEAR_RULE, mode: "review", keeper: DEFAULT_KEEPER, drop: async () => undefined, changed: () => undefined, owner: "bench", log });
await near.enqueue({ id: "s:bench", kind: "rescan", md5s: [], at: Date.now() });
t = performance.now();
c = process.cpuUsage();
await detector.poke();
const total = (performance.now() - t) / 1000;
const totalCpu = cpu(c);
const state = await near.jobState("s:bench");
const r = state.result;
console.log(`  rescan (the index rebuilt first, as when the detector takes over): ${total.toFixed(1)} s, ${totalCpu.toFixed(1)} CPU s: ${r.pairs} pairs, ${r.groups} groups (planted: ${Math.floor(N / 1000)})`);
console.log(`  ${(total / 60).toFixed(1)} min wall, ${(totalCpu / 60).toFixed(1)} min CPU for ${N.toLocaleString()} images (${Math.round(N / total).toLocaleString()} images/s; the join grows with N squared)`);
await detector.stop();
db.close();
rmSync(dir, { recursive: true, force: true });
