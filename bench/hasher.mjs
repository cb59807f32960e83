// npm run bench -- hasher [folder] [--rss-images N] [--rounds N] [--threads 1,2] [--throughput-only]
// Throughput of the full hasher path (every hash + thumbnail) against the floor measured in the
// same run (sharp decoding each file to the same working size, nothing else), at 1 and 2
// threads; then peak RSS at concurrency 2 on 20-megapixel inputs and RSS over many images,
// each in a fresh child process.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { config, floorOne, loadPhotos, makeFull, runAll } from "./_hasher-lib.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const dir = args[0] && !args[0].startsWith("--") ? args[0] : path.join(here, "photos");
const rssImages = Number(opt("--rss-images", "2000"));
const rounds = Number(opt("--rounds", "3"));
const threadCounts = opt("--threads", "1,2").split(",").map(Number);
if (!existsSync(dir) || readdirSync(dir).length === 0) {
  console.error(`no photos in ${dir}: build them with  bash bench/photos.sh  (Debian packages, ~15 s)`);
  process.exit(2);
}

const photos = loadPhotos(dir);
const mb = photos.reduce((s, p) => s + p.bytes.length, 0) / 1e6;
const { thumbSize, thumbFormat, thumbQuality, thumbEffort } = config(1);
console.log(`hasher bench: ${photos.length} images, ${mb.toFixed(1)} MB from ${dir}; thumbnails ${thumbSize} px ${thumbFormat} quality ${thumbQuality} effort ${thumbEffort}`);

async function measure(threads) {
  sharp.concurrency(threads);
  const full = makeFull(threads);
  // Warm up both paths (JIT, worker start, libvips init) on a few files.
  await runAll(photos.slice(0, 4), threads, (p) => floorOne(p.bytes));
  await runAll(photos.slice(0, 4), threads, (p) => full.one(p.bytes));
  // Alternate floor and full, round after round, and compare each round's pair: background load
  // on a shared machine then hits both alike. The median round's ratio is the one reported.
  // CPU time (all of this process's threads: libvips, workers) is less sensitive to that load.
  const pairs = [];
  for (let round = 0; round < rounds; round++) {
    const floor = await timed(() => runAll(photos, threads, (p) => floorOne(p.bytes)));
    const full_ = await timed(() => runAll(photos, threads, (p) => full.one(p.bytes)));
    pairs.push({ floor, full: full_, ratio: floor.s / full_.s, cpuRatio: floor.cpu / full_.cpu });
  }
  await full.close();
  const median = (key) => [...pairs].sort((a, b) => a[key] - b[key])[pairs.length >> 1];
  const { floor, full: fullS, ratio } = median("ratio");
  const cpu = median("cpuRatio");
  const all = pairs.map((p) => p.ratio.toFixed(2)).join(" ");
  const row = (name, s) => `${name.padEnd(6)} ${(photos.length / s).toFixed(1).padStart(7)} img/s ${(mb / s).toFixed(1).padStart(7)} MB/s`;
  const perImage = (t) => `${((t.cpu * 1000) / photos.length).toFixed(1)} ms`;
  console.log(`threads=${threads}\n  ${row("floor", floor.s)}\n  ${row("full", fullS.s)}\n  ratio full/floor = ${ratio.toFixed(2)} (target >= 0.80; rounds in order: ${all})`);
  console.log(`  CPU per image: floor ${perImage(cpu.floor)}, full ${perImage(cpu.full)}, ratio ${cpu.cpuRatio.toFixed(2)}`);
}

/** Seconds of wall time and of CPU time (user + system, every thread of this process). */
async function timed(fn) {
  const c = process.cpuUsage();
  const s = await fn();
  const u = process.cpuUsage(c);
  return { s, cpu: (u.user + u.system) / 1e6 };
}

for (const threads of threadCounts) await measure(threads);
if (args.includes("--throughput-only")) process.exit(0);

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
