/**
 * blockhash "bmvbhash" as the C reference (`blockhash -b 16`) computes it, quirks included,
 * so values match other tools exactly: the block geometry and weights in single precision,
 * the quick integer path when the size divides evenly, and the half-block threshold in integer
 * arithmetic. Block sums are accumulated in double precision, as blockhash-core does (its
 * values match the reference's test vectors). Input is RGB or RGBA, not premultiplied;
 * fully transparent pixels count as white.
 */

const f32 = Math.fround;

export function blockhash(data: Uint8Array, width: number, height: number, bits = 16, channels: 3 | 4 = 4): string {
  const result = width % bits === 0 && height % bits === 0 ? quick(data, width, height, bits, channels) : precise(data, width, height, bits, channels);
  return bitsToHex(result);
}

/** The value (r + g + b) of each pixel of `row`, into `out`; a fully transparent RGBA pixel counts as white. */
function rowValues(data: Uint8Array, row: number, width: number, channels: number, out: Int32Array): void {
  let i = row * width * channels;
  if (channels === 3) {
    for (let x = 0; x < width; x++, i += 3) out[x] = data[i]! + data[i + 1]! + data[i + 2]!;
  } else {
    for (let x = 0; x < width; x++, i += 4) out[x] = data[i + 3] === 0 ? 765 : data[i]! + data[i + 1]! + data[i + 2]!;
  }
}

function quick(data: Uint8Array, width: number, height: number, bits: number, channels: number): number[] {
  const bw = width / bits;
  const bh = height / bits;
  // Integer sums: the same values in any order, so one pass along the rows.
  const blocks = new Float64Array(bits * bits);
  for (let y = 0, i = 0; y < height; y++) {
    const top = Math.trunc(y / bh) * bits;
    for (let x = 0; x < bits; x++, i += bw * channels) blocks[top + x]! += spanSum(data, i, bw, channels);
  }
  // The int version: median of ints, computed as float.
  return toBits(Array.from(blocks), bw * bh, (a, b) => f32((a + b) / 2));
}

/** The values of n pixels from byte i on; a fully transparent RGBA pixel counts as white. */
function spanSum(data: Uint8Array, i: number, n: number, channels: number): number {
  let sum = 0;
  if (channels === 3) {
    for (const end = i + n * 3; i < end; i += 3) sum += data[i]! + data[i + 1]! + data[i + 2]!;
  } else {
    for (const end = i + n * 4; i < end; i += 4) sum += data[i + 3] === 0 ? 765 : data[i]! + data[i + 1]! + data[i + 2]!;
  }
  return sum;
}

interface Spans {
  /** The block a coordinate is in, and the one it also counts towards (the same or the next). */
  first: Int32Array;
  second: Int32Array;
  /** Its weights in those two blocks. */
  w1: Float32Array;
  w2: Float32Array;
}

/** Splits each coordinate between the block it is in and the next one, as the C code does. */
function spans(size: number, blockSize: number): Spans {
  const first = new Int32Array(size);
  const second = new Int32Array(size);
  const w1 = new Float32Array(size);
  const w2 = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const mod = f32((i + 1) % blockSize);
    const int = Math.trunc(mod);
    const frac = f32(mod - int);
    w1[i] = f32(1 - frac);
    w2[i] = frac;
    const pos = f32(i / blockSize);
    first[i] = Math.floor(pos);
    second[i] = int > 0 || i + 1 === size ? Math.floor(pos) : Math.ceil(pos);
  }
  return { first, second, w1, w2 };
}

/** Rows summed into their blocks together: four independent chains of additions instead of one. */
const ROWS = 4;

