#!/usr/bin/env node
// `npm run bench -- near [--photos bench/photos] [--allow bench/near-allow.txt] [--limit N]`:
// near-duplicate detection over a real-photo corpus (bash bench/photos.sh) and generated variants
// of each photo. Every file goes through the hasher's service path; the bench prints, for each
// hash, the distance between each photo and each of its variants (recall at the candidate
// thresholds, per variant kind) and the smallest distances between distinct photos (false pairs),
// then the recall and false pairs of the catalog's pairing rule at its defaults.
// Photos larger than 2048 px on a side are first scaled to 2048 (JPEG q95) so the run stays short.
import { readFileSync, existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { loadPhotos, makeFull, runAll } from "./_hasher-lib.mjs";
import { DEFAULT_NEAR_RULE, nearDistances, isNearPair, isFlat } from "../services/catalog/dist/near/rule.js";

const here = path.dirname(new URL(import.meta.url).pathname);
const { values } = parseArgs({
  options: {
    photos: { type: "string", default: path.join(here, "photos") },
    allow: { type: "string", default: path.join(here, "near-allow.txt") },
    limit: { type: "string", default: "100000" },
    // Saves every hash (photos and variants) as JSON, to try other rules without hashing again.
    dump: { type: "string" },
    // Reads a --dump instead of hashing (the same figures, in seconds).
    load: { type: "string" },
  },
});
if (!values.load && !existsSync(values.photos)) {
  console.error(`no corpus at ${values.photos}: run bash bench/photos.sh first`);
  process.exit(2);
}

const REQUIRED = ["resize50", "resize25", "jpeg95", "jpeg75", "jpeg50", "webp", "png", "crop2", "crop5", "border10", "exif-rotated"];
const REPORTED = ["mirrored", "greyscale", "watermark"];

/** Variant kind -> bytes, from the photo's bytes. */
const VARIANTS = {
  resize50: (s, m) => s.resize(Math.round(m.width / 2)).jpeg({ quality: 92 }).toBuffer(),
  resize25: (s, m) => s.resize(Math.round(m.width / 4)).jpeg({ quality: 92 }).toBuffer(),
  jpeg95: (s) => s.jpeg({ quality: 95 }).toBuffer(),
  jpeg75: (s) => s.jpeg({ quality: 75 }).toBuffer(),
  jpeg50: (s) => s.jpeg({ quality: 50 }).toBuffer(),
  webp: (s) => s.webp({ quality: 80 }).toBuffer(),
  png: (s) => s.png({ compressionLevel: 1 }).toBuffer(),
  crop2: (s, m) => crop(s, m, 0.02),
  crop5: (s, m) => crop(s, m, 0.05),
  border10: (s) => s.extend({ top: 10, bottom: 10, left: 10, right: 10, background: "#000000" }).jpeg({ quality: 92 }).toBuffer(),
  // Pixels stored turned a quarter left, with the EXIF orientation (6) that turns them back.
  "exif-rotated": (s) => s.rotate(270).jpeg({ quality: 92 }).withMetadata({ orientation: 6 }).toBuffer(),
  mirrored: (s) => s.flop().jpeg({ quality: 92 }).toBuffer(),
  greyscale: (s) => s.greyscale().jpeg({ quality: 92 }).toBuffer(),
  watermark: (s, m) => s.composite([{ input: watermark(m), gravity: "southeast" }]).jpeg({ quality: 92 }).toBuffer(),
};

function crop(s, m, f) {
  const dx = Math.round(m.width * f);
  const dy = Math.round(m.height * f);
  return s.extract({ left: dx, top: dy, width: m.width - 2 * dx, height: m.height - 2 * dy }).jpeg({ quality: 92 }).toBuffer();
}

function watermark(m) {
  const w = Math.max(120, Math.round(m.width / 4));
  const h = Math.round(w / 5);
  return Buffer.from(`<svg width="${w}" height="${h}"><text x="4" y="${Math.round(h * 0.75)}" font-size="${Math.round(h * 0.6)}" fill="white" fill-opacity="0.7">© booru 2026</text></svg>`);
}

async function prepare(bytes) {
  const m = await sharp(bytes).metadata();
  if (Math.max(m.width, m.height) <= 2048) return bytes;
  return sharp(bytes).autoOrient().resize({ width: 2048, height: 2048, fit: "inside" }).jpeg({ quality: 95 }).toBuffer();
}

const allow = new Set();
if (existsSync(values.allow)) {
  for (const line of readFileSync(values.allow, "utf8").split("\n")) {
    const names = line.replace(/#.*/, "").trim().split(/\s+/).filter(Boolean);
    for (const a of names) for (const b of names) if (a !== b) allow.add(`${a}\n${b}`);
  }
}

let originals = [];
let variants = [];
const t0 = performance.now();
if (values.load) {
  ({ originals, variants } = JSON.parse(readFileSync(values.load, "utf8")));
  const byName = new Map(originals.map((o) => [o.name, o.hashes]));
  for (const v of variants) v.of = byName.get(v.name);
} else {
  const photos = loadPhotos(values.photos).slice(0, Number(values.limit));
  const hasher = makeFull(2);
  await runAll(photos, 2, async (p) => {
    try {
      const bytes = await prepare(p.bytes);
      const { hashes, info } = await hasher.one(bytes);
      originals.push({ name: p.name, hashes, info });
      for (const [kind, make] of Object.entries(VARIANTS)) {
        // Alpha flattened onto white, as the hasher does, so a JPEG variant shows the same picture.
        const s = sharp(bytes).autoOrient().flatten({ background: "#ffffff" });
        const m = await sharp(bytes).autoOrient().metadata();
        const v = await hasher.one(await make(s, { width: m.autoOrient?.width ?? m.width, height: m.autoOrient?.height ?? m.height }));
        variants.push({ name: p.name, kind, hashes: v.hashes, of: hashes });
      }
    } catch (err) {
      console.error(`skipped ${p.name}: ${err.message}`);
    }
  });
  await hasher.close();
  if (values.dump) writeFileSync(values.dump, JSON.stringify({ originals, variants: variants.map(({ name, kind, hashes }) => ({ name, kind, hashes })) }));
}
console.log(`near-duplicates: ${originals.length} photos, ${variants.length} variants hashed in ${((performance.now() - t0) / 1000).toFixed(0)} s, node ${process.version}`);

const ALGOS = ["phash64", "dhash64", "blockhash256", "phash256"];
const CANDIDATES = { phash64: [6, 8, 10, 12, 14], dhash64: [8, 10, 12, 14, 16], blockhash256: [16, 24, 32, 40, 48], phash256: [24, 32, 40, 48, 56] };

// Recall per variant kind at each candidate threshold.
console.log("\nrecall per variant kind (share of variants within the distance of their photo)");
for (const algo of ALGOS) {
  console.log(`  ${algo.padEnd(12)} ${"kind".padEnd(13)} ${CANDIDATES[algo].map((t) => `<=${t}`.padStart(7)).join("")}   max`);
  for (const kind of [...REQUIRED, ...REPORTED]) {
    const ds = variants.filter((v) => v.kind === kind).map((v) => nearDistances(v.hashes, v.of)[algo]).filter((d) => d !== undefined);
    const cells = CANDIDATES[algo].map((t) => `${((100 * ds.filter((d) => d <= t).length) / ds.length).toFixed(1)}%`.padStart(7));
    console.log(`  ${"".padEnd(12)} ${kind.padEnd(13)} ${cells.join("")}   ${Math.max(...ds)}`);
  }
}

// Distances between distinct photos (allow-listed related photos excluded).
const distinct = [];
for (let i = 0; i < originals.length; i++) {
  for (let j = i + 1; j < originals.length; j++) {
    const a = originals[i];
    const b = originals[j];
    if (allow.has(`${a.name}\n${b.name}`)) continue;
    distinct.push({ a: a.name, b: b.name, d: nearDistances(a.hashes, b.hashes), ha: a.hashes, hb: b.hashes });
  }
}
console.log(`\ndistinct photo pairs: ${distinct.length} (${allow.size / 2} allow-listed ordered pairs excluded)`);
for (const algo of ALGOS) {
  const sorted = distinct.filter((p) => p.d[algo] !== undefined).sort((x, y) => x.d[algo] - y.d[algo]);
  console.log(`  ${algo.padEnd(12)} closest: ${sorted.slice(0, 3).map((p) => `${p.d[algo]} (${p.a} ~ ${p.b})`).join(", ")}`);
  console.log(`  ${"".padEnd(12)} pairs within: ${CANDIDATES[algo].map((t) => `<=${t}: ${sorted.filter((p) => p.d[algo] <= t).length}`).join(", ")}`);
}

// The catalog's rule at its defaults.
const rule = DEFAULT_NEAR_RULE;
const flat = new Set(originals.filter((o) => isFlat(o.hashes)).map((o) => o.name));
console.log(`\nthe catalog's rule at its defaults: ${JSON.stringify(rule)}`);
console.log(`  flat photos (never paired by hashes; recall also given without them): ${[...flat].join(" ") || "none"}`);
for (const kind of [...REQUIRED, ...REPORTED]) {
  const vs = variants.filter((v) => v.kind === kind);
  const hit = vs.filter((v) => isNearPair(v.hashes, v.of, rule)).length;
  const content = vs.filter((v) => !flat.has(v.name));
  const contentHit = content.filter((v) => isNearPair(v.hashes, v.of, rule)).length;
  const missed = REPORTED.includes(kind) ? [] : content.filter((v) => !isNearPair(v.hashes, v.of, rule));
  console.log(`  ${kind.padEnd(13)} recall ${((100 * hit) / vs.length).toFixed(1)}% (${hit}/${vs.length}), ${((100 * contentHit) / content.length).toFixed(1)}% without flat photos${REPORTED.includes(kind) ? "   reported only" : ""}${missed.map((v) => `\n    missed ${v.name} ${JSON.stringify(nearDistances(v.hashes, v.of))}`).join("")}`);
}
const falsePairs = distinct.filter((p) => isNearPair(p.ha, p.hb, rule));
console.log(`  false pairs among ${distinct.length} distinct photo pairs: ${falsePairs.length}${falsePairs.map((p) => `\n    ${p.a} ~ ${p.b} ${JSON.stringify(p.d)}`).join("")}`);
