/**
 * blockhash "bmvbhash" as the C reference (`blockhash -b 16`) computes it, quirks included,
 * so values match other tools exactly: the block geometry and weights in single precision,
 * the quick integer path when the size divides evenly, and the half-block threshold in integer
 * arithmetic. Block sums are accumulated in double precision, as blockhash-core does (its
 * values match the reference's test vectors). Input is RGBA, not premultiplied;
 * fully transparent pixels count as white.
 */

const f32 = Math.fround;

export function blockhash(rgba: Uint8Array, width: number, height: number, bits = 16): string {
  const result = width % bits === 0 && height % bits === 0 ? quick(rgba, width, height, bits) : precise(rgba, width, height, bits);
  return bitsToHex(result);
}

function pixelValue(rgba: Uint8Array, i: number): number {
  return rgba[i + 3] === 0 ? 765 : rgba[i]! + rgba[i + 1]! + rgba[i + 2]!;
}

function quick(rgba: Uint8Array, width: number, height: number, bits: number): number[] {
  const bw = Math.trunc(width / bits);
  const bh = Math.trunc(height / bits);
  const blocks: number[] = [];
  for (let y = 0; y < bits; y++) {
    for (let x = 0; x < bits; x++) {
      let value = 0;
      for (let iy = 0; iy < bh; iy++) {
        for (let ix = 0; ix < bw; ix++) value += pixelValue(rgba, ((y * bh + iy) * width + (x * bw + ix)) * 4);
      }
      blocks.push(value);
    }
  }
  // The int version: median of ints, computed as float.
  return toBits(blocks, bw * bh, (a, b) => f32((a + b) / 2));
}

/** Splits each coordinate between the block it is in and the next one, as the C code does. */
function spans(size: number, blockSize: number): { first: Int32Array; second: Int32Array; w1: Float32Array; w2: Float32Array } {
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

function precise(rgba: Uint8Array, width: number, height: number, bits: number): number[] {
  const bw = f32(width / bits);
  const bh = f32(height / bits);
  const blocks = new Float64Array(bits * bits);
  const row = new Float64Array(bits);
  const ys = spans(height, bh);
  const xs = spans(width, bw);
  for (let y = 0; y < height; y++) {
    // Sum the row into its blocks first, then spread the row over the one or two block rows
    // it touches: the same weights as the reference, two multiplies per pixel instead of four.
    row.fill(0);
    for (let x = 0, i = y * width * 4; x < width; x++, i += 4) {
      const value = rgba[i + 3] === 0 ? 765 : rgba[i]! + rgba[i + 1]! + rgba[i + 2]!;
      row[xs.first[x]!]! += value * xs.w1[x]!;
      row[xs.second[x]!]! += value * xs.w2[x]!;
    }
    const top = ys.first[y]! * bits;
    const bottom = ys.second[y]! * bits;
    const wt = ys.w1[y]!;
    const wb = ys.w2[y]!;
    for (let j = 0; j < bits; j++) {
      blocks[top + j]! += row[j]! * wt;
      blocks[bottom + j]! += row[j]! * wb;
    }
  }
  // C passes the float block area to an int parameter: truncated.
  return toBits(Array.from(blocks), Math.trunc(f32(bw * bh)), (a, b) => (a + b) / 2);
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
