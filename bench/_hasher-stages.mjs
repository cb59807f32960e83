// Child of bench/hasher.mjs: single-threaded cost of each stage per image, to show where the
// time goes (floor = sharp decode to the working size only).
import sharp from "sharp";
import { floorOne, loadPhotos } from "./_hasher-lib.mjs";
import { decode, thumbnail } from "../services/hasher/dist/decode.js";
import { computeHashes } from "../services/hasher/dist/compute.js";

sharp.concurrency(1);
const photos = loadPhotos(process.argv[2]);
const t = { floor: 0, decode: 0, hashesJs: 0, thumbnail: 0 };
const timed = async (k, fn) => {
  const s = performance.now();
  const r = await fn();
  t[k] += performance.now() - s;
  return r;
};
for (const p of photos) {
  await timed("floor", () => floorOne(p.bytes));
  const img = await timed("decode", () => decode(p.bytes, { maxPixels: 1e8, timeoutMs: 60_000, thumbSide: 512 }));
  await timed("hashesJs", () => computeHashes({ rgba: img.rgba, width: img.width, height: img.height }));
  await timed("thumbnail", () => thumbnail(img, { maxSide: 512, format: "webp", quality: 80 }));
}
console.log(Object.entries(t).map(([k, v]) => `${k} ${(v / photos.length).toFixed(1)} ms`).join(", "));
