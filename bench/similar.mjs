#!/usr/bin/env node
// `npm run bench -- similar [--n 1000000] [--queries 2000]`: the catalog's similarity index
// over N random phash64 values, queries at max distance 8: p50/p99 latency of the index and
// of brute force in the same run, memory per million 64-bit hashes, and the cost of a 256-bit scan.
import { parseArgs } from "node:util";
import { Hash64Index } from "../services/catalog/dist/hash64-index.js";
import { Hash256Index } from "../services/catalog/dist/hash256-index.js";
import { SimilarityIndex } from "../services/catalog/dist/similarity.js";

const { values } = parseArgs({ options: { n: { type: "string", default: "1000000" }, queries: { type: "string", default: "2000" }, brute: { type: "string", default: "100" } } });
const N = Number(values.n);
const Q = Number(values.queries);
const BRUTE = Number(values.brute);
const MAX_DISTANCE = 8;

let seed = 42;
const rand32 = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (t ^ (t >>> 14)) >>> 0;
};
const gc = () => globalThis.gc?.();
const mem = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const mib = (b) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (v) => `${v.toFixed(3)} ms`;

function timeQueries(queries, run) {
  gc(); // so a collection of the set-up's garbage does not land inside the timings
  const times = [];
  let found = 0;
  for (const q of queries) {
    const t0 = process.hrtime.bigint();
    found += run(q);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { p50: pct(times, 50), p99: pct(times, 99), mean: times.reduce((a, b) => a + b, 0) / times.length, found };
}

console.log(`similarity index: ${N.toLocaleString()} random phash64 values, max distance ${MAX_DISTANCE}, node ${process.version}`);
const hi = new Uint32Array(N);
const lo = new Uint32Array(N);
for (let i = 0; i < N; i++) {
  hi[i] = rand32();
  lo[i] = rand32();
}
// Half the queries are near an entry (0..8 bits flipped, so there is something to find), half random.
const queries = Array.from({ length: Q }, (_, i) => {
  if (i % 2) return [rand32(), rand32()];
  const j = rand32() % N;
  let [h, l] = [hi[j], lo[j]];
  for (let f = rand32() % (MAX_DISTANCE + 1); f > 0; f--) {
    const bit = rand32() % 64;
    if (bit < 32) h ^= 1 << bit;
    else l ^= 1 << (bit - 32);
  }
  return [h >>> 0, l >>> 0];
});

// 1. The bare 64-bit index: build, memory, index vs brute force.
let before = mem();
let t0 = performance.now();
const index = new Hash64Index();
for (let i = 0; i < N; i++) index.set(i, hi[i], lo[i]);
const buildMs = performance.now() - t0;
const indexBytes = mem() - before;

const collect = (fn) => (q) => {
  const out = [];
  fn(q[0], q[1], MAX_DISTANCE, (slot, d) => out.push(slot * 65 + d));
  return out.sort((a, b) => a - b);
};
const viaIndex = collect((h, l, d, v) => index.search(h, l, d, v));
const viaScan = collect((h, l, d, v) => index.scan(h, l, d, v));
for (const q of queries.slice(0, BRUTE)) {
  const a = viaIndex(q).join();
  if (a !== viaScan(q).join()) throw new Error("index and brute force disagree");
}
timeQueries(queries.slice(0, 200), (q) => viaIndex(q).length); // warm-up
const idx = timeQueries(queries, (q) => viaIndex(q).length);
const brute = timeQueries(queries.slice(0, BRUTE), (q) => viaScan(q).length);
console.log(`\n64-bit multi-index (${index.chunks} chunks), build ${(buildMs / 1000).toFixed(2)} s`);
console.log(`  memory:       ${mib(indexBytes)} for ${N.toLocaleString()} entries = ${mib((indexBytes * 1e6) / N)} per million 64-bit hashes`);
console.log(`  index:        p50 ${ms(idx.p50)}  p99 ${ms(idx.p99)}  mean ${ms(idx.mean)}  (${Q} queries, ${(idx.found / Q).toFixed(2)} matches/query)`);
console.log(`  brute force:  p50 ${ms(brute.p50)}  p99 ${ms(brute.p99)}  mean ${ms(brute.mean)}  (${BRUTE} queries, results identical)`);
console.log(`  speed-up:     ${(brute.mean / idx.mean).toFixed(0)}x (mean), ${(brute.p50 / idx.p50).toFixed(0)}x (p50), ${(brute.p99 / idx.p99).toFixed(0)}x (p99)`);
const perDistance = [4, 12, 16].map((d) => {
  const t = timeQueries(queries.slice(0, 200), (q) => {
    let n = 0;
    index.search(q[0], q[1], d, () => n++);
    return n;
  });
  return `d=${d}: p50 ${ms(t.p50)} p99 ${ms(t.p99)}`;
});
console.log(`  other distances: ${perDistance.join(";  ")}`);

// 2. What FindSimilar runs: md5 slots, sorting by distance then md5, a limit of 50.
before = mem();
t0 = performance.now();
const full = new SimilarityIndex();
const hex = (h, l) => h.toString(16).padStart(8, "0") + l.toString(16).padStart(8, "0");
const key = Buffer.alloc(16);
for (let i = 0; i < N; i++) {
  // Flat strings, as md5s decoded from requests and the store are.
  key.writeUInt32BE(i, 12);
  full.upsert(key.toString("hex"), { phash64: hex(hi[i], lo[i]) });
}
const fullMs = performance.now() - t0;
const fullBytes = mem() - before;
const words = queries.map(([h, l]) => Uint32Array.of(h, l));
timeQueries(words.slice(0, 200), (q) => full.query("phash64", q, MAX_DISTANCE, 50).length);
const fq = timeQueries(words, (q) => full.query("phash64", q, MAX_DISTANCE, 50).length);
console.log(`\nSimilarityIndex (md5 -> slot map + phash64), build ${(fullMs / 1000).toFixed(2)} s, ${mib(fullBytes)} (md5 strings included)`);
console.log(`  query (sorted, limit 50): p50 ${ms(fq.p50)}  p99 ${ms(fq.p99)}`);

// 3. 256-bit values are scanned.
const n256 = N;
const idx256 = new Hash256Index();
const w = new Uint32Array(8);
for (let i = 0; i < n256; i++) {
  for (let k = 0; k < 8; k++) w[k] = rand32();
  idx256.set(i, w);
}
const q256 = Array.from({ length: 20 }, () => Uint32Array.from({ length: 8 }, () => rand32()));
const s256 = timeQueries(q256, (q) => {
  let n = 0;
  idx256.search(q, 32, () => n++);
  return n;
});
console.log(`\n256-bit scan over ${n256.toLocaleString()} entries (phash256/blockhash256, d=32): p50 ${ms(s256.p50)}  p99 ${ms(s256.p99)}; ${mib(n256 * 33)} per million`);