function precise(data: Uint8Array, width: number, height: number, bits: number, channels: number): number[] {
  const bw = f32(width / bits);
  const bh = f32(height / bits);
  const blocks = new Float64Array(bits * bits);
  const ys = spans(height, bh);
  const xs = spans(width, bw);
  const values = new Int32Array(ROWS * width);
  const rows = new Float64Array(ROWS * bits);
  for (let y0 = 0; y0 < height; y0 += ROWS) {
    const n = Math.min(ROWS, height - y0);
    for (let r = 0; r < n; r++) rowValues(data, y0 + r, width, channels, values.subarray(r * width));
    sumRows(values, width, bits, xs, rows);
    // Then spread each row over the one or two block rows it touches: the same weights as the
    // reference, two multiplies per pixel instead of four.
    for (let r = 0; r < n; r++) {
      const y = y0 + r;
      const top = ys.first[y]! * bits;
      const bottom = ys.second[y]! * bits;
      const wt = ys.w1[y]!;
      const wb = ys.w2[y]!;
      for (let j = 0; j < bits; j++) {
        blocks[top + j]! += rows[r * bits + j]! * wt;
        blocks[bottom + j]! += rows[r * bits + j]! * wb;
      }
    }
  }
  // C passes the float block area to an int parameter: truncated.
  return toBits(Array.from(blocks), Math.trunc(f32(bw * bh)), (a, b) => (a + b) / 2);
}

/**
 * Each of ROWS rows of pixel values summed into its `bits` blocks with the x weights. Every
 * block total sees exactly the additions, in exactly the order, of the reference's per-pixel
 * loop (floating point, so the order matters); only where the running totals live differs:
 * in locals for the block being filled. A pixel on a block boundary adds its second weight to
 * the next block before that block's own pixels, so that block starts from the stored total.
 */
function sumRows(values: Int32Array, width: number, bits: number, xs: Spans, rows: Float64Array): void {
  const { first, second, w1, w2 } = xs;
  rows.fill(0);
  let block = 0;
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  for (let x = 0; x < width; x++) {
    const f = first[x]!;
    if (f !== block) {
      rows[block] = a0;
      rows[bits + block] = a1;
      rows[2 * bits + block] = a2;
      rows[3 * bits + block] = a3;
      block = f;
      a0 = rows[f]!;
      a1 = rows[bits + f]!;
      a2 = rows[2 * bits + f]!;
      a3 = rows[3 * bits + f]!;
    }
    const v0 = values[x]!;
    const v1 = values[x + width]!;
    const v2 = values[x + 2 * width]!;
    const v3 = values[x + 3 * width]!;
    const a = w1[x]!;
    a0 += v0 * a;
    a1 += v1 * a;
    a2 += v2 * a;
    a3 += v3 * a;
    const b = w2[x]!;
    const s = second[x]!;
    if (s === f) {
      a0 += v0 * b;
      a1 += v1 * b;
      a2 += v2 * b;
      a3 += v3 * b;
    } else {
      rows[s]! += v0 * b;
      rows[bits + s]! += v1 * b;
      rows[2 * bits + s]! += v2 * b;
      rows[3 * bits + s]! += v3 * b;
    }
  }
  rows[block] = a0;
  rows[bits + block] = a1;
  rows[2 * bits + block] = a2;
  rows[3 * bits + block] = a3;
}

function toBits(blocks: number[], pixelsPerBlock: number, mean2: (a: number, b: number) => number): number[] {
  const half = f32(Math.trunc((pixelsPerBlock * 256 * 3) / 2));
  const band = blocks.length / 4;
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    const slice = blocks.slice(i * band, (i + 1) * band);
    const sorted = [...slice].sort((a, b) => a - b);
    const m = band % 2 === 0 ? mean2(sorted[band / 2 - 1]!, sorted[band / 2]!) : sorted[Math.trunc(band / 2)]!;
    for (const v of slice) out.push(v > m || (Math.abs(Math.trunc(v - m)) < 1 && m > half) ? 1 : 0);
  }
  return out;
}

function bitsToHex(bits: number[]): string {
  let hex = "";
  for (let i = 0; i < bits.length; i += 4) hex += ((bits[i]! << 3) | (bits[i + 1]! << 2) | (bits[i + 2]! << 1) | bits[i + 3]!).toString(16);
  return hex;
}
