/**
 * imagehash 4.3 definitions (phash, dhash, average_hash, colorhash) over Pillow-exact inputs.
 * Hex strings are printed as imagehash prints them: the bits row-major as one big number,
 * zero-padded to ceil(bits / 4) hex digits.
 */
import type { hasherV1 } from "@booru/proto";
import { hueIndex, hueTableOf, resampleL, saturation } from "./pillow.js";

export function bitsToHex(bits: ArrayLike<boolean>): string {
  let hex = "";
  const pad = (4 - (bits.length % 4)) % 4;
  let nibble = 0;
  let n = pad;
  for (let i = 0; i < bits.length; i++) {
    nibble = (nibble << 1) | (bits[i] ? 1 : 0);
    if (++n === 4) {
      hex += nibble.toString(16);
      nibble = 0;
      n = 0;
    }
  }
  return hex;
}

function median(values: ArrayLike<number>): number {
  const s = Float64Array.from(values).sort();
  const mid = s.length >> 1;
  return s.length % 2 === 0 ? (s[mid - 1]! + s[mid]!) / 2 : s[mid]!;
}

const cosCache = new Map<string, Float64Array>();

/** cos(pi k (2n+1) / 2N) for k < keep, n < size. */
function cosTable(size: number, keep: number): Float64Array {
  const key = `${size}:${keep}`;
  let t = cosCache.get(key);
  if (!t) {
    t = new Float64Array(size * keep);
    for (let k = 0; k < keep; k++) for (let n = 0; n < size; n++) t[k * size + n] = Math.cos((Math.PI * k * (2 * n + 1)) / (2 * size));
    cosCache.set(key, t);
  }
  return t;
}

/**
 * The top-left keep x keep block of scipy.fftpack's dct(dct(x, axis=0), axis=1) (type II,
 * unnormalised; the factor 2 per axis does not change which side of the median a value is on).
 */
function lowDct(pixels: Uint8Array, size: number, keep: number): Float64Array {
  const c = cosTable(size, keep);
  const cols = new Float64Array(keep * size); // dct along axis 0, rows k < keep
  for (let k = 0; k < keep; k++) {
    for (let j = 0; j < size; j++) {
      let s = 0;
      for (let n = 0; n < size; n++) s += pixels[n * size + j]! * c[k * size + n]!;
      cols[k * size + j] = 2 * s;
    }
  }
  const out = new Float64Array(keep * keep);
  for (let k = 0; k < keep; k++) {
    for (let l = 0; l < keep; l++) {
      let s = 0;
      for (let m = 0; m < size; m++) s += cols[k * size + m]! * c[l * size + m]!;
      out[k * keep + l] = 2 * s;
    }
  }
  return out;
}

/** imagehash.phash(image, hash_size) from the image's L channel. */
export function phash(l: Uint8Array, w: number, h: number, hashSize: number): string {
  const size = hashSize * 4;
  const small = resampleL(l, w, h, size, size);
  const low = lowDct(small, size, hashSize);
  const med = median(low);
  return bitsToHex(Array.from(low, (v) => v > med));
}

/** imagehash.dhash(image, 8): 9x8, bit = right pixel brighter than left. */
export function dhash(l: Uint8Array, w: number, h: number, hashSize = 8): string {
  const small = resampleL(l, w, h, hashSize + 1, hashSize);
  const bits: boolean[] = [];
  for (let y = 0; y < hashSize; y++) for (let x = 0; x < hashSize; x++) bits.push(small[y * (hashSize + 1) + x + 1]! > small[y * (hashSize + 1) + x]!);
  return bitsToHex(bits);
}

/** imagehash.average_hash(image, 8). */
export function ahash(l: Uint8Array, w: number, h: number, hashSize = 8): string {
  const small = resampleL(l, w, h, hashSize, hashSize);
  let sum = 0;
  for (const v of small) sum += v;
  const mean = sum / small.length;
  return bitsToHex(Array.from(small, (v) => v > mean));
}

