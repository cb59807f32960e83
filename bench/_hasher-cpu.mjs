// CPU per image of each stage of the hasher, one thread (sharp.concurrency(1), JS hashes on this
// thread), beside the floor and the whole service path (a pool of one worker). Each stage runs
// over every photo, round after round; the best round of each counts, which filters out most of
// the load other processes put on a shared machine. Whatever the stages do not add up to is glue.
// node bench/_hasher-cpu.mjs [folder] [rounds]
import sharp from "sharp";
import { createHash } from "node:crypto";
import { config, decodeLimits, floorOne, loadPhotos, makeFull, thumbSpec } from "./_hasher-lib.mjs";
import { decode, thumbnail } from "../services/hasher/dist/decode.js";
import { computeHashes } from "../services/hasher/dist/compute.js";
import { createHashPool } from "../services/hasher/dist/pool.js";

sharp.concurrency(1);
const photos = loadPhotos(process.argv[2] ?? "bench/photos");
const rounds = Number(process.argv[3] ?? 5);
const c = config(1);
const full = makeFull(1);
const limits = decodeLimits(c);
const spec = thumbSpec(c);
const pool = createHashPool(1);
const imgs = [];
for (const p of photos) imgs.push(await decode(p.bytes, limits));
const stages = {
  floor: (i) => floorOne(photos[i].bytes),
  full: (i) => full.one(photos[i].bytes),
  metadata: (i) => sharp(photos[i].bytes).metadata(),
  decode: (i) => decode(photos[i].bytes, limits),
  digests: (i) => {
    createHash("md5").update(photos[i].bytes).digest();
    createHash("sha256").update(photos[i].bytes).digest();
  },
  hashesJs: (i) => computeHashes(imgs[i]),
  hashesPool: (i) => pool.run({ pixels: imgs[i].pixels, channels: imgs[i].channels, width: imgs[i].width, height: imgs[i].height }),
  thumbnail: (i) => thumbnail(imgs[i], spec),
};
const best = {};
for (let round = 0; round < rounds; round++) {
  for (const [name, fn] of Object.entries(stages)) {
    const start = process.cpuUsage();
    for (let i = 0; i < photos.length; i++) await fn(i);
    const u = process.cpuUsage(start);
    best[name] = Math.min(best[name] ?? Infinity, (u.user + u.system) / 1000 / photos.length);
  }
}
await full.close();
await pool.close();
const glue = best.full - best.decode - best.digests - best.hashesJs - best.thumbnail;
console.log(`CPU ms per image, best of ${rounds} rounds (thumbnail effort ${spec.effort}): ` + Object.entries(best).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", "));
console.log(`glue (full - decode - digests - hashesJs - thumbnail) ${glue.toFixed(2)}; floor/full ${(best.floor / best.full).toFixed(3)}`);
