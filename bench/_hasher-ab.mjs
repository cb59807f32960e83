// The floor, another build of the hasher and this one, interleaved round after round in one
// process, so background load hits all of them alike; each round's ratios are paired, the median
// reported. The other build: a checkout with its own dist (e.g. git archive of the old commit,
// node_modules linked, npx tsc -b). Efforts: this build at each thumbnail effort listed.
// BASE=/tmp/base EFFORTS=2,1,0 THREADS=2 ROUNDS=5 node bench/_hasher-ab.mjs [folder]
import path from "node:path";
import sharp from "sharp";
import { config, floorOne, loadPhotos, makeFull, runAll } from "./_hasher-lib.mjs";

const threads = Number(process.env.THREADS ?? 2);
const rounds = Number(process.env.ROUNDS ?? 5);
const efforts = (process.env.EFFORTS ?? String(config(1).thumbEffort)).split(",").map(Number);
sharp.concurrency(threads);
const photos = loadPhotos(process.argv[2] ?? "bench/photos");

const variants = { floor: { one: (b) => floorOne(b), close: async () => {} } };
if (process.env.BASE) {
  const dist = path.resolve(process.env.BASE, "services/hasher/dist");
  const [base, basePool] = [await import(path.join(dist, "index.js")), await import(path.join(dist, "pool.js"))];
  variants.base = makeFull(threads, {}, { HashService: base.HashService, createHashPool: basePool.createHashPool });
}
for (const e of efforts) variants[`effort ${e}`] = makeFull(threads, { thumbEffort: e });

for (const v of Object.values(variants)) await runAll(photos.slice(0, 6), threads, (p) => v.one(p.bytes));
const runs = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) {
  for (const [k, v] of Object.entries(variants)) {
    const start = process.cpuUsage();
    const s = await runAll(photos, threads, (p) => v.one(p.bytes));
    const u = process.cpuUsage(start);
    runs[k].push({ s, cpu: (u.user + u.system) / 1000 / photos.length });
  }
}
for (const v of Object.values(variants)) await v.close();
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const floor = runs.floor;
console.log(`threads=${threads}, ${rounds} rounds, floor CPU per image ${median(floor.map((x) => x.cpu)).toFixed(1)} ms`);
for (const k of Object.keys(variants).filter((k) => k !== "floor")) {
  const wall = median(runs[k].map((x, i) => floor[i].s / x.s));
  const cpu = median(runs[k].map((x, i) => floor[i].cpu / x.cpu));
  console.log(`  ${k.padEnd(9)} ratio full/floor ${wall.toFixed(3)}, CPU ratio ${cpu.toFixed(3)}, CPU per image ${median(runs[k].map((x) => x.cpu)).toFixed(1)} ms`);
}
