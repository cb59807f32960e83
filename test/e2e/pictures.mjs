// Pictures for the console's browser tests and screenshots: small landscapes drawn from SVG
// (sky, sun, hills), each seeded so runs repeat, different enough that their pHashes differ.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";

/** A deterministic generator (mulberry32). @param {number} seed */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** @param {number} seed @param {number} width @param {number} height */
export function landscapeSvg(seed, width = 640, height = 480) {
  const r = random(seed);
  const hue = Math.floor(r() * 360);
  const hill = (/** @type {number} */ base, /** @type {string} */ color) => {
    const pts = [`0,${height}`];
    for (let x = 0; x <= width; x += width / 8) pts.push(`${x.toFixed(0)},${(base + (r() - 0.5) * height * 0.35).toFixed(0)}`);
    pts.push(`${width},${height}`);
    return `<polygon points="${pts.join(" ")}" fill="${color}"/>`;
  };
  const sunX = (0.15 + r() * 0.7) * width;
  const sunY = (0.15 + r() * 0.3) * height;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
<defs><linearGradient id="s" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="hsl(${hue},70%,${35 + r() * 25}%)"/><stop offset="1" stop-color="hsl(${(hue + 40) % 360},80%,${70 + r() * 20}%)"/></linearGradient></defs>
<rect width="100%" height="100%" fill="url(#s)"/>
<circle cx="${sunX}" cy="${sunY}" r="${(0.06 + r() * 0.08) * width}" fill="hsl(${(hue + 180) % 360},90%,75%)"/>
${hill(height * 0.55, `hsl(${(hue + 100) % 360},35%,40%)`)}
${hill(height * 0.7, `hsl(${(hue + 120) % 360},40%,28%)`)}
${hill(height * 0.85, `hsl(${(hue + 140) % 360},45%,18%)`)}
</svg>`;
}

/**
 * Writes `count` landscapes as JPEG (and every third as PNG) into `dir`; returns their paths.
 * @param {string} dir @param {number} count @param {{ seed?: number, prefix?: string }} [opts]
 */
export async function writePictures(dir, count, opts = {}) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const seed = (opts.seed ?? 1) + i;
    const png = i % 3 === 2;
    const file = path.join(dir, `${opts.prefix ?? "photo"}-${String(seed).padStart(3, "0")}.${png ? "png" : "jpg"}`);
    const img = sharp(Buffer.from(landscapeSvg(seed)));
    await writeFile(file, png ? await img.png().toBuffer() : await img.jpeg({ quality: 85 }).toBuffer());
    out.push(file);
  }
  return out;
}

/** The same picture re-encoded smaller: a near-duplicate of writePictures' seed. @param {number} seed @param {number} width */
export async function resized(seed, width) {
  return sharp(Buffer.from(landscapeSvg(seed))).resize(width).jpeg({ quality: 70 }).toBuffer();
}