/**
 * imagehash.colorhash(image, binbits=3) over RGB pixels `stride` bytes apart and their L values.
 * `step` > 1 samples every step-th pixel: the hash is made of fractions quantised to 3 bits,
 * which a regular sample of a large image reproduces.
 */
export function colorhash(rgb: Uint8Array, l: Uint8Array, pixels: number, stride = 3, step = 1, binbits = 3): string {
  const classes = saturationClasses();
  const bins = hueBins();
  // counts[cls * 6 + hue bin] for the saturation classes below; BLACK on its own.
  const counts = new Int32Array(BLACK + 1);
  for (let i = 0, j = 0; i < pixels; i += step, j += step * stride) {
    if (l[i]! < 32) {
      counts[BLACK]!++;
      continue;
    }
    const r = rgb[j]!;
    const g = rgb[j + 1]!;
    const b = rgb[j + 2]!;
    const maxc = r > g ? (r > b ? r : b) : g > b ? g : b;
    const minc = r < g ? (r < b ? r : b) : g < b ? g : b;
    const cls = classes[maxc * 256 + maxc - minc]!;
    if (cls === GREY) counts[GREY]!++;
    else counts[cls * 6 + bins[hueIndex(r, g, b, maxc)]!]!++;
  }
  const seen = Math.ceil(pixels / step);
  const sum = (from: number, to: number) => counts.subarray(from, to).reduce((a, v) => a + v, 0);
  const max = 2 ** binbits;
  const c = Math.max(1, sum(6, 24));
  const values = [Math.min(max - 1, Math.trunc((counts[BLACK]! / seen) * max)), Math.min(max - 1, Math.trunc((counts[GREY]! / seen) * max))];
  for (const count of [...counts.subarray(6, 12), ...counts.subarray(18, 24)]) values.push(Math.min(max - 1, Math.trunc((count * max * 1.0) / c)));
  const bits: boolean[] = [];
  // imagehash's own (non-binary) encoding of each value, kept as is for comparable values.
  for (const v of values) for (let i = 0; i < binbits; i++) bits.push(Math.trunc(v / 2 ** (binbits - i - 1)) % 2 ** (binbits - i) > 0);
  return bitsToHex(bits);
}

// colorhash's saturation classes: grey (< 85), faint (< 170), exactly 170 (a colour that
// imagehash counts in neither histogram) and bright.
const GREY = 0;
const BLACK = 24;

let classTable: Uint8Array | undefined;

/** The saturation class of every (largest channel, range) pair, from Pillow's saturation. */
function saturationClasses(): Uint8Array {
  if (classTable) return classTable;
  const t = new Uint8Array(256 * 256);
  for (let maxc = 1; maxc < 256; maxc++) {
    for (let range = 0; range <= maxc; range++) {
      const s = saturation(maxc, range);
      t[maxc * 256 + range] = s < 85 ? GREY : s < 170 ? 1 : s === 170 ? 2 : 3;
    }
  }
  return (classTable = t);
}

let binTable: Uint8Array | undefined;

/** hueTableOf() with each hue replaced by its histogram bin: numpy.histogram over linspace(0, 255, 7), the last bin including 255. */
function hueBins(): Uint8Array {
  binTable ??= hueTableOf().map((hue) => (hue === 255 ? 5 : Math.floor(hue / 42.5)));
  return binTable;
}

export type PerceptualHashes = Pick<hasherV1.Hashes, "phash64" | "phash256" | "dhash64" | "ahash64" | "blockhash256" | "colorhash42">;


/** Bits that differ between two hex hashes of the same length. */
export function hamming(a: string, b: string): number {
  if (a.length !== b.length) throw new Error(`hash lengths differ: ${a.length} vs ${b.length}`);
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    let x = parseInt(a[i]!, 16) ^ parseInt(b[i]!, 16);
    for (; x; x &= x - 1) d++;
  }
  return d;
}
