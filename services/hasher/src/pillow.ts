/**
 * Ports of the few Pillow 9.4 operations imagehash relies on, integer for integer, so our
 * perceptual hashes land on the same bits as imagehash when they see the same pixels:
 * RGB -> L (ITU-R 601 in 16.16 fixed point), RGB -> HSV, alpha pasted onto white, and the
 * LANCZOS ("ANTIALIAS") resample with 22-bit fixed-point coefficients (Resample.c).
 */

const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);
const CLIP_MAX = 2 ** (PRECISION_BITS + 8);

/** Alpha pasted onto white with Pillow's DIV255 rounding; returns packed RGB. */
export function flattenOnWhite(rgba: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
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

/** Pillow's RGB -> L: (r*19595 + g*38470 + b*7471 + 0x8000) >> 16, over pixels `stride` bytes apart. */
export function luma(rgb: Uint8Array, pixels: number, stride = 3): Uint8Array {
  const out = new Uint8Array(pixels);
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

/** Image.resize((outW, outH), LANCZOS) for an 8-bit single-channel image: horizontal pass first. */
export function resampleL(src: Uint8Array, w: number, h: number, outW: number, outH: number): Uint8Array {
  let img = src;
  let cur = { w, h };
  if (outW !== w) {
    const { ksize, bounds, kk } = coeffs(w, outW);
    const out = new Uint8Array(outW * h);
    for (let y = 0; y < h; y++) {
      const row = y * w;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = bounds[xx * 2]!;
        const xmax = bounds[xx * 2 + 1]!;
        const base = xx * ksize;
        let ss = HALF;
        for (let x = 0; x < xmax; x++) ss += img[row + xmin + x]! * kk[base + x]!;
        out[y * outW + xx] = clipFixed(ss);
      }
    }
    img = out;
    cur = { w: outW, h };
  }
  if (outH !== h) {
    const { ksize, bounds, kk } = coeffs(h, outH);
    const out = new Uint8Array(cur.w * outH);
    for (let yy = 0; yy < outH; yy++) {
      const ymin = bounds[yy * 2]!;
      const ymax = bounds[yy * 2 + 1]!;
      const base = yy * ksize;
      for (let xx = 0; xx < cur.w; xx++) {
        let ss = HALF;
        for (let y = 0; y < ymax; y++) ss += img[(ymin + y) * cur.w + xx]! * kk[base + y]!;
        out[yy * cur.w + xx] = clipFixed(ss);
      }
    }
    img = out;
  }
  return img === src ? src.slice() : img;
}
