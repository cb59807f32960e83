// Child of bench/hasher.mjs: hashes N images from a folder (cycling) at concurrency 2 and
// prints peak RSS and RSS after the first tenth and at the end, as JSON.
import { readFileSync } from "node:fs";
import sharp from "sharp";
import { loadPhotos, makeFull, runAll } from "./_hasher-lib.mjs";

const [dir, count] = process.argv.slice(2);
const photos = loadPhotos(dir);
const n = Number(count);
sharp.concurrency(2);
const full = makeFull(2);
let peak = 0;
const sample = () => (peak = Math.max(peak, process.memoryUsage.rss()));
const timer = setInterval(sample, 20);
const items = Array.from({ length: n }, (_, i) => photos[i % photos.length]);
const firstAt = Math.max(1, Math.round(n / 10));
let done = 0;
let firstMB = 0;
await runAll(items, 2, async (p) => {
  await full.one(p.bytes);
  if (++done === firstAt) firstMB = process.memoryUsage.rss() / 1e6;
});
const lastMB = process.memoryUsage.rss() / 1e6;
clearInterval(timer);
sample();
await full.close();
// VmHWM is this process's own high-water mark; getrusage's maxRSS would include the parent's
// RSS at fork time (Linux keeps it across exec).
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
const peakMB = Math.round(Math.max(peak, hwm ? Number(hwm) * 1024 : 0) / 1e6);
console.log(JSON.stringify({ images: n, firstAt, peakMB, firstMB: Math.round(firstMB), lastMB: Math.round(lastMB), changePct: (((lastMB - firstMB) / firstMB) * 100).toFixed(1) }));
