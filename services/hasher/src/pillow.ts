/**
 * Ports of the few Pillow 9.4 operations imagehash relies on, integer for integer, so our
 * perceptual hashes land on the same bits as imagehash when they see the same pixels:
 * RGB -> L (ITU-R 601 in 16.16 fixed point), RGB -> HSV, alpha pasted onto white, and the
 * LANCZOS ("ANTIALIAS") resample with 22-bit fixed-point coefficients (Resample.c).
 */

const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);
const CLIP_MAX = 2 ** (PRECISION_BITS + 8);

/** Alpha pasted onto white with Pillow's DIV255 rounding; returns packed RGB (in `out` if given). */
export function flattenOnWhite(rgba: Uint8Array, pixels: number, out: Uint8Array = new Uint8Array(pixels * 3)): Uint8Array {
  for (let i = 0, j = 0; i < pixels; i++, j += 3) {
    const a = rgba[i * 4 + 3]!;
    if (a === 255) {
      out[j] = rgba[i * 4]!;
      out[j + 1] = rgba[i * 4 + 1]!;
      out[j + 2] = rgba[i * 4 + 2]!;
      continue;
    }
    for (let c = 0; c < 3; c++) {
      const tmp = 255 * (255 - a) + rgba[i * 4 + c]! * a + 128;
      out[j + c] = ((tmp >> 8) + tmp) >> 8;
    }
  }
  return out;
}

/** True when every pixel is fully opaque (nothing to flatten). */
export function opaque(rgba: Uint8Array): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}

/** Pillow's RGB -> L: (r*19595 + g*38470 + b*7471 + 0x8000) >> 16, over pixels `stride` bytes apart (into `out` if given). */
export function luma(rgb: Uint8Array, pixels: number, stride = 3, out: Uint8Array = new Uint8Array(pixels)): Uint8Array {
  for (let i = 0, j = 0; i < pixels; i++, j += stride) {
    out[i] = (rgb[j]! * 19595 + rgb[j + 1]! * 38470 + rgb[j + 2]! * 7471 + 0x8000) >>> 16;
  }
  return out;
}

/**
 * Mean of k x k blocks (rounded), dropping the last partial row and column of blocks. A cheap
 * first step before the Lanczos resample of a large image; Pillow's antialiasing filter already
 * averages over many pixels at these scales, so the hash bits barely move.
 */
export function boxReduce(l: Uint8Array, w: number, h: number, k: number): { l: Uint8Array; w: number; h: number } {
  const ow = Math.floor(w / k);
  const oh = Math.floor(h / k);
  const out = new Uint8Array(ow * oh);
  const sums = new Uint32Array(ow);
  const area = k * k;
  for (let oy = 0; oy < oh; oy++) {
    sums.fill(0);
    for (let y = oy * k; y < oy * k + k; y++) {
      const row = y * w;
      for (let ox = 0, x = 0; ox < ow; ox++) {
        let s = 0;
        for (let end = x + k; x < end; x++) s += l[row + x]!;
        sums[ox]! += s;
      }
    }
    for (let ox = 0; ox < ow; ox++) out[oy * ow + ox] = Math.round(sums[ox]! / area);
  }
  return { l: out, w: ow, h: oh };
}

const f32 = Math.fround;

// f32(d / cr) for every difference d and range cr of 8-bit values: the divisions of
// rgb2hsv_row, looked up instead of computed per pixel.
const DIV = new Float32Array(256 * 256);
for (let cr = 1; cr < 256; cr++) for (let d = 0; d <= cr; d++) DIV[cr * 256 + d] = d / cr;
const SAT = new Uint8Array(256 * 256);
for (let max = 1; max < 256; max++) for (let cr = 0; cr <= max; cr++) SAT[max * 256 + cr] = clip8(Math.trunc(f32(cr / max) * 255));

/**
 * Pillow's rgb2hsv_row (single precision, as in Convert.c), hue and saturation packed as
 * hue << 8 | saturation so the hot loop allocates nothing.
 */
export function hueSat(r: number, g: number, b: number): number {
  const maxc = r > g ? (r > b ? r : b) : g > b ? g : b;
  const minc = r < g ? (r < b ? r : b) : g < b ? g : b;
  if (maxc === minc) return 0;
  const cr = maxc - minc;
  const rc = DIV[cr * 256 + maxc - r]!;
  const gc = DIV[cr * 256 + maxc - g]!;
  const bc = DIV[cr * 256 + maxc - b]!;
  let h: number;
  if (r === maxc) h = f32(bc - gc);
  else if (g === maxc) h = f32(f32(2 + rc) - bc);
  else h = f32(f32(4 + gc) - rc);
  // fmod in double, stored back into the float h before scaling, as in C.
  const hd = f32((h / 6 + 1) % 1);
  return (clip8(Math.trunc(hd * 255)) << 8) | SAT[maxc * 256 + cr]!;
}

/**
 * hueSat's hue depends only on which channel is the maximum and how far the other two are
 * below it; 3 x 256 x 256 hues, computed once by hueSat itself, make the per-pixel work a
 * lookup. Index with hueIndex().
 */
let hueTable: Uint8Array | undefined;

