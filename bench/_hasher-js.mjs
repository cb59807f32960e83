// CPU of the JS hashing alone (computeHashes on this thread) over the working images of the
// photos, best and median of a few rounds, and a digest of all the results: a change that must
// leave the hashes bit-identical must leave the digest as it was.
// node bench/_hasher-js.mjs [folder] [rounds]
import sharp from "sharp";
import { createHash } from "node:crypto";
import { config, decodeLimits, loadPhotos } from "./_hasher-lib.mjs";
import { decode } from "../services/hasher/dist/decode.js";
import { computeHashes } from "../services/hasher/dist/compute.js";

sharp.concurrency(1);
const photos = loadPhotos(process.argv[2] ?? "bench/photos");
const rounds = Number(process.argv[3] ?? 12);
const c = config(1);
const imgs = [];
for (const p of photos) imgs.push(await decode(p.bytes, decodeLimits(c)));
let results = "";
const times = [];
for (let r = 0; r < rounds; r++) {
  const start = process.cpuUsage();
  const out = imgs.map((img) => computeHashes(img));
  const u = process.cpuUsage(start);
  times.push((u.user + u.system) / 1000 / imgs.length);
  results = JSON.stringify(out);
}
// The first rounds include compilation.
const sorted = times.slice(2).sort((a, b) => a - b);
console.log(`hashesJs CPU per image: best ${sorted[0].toFixed(2)} ms, median ${sorted[sorted.length >> 1].toFixed(2)} ms; results digest ${createHash("md5").update(results).digest("hex").slice(0, 12)}`);
