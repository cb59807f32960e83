// The full hasher path (or the floor, with --floor) over the photos, for a profiler:
//   THREADS=2 perf record -g node --perf-basic-prof bench/_hasher-prof.mjs bench/photos 3
//   THREADS=1 node --cpu-prof bench/_hasher-prof.mjs bench/photos 3   (one profile per thread)
import sharp from "sharp";
import { floorOne, loadPhotos, makeFull, runAll } from "./_hasher-lib.mjs";

const threads = Number(process.env.THREADS ?? 2);
sharp.concurrency(threads);
const photos = loadPhotos(process.argv[2] ?? "bench/photos");
const rounds = Number(process.argv[3] ?? 2);
const floor = process.argv.includes("--floor");
const full = makeFull(threads);
const fn = floor ? (p) => floorOne(p.bytes) : (p) => full.one(p.bytes);
const c = process.cpuUsage();
for (let r = 0; r < rounds; r++) await runAll(photos, threads, fn);
const u = process.cpuUsage(c);
console.log(`${floor ? "floor" : "full"} cpu/image ${((u.user + u.system) / 1000 / photos.length / rounds).toFixed(1)} ms`);
await full.close();
