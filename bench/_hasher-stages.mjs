// Child of bench/hasher.mjs: single-threaded cost of each stage per image, to show where the
// time goes (floor = sharp decode to the working size only).
import sharp from "sharp";
import { config, decodeLimits, floorOne, loadPhotos, thumbSpec } from "./_hasher-lib.mjs";
import { decode, thumbnail } from "../services/hasher/dist/decode.js";
import { computeHashes } from "../services/hasher/dist/compute.js";

sharp.concurrency(1);
const photos = loadPhotos(process.argv[2]);
const c = config(1);
const limits = decodeLimits(c);
const spec = thumbSpec(c);
const t = { floor: 0, decode: 0, hashesJs: 0, thumbnail: 0 };
const timed = async (k, fn) => {
  const s = performance.now();
  const r = await fn();
  t[k] += performance.now() - s;
  return r;
};
for (const p of photos) {
  await timed("floor", () => floorOne(p.bytes));
  const img = await timed("decode", () => decode(p.bytes, limits));
  await timed("hashesJs", () => computeHashes(img));
  await timed("thumbnail", () => thumbnail(img, spec));
}
console.log(Object.entries(t).map(([k, v]) => `${k} ${(v / photos.length).toFixed(1)} ms`).join(", ") + ` (thumbnail effort ${spec.effort})`);
