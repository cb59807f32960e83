// Thumbnail encoder settings on the working images: CPU per thumbnail (best of a few rounds),
// size, and error against the resized source (mean absolute difference per channel, 0..255).
// EFFORTS=0,1,2 ROUNDS=3 node bench/_hasher-thumbs.mjs [folder]   (WebP, quality 80, 512 px)
import sharp from "sharp";
import { config, decodeLimits, loadPhotos } from "./_hasher-lib.mjs";
import { decode, thumbnail } from "../services/hasher/dist/decode.js";
sharp.concurrency(1);
const photos = loadPhotos(process.argv[2] ?? "bench/photos");
const c = config(1);
const imgs = [];
for (const p of photos) imgs.push(await decode(p.bytes, decodeLimits(c)));
const efforts = (process.env.EFFORTS ?? "0,1,2,3,4").split(",").map(Number);
const rounds = Number(process.env.ROUNDS ?? 3);
// The reference each thumbnail is compared with: the same resize, unencoded.
const refs = [];
for (const img of imgs) {
  const p = sharp(img.pixels, { raw: { width: img.width, height: img.height, channels: img.channels } }).resize({ width: 512, height: 512, fit: "inside", withoutEnlargement: true });
  refs.push(await p.removeAlpha().raw().toBuffer());
}
for (const effort of efforts) {
  let best = Infinity;
  let bytes = 0;
  let err = 0;
  for (let r = 0; r < rounds; r++) {
    bytes = 0;
    err = 0;
    const c = process.cpuUsage();
    const thumbs = [];
    for (const img of imgs) thumbs.push(await thumbnail(img, { maxSide: 512, format: "webp", quality: 80, effort }));
    const u = process.cpuUsage(c);
    best = Math.min(best, (u.user + u.system) / 1000 / imgs.length);
    for (let i = 0; i < imgs.length; i++) {
      bytes += thumbs[i].data.length;
      const back = await sharp(thumbs[i].data).removeAlpha().raw().toBuffer();
      let d = 0;
      for (let j = 0; j < back.length; j++) d += Math.abs(back[j] - refs[i][j]);
      err += d / back.length;
    }
  }
  console.log(`effort ${effort}: cpu ${best.toFixed(2)} ms, ${(bytes / imgs.length / 1024).toFixed(1)} KiB, mean abs error ${(err / imgs.length).toFixed(3)}`);
}