export function hueTableOf(): Uint8Array {
  if (hueTable) return hueTable;
  const t = new Uint8Array(3 * 65536);
  for (let d1 = 0; d1 < 256; d1++) {
    for (let d2 = 0; d2 < 256; d2++) {
      const i = d1 * 256 + d2;
      t[i] = hueSat(255, 255 - d1, 255 - d2) >> 8;
      // Red below the maximum (d1 >= 1), as the branch order of hueSat requires.
      if (d1 > 0) t[65536 + i] = hueSat(255 - d1, 255, 255 - d2) >> 8;
      if (d1 > 0 && d2 > 0) t[131072 + i] = hueSat(255 - d1, 255 - d2, 255) >> 8;
    }
  }
  return (hueTable = t);
}

/** Where hueTableOf() holds the hue of (r, g, b), whose largest channel is maxc. */
export function hueIndex(r: number, g: number, b: number, maxc: number): number {
  if (r === maxc) return (maxc - g) * 256 + (maxc - b);
  if (g === maxc) return 65536 + (maxc - r) * 256 + (maxc - b);
  return 131072 + (maxc - r) * 256 + (maxc - g);
}

/** hueSat's saturation from the largest channel and the range. */
export function saturation(maxc: number, range: number): number {
  return SAT[maxc * 256 + range]!;
}

export function clip8(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function lanczos(x: number): number {
  if (x < -3 || x >= 3) return 0;
  return sinc(x) * sinc(x / 3);
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

interface Coeffs {
  ksize: number;
  bounds: Int32Array;
  kk: Int32Array;
}

const coeffCache = new Map<string, Coeffs>();

/** precompute_coeffs + normalize_coeffs_8bpc, cached per (in, out) size pair. */
function coeffs(inSize: number, outSize: number): Coeffs {
  const key = `${inSize}:${outSize}`;
  const hit = coeffCache.get(key);
  if (hit) return hit;
  const scale = inSize / outSize;
  const filterscale = Math.max(1, scale);
  const support = 3 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      k[x] = lanczos((x + xmin - center + 0.5) * ss);
      ww += k[x]!;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x]! / ww : k[x]!;
      kk[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * (1 << PRECISION_BITS)) : Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  const c = { ksize, bounds, kk };
  if (coeffCache.size > 256) coeffCache.clear();
  coeffCache.set(key, c);
  return c;
}

function clipFixed(ss: number): number {
  if (ss >= CLIP_MAX) return 255;
  if (ss <= 0) return 0;
  return ss >> PRECISION_BITS;
}

/**
 * Image.resize((outW, outH), LANCZOS) for an 8-bit single-channel image: horizontal pass first.
 * Sums are int32 as in Resample.c (PRECISION_BITS leaves Pillow two bits of headroom, so
 * `| 0` never wraps); Math.imul and the row blocking below only make V8 faster.
 */
export function resampleL(src: Uint8Array, w: number, h: number, outW: number, outH: number): Uint8Array {
  let img = src;
  if (outW !== w) img = horizontal(img, w, h, outW);
  if (outH !== h) img = vertical(img, outW, h, outH);
  return img === src ? src.slice() : img;
}

function horizontal(src: Uint8Array, w: number, h: number, outW: number): Uint8Array {
  const { ksize, bounds, kk } = coeffs(w, outW);
  const out = new Uint8Array(outW * h);
  let y = 0;
  // Four rows at a time: each coefficient is loaded once for four products.
  for (; y + 3 < h; y += 4) {
    for (let xx = 0; xx < outW; xx++) {
      const start = y * w + bounds[xx * 2]!;
      const end = start + bounds[xx * 2 + 1]!;
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      let s3 = HALF;
      for (let x = start, k = xx * ksize; x < end; x++, k++) {
        const c = kk[k]!;
        s0 = (s0 + Math.imul(src[x]!, c)) | 0;
        s1 = (s1 + Math.imul(src[x + w]!, c)) | 0;
        s2 = (s2 + Math.imul(src[x + 2 * w]!, c)) | 0;
        s3 = (s3 + Math.imul(src[x + 3 * w]!, c)) | 0;
      }
      const o = y * outW + xx;
      out[o] = clipFixed(s0);
      out[o + outW] = clipFixed(s1);
      out[o + 2 * outW] = clipFixed(s2);
      out[o + 3 * outW] = clipFixed(s3);
    }
  }
  for (; y < h; y++) {
    for (let xx = 0; xx < outW; xx++) {
      const start = y * w + bounds[xx * 2]!;
      const end = start + bounds[xx * 2 + 1]!;
      let ss = HALF;
      for (let x = start, k = xx * ksize; x < end; x++, k++) ss = (ss + Math.imul(src[x]!, kk[k]!)) | 0;
      out[y * outW + xx] = clipFixed(ss);
    }
  }
  return out;
}

function vertical(src: Uint8Array, w: number, h: number, outH: number): Uint8Array {
  const { ksize, bounds, kk } = coeffs(h, outH);
  const out = new Uint8Array(w * outH);
  // Whole source rows into one accumulator row: sequential reads instead of column strides.
  const acc = new Int32Array(w);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = bounds[yy * 2]!;
    const ymax = bounds[yy * 2 + 1]!;
    acc.fill(HALF);
    for (let y = 0; y < ymax; y++) {
      const c = kk[yy * ksize + y]!;
      const row = (ymin + y) * w;
      for (let x = 0; x < w; x++) acc[x] = (acc[x]! + Math.imul(src[row + x]!, c)) | 0;
    }
    for (let x = 0; x < w; x++) out[yy * w + x] = clipFixed(acc[x]!);
  }
  return out;
}
