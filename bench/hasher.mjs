// npm run bench -- hasher [folder] [--rss-images N]
// Throughput of the full hasher path (every hash + thumbnail) against the floor measured in the
// same run (sharp decoding each file to the same working size, nothing else), at 1 and 2
// threads; then peak RSS at concurrency 2 on 20-megapixel inputs and RSS over many images,
// each in a fresh child process.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { floorOne, loadPhotos, makeFull, runAll } from "./_hasher-lib.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const dir = args[0] && !args[0].startsWith("--") ? args[0] : path.join(here, "photos");
const rssImages = Number(opt("--rss-images", "2000"));
if (!existsSync(dir) || readdirSync(dir).length === 0) {
  console.error(`no photos in ${dir}: build them with  bash bench/photos.sh  (Debian packages, ~15 s)`);
  process.exit(2);
}

const photos = loadPhotos(dir);
const mb = photos.reduce((s, p) => s + p.bytes.length, 0) / 1e6;
console.log(`hasher bench: ${photos.length} images, ${mb.toFixed(1)} MB from ${dir}`);

async function measure(threads) {
  sharp.concurrency(threads);
  const full = makeFull(threads);
  // Warm up both paths (JIT, worker start, libvips init) on a few files.
  await runAll(photos.slice(0, 4), threads, (p) => floorOne(p.bytes));
  await runAll(photos.slice(0, 4), threads, (p) => full.one(p.bytes));
  // Alternate floor and full twice and keep the best of each, so background load hits both alike.
  let floor = Infinity;
  let fullS = Infinity;
  for (let round = 0; round < 2; round++) {
    floor = Math.min(floor, await runAll(photos, threads, (p) => floorOne(p.bytes)));
    fullS = Math.min(fullS, await runAll(photos, threads, (p) => full.one(p.bytes)));
  }
  await full.close();
  const row = (name, s) => `${name.padEnd(6)} ${(photos.length / s).toFixed(1).padStart(7)} img/s ${(mb / s).toFixed(1).padStart(7)} MB/s`;
  console.log(`threads=${threads}\n  ${row("floor", floor)}\n  ${row("full", fullS)}\n  ratio full/floor = ${(floor / fullS).toFixed(2)} (target >= 0.80)`);
}

await measure(1);
await measure(2);

const stages = spawnSync(process.execPath, [path.join(here, "_hasher-stages.mjs"), dir], { encoding: "utf8" });
console.log(`per image, one thread: ${stages.stdout.trim() || stages.stderr}`);

// Memory: fresh child processes so nothing measured above counts.
const big = path.join(here, "out", "hasher-20mp");
mkdirSync(big, { recursive: true });
for (let i = 0; i < 8; i++) {
  const src = photos[(i * 7) % photos.length];
  const out = path.join(big, `p${i}.jpg`);
  if (!existsSync(out)) {
    const jpeg = await sharp(src.bytes).resize(5472, 3648, { fit: "fill" }).jpeg({ quality: 90 }).toBuffer();
    writeFileSync(out, jpeg);
  }
}
// As deployed (services/hasher/README.md): glibc's per-thread arenas otherwise make RSS drift
// with libvips' threads, for the floor alone too.
const arenas = process.env.MALLOC_ARENA_MAX ?? "2";
console.log(`memory runs with MALLOC_ARENA_MAX=${arenas}`);
const child = (what, n) => {
  const r = spawnSync(process.execPath, ["--expose-gc", path.join(here, "_hasher-rss.mjs"), what, n], { encoding: "utf8", env: { ...process.env, MALLOC_ARENA_MAX: arenas } });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
};
const peak = child(big, "16");
console.log(`peak RSS, concurrency 2, 16 x 20-megapixel JPEG: ${peak.peakMB} MB (target < 300 MB)`);
const flat = child(dir, String(rssImages));
console.log(`RSS over ${flat.images} images at concurrency 2 (the photos themselves held in memory: ${mb.toFixed(0)} MB): after ${flat.firstAt}: ${flat.firstMB} MB, after ${flat.images}: ${flat.lastMB} MB, change ${flat.changePct}% (target within 10%)`);
