// Shared by bench/hasher.mjs and its child processes: loading photos, the floor and the full path.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { parseConfig } from "@booru/runtime";
import { HashService, hasherSettings } from "../services/hasher/dist/index.js";
import { createHashPool } from "../services/hasher/dist/pool.js";
import { workingSide } from "../services/hasher/dist/decode.js";

export function loadPhotos(dir) {
  const files = readdirSync(dir).filter((f) => /\.(jpe?g|png|webp|gif|avif|tiff?)$/i.test(f)).sort();
  return files.map((f) => ({ name: f, bytes: readFileSync(path.join(dir, f)) })).filter((f) => statSync(path.join(dir, f.name)).isFile());
}

/** The hasher's settings as deployed (defaults, or BOORU_* variables: BOORU_THUMB_EFFORT=0 ...), with `workers` threads. */
export function config(workers) {
  return { ...parseConfig(hasherSettings, new Map()), hasherWorkers: workers };
}

/** The floor: sharp decoding to the same working size as the hasher (same rule), nothing else. */
export async function floorOne(bytes) {
  const { width, height } = await sharp(bytes).metadata();
  const side = workingSide(width, height, 512);
  let p = sharp(bytes, { failOn: "error", ignoreIcc: true, sequentialRead: true }).autoOrient();
  if (side) p = p.resize({ width: side, height: side, fit: "inside" });
  await p.raw().toBuffer();
}

/** What decode() and thumbnail() get from the settings `c`, as the service passes them. */
export const decodeLimits = (c) => ({ maxPixels: c.hasherMaxPixels, timeoutMs: c.hasherTimeout, thumbSide: c.thumbSize });
export const thumbSpec = (c) => ({ maxSide: c.thumbSize, format: c.thumbFormat, quality: c.thumbQuality, effort: c.thumbEffort });

/**
 * The whole service path with `workers` threads; `settings` override the deployed ones, `build`
 * swaps in another build's HashService and createHashPool (bench/_hasher-ab.mjs).
 */
export function makeFull(workers, settings = {}, build = { HashService, createHashPool }) {
  const pool = build.createHashPool(workers);
  const service = new build.HashService({ ...config(workers), ...settings }, pool);
  return {
    one: (bytes) => service.hash(chunked(bytes), { size: bytes.length }),
    close: () => pool.close(),
  };
}

async function* chunked(bytes) {
  for (let i = 0; i < bytes.length; i += 1 << 20) yield bytes.subarray(i, i + (1 << 20));
}

/** Runs fn over items with `concurrency` in flight; returns seconds. */
export async function runAll(items, concurrency, fn) {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
  return (performance.now() - t) / 1000;
}
