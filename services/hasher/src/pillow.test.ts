import { describe, expect, it } from "vitest";
import { boxReduce, flattenOnWhite, hueIndex, hueSat, hueTableOf, luma, opaque, resampleL, saturation } from "./pillow.js";

// Resample.c's sinc_filter and lanczos_filter.
const sinc = (x: number) => (x === 0 ? 1 : Math.sin(x * Math.PI) / (x * Math.PI));
const lanczos = (x: number) => (x < -3 || x >= 3 ? 0 : sinc(x) * sinc(x / 3));

/** One pass of Resample.c as written (per output pixel, one line at a time), reading and writing through the callbacks. */
function plainPass(n: number, outN: number, lines: number, get: (line: number, i: number) => number, set: (line: number, o: number, v: number) => void): void {
  const scale = n / outN;
  const fs = Math.max(1, scale);
  for (let o = 0; o < outN; o++) {
    const center = (o + 0.5) * scale;
    const min = Math.max(0, Math.trunc(center - 3 * fs + 0.5));
    const max = Math.min(n, Math.trunc(center + 3 * fs + 0.5));
    const k = Array.from({ length: max - min }, (_, i) => lanczos((i + min - center + 0.5) / fs));
    const sum = k.reduce((x, y) => x + y, 0);
    const kk = k.map((v) => (sum !== 0 ? v / sum : v)).map((v) => (v < 0 ? Math.trunc(-0.5 + v * 2 ** 22) : Math.trunc(0.5 + v * 2 ** 22)));
    for (let line = 0; line < lines; line++) {
      let ss = 2 ** 21;
      for (let i = 0; i < kk.length; i++) ss += get(line, min + i) * kk[i]!;
      set(line, o, ss >= 2 ** 30 ? 255 : ss <= 0 ? 0 : ss >> 22);
    }
  }
}

/** The reference resampleL's faster loops are checked against. */
function plainResample(src: Uint8Array, w: number, h: number, outW: number, outH: number): Uint8Array {
  let img = src;
  if (outW !== w) {
    const out = new Uint8Array(outW * h);
    plainPass(w, outW, h, (y, x) => img[y * w + x]!, (y, x, v) => (out[y * outW + x] = v));
    img = out;
  }
  if (outH !== h) {
    const out = new Uint8Array(outW * outH);
    plainPass(h, outH, outW, (x, y) => img[y * outW + x]!, (x, y, v) => (out[y * outW + x] = v));
    img = out;
  }
  return img;
}

describe("Pillow ports", () => {
  it("converts RGB to L with Pillow's weights", () => {
    const rgb = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 10, 10, 10]);
    // Pillow: Image.new("RGB", (1, 1), c).convert("L") gives 76, 150, 29, 255 and keeps greys.
    expect(Array.from(luma(rgb, 5))).toEqual([76, 150, 29, 255, 10]);
  });

  it("gives Pillow's HSV hue and saturation", () => {
    const hs = (r: number, g: number, b: number) => [hueSat(r, g, b) >> 8, hueSat(r, g, b) & 255];
    expect(hs(255, 0, 0)).toEqual([0, 255]);
    expect(hs(0, 255, 0)).toEqual([85, 255]);
    expect(hs(0, 0, 255)).toEqual([170, 255]);
    expect(hs(128, 128, 128)).toEqual([0, 0]);
    expect(hs(255, 128, 128)).toEqual([0, 127]);
  });

  it("pastes transparent pixels onto white", () => {
    const rgba = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 128, 200, 100, 50, 255]);
    expect(Array.from(flattenOnWhite(rgba, 4))).toEqual([255, 255, 255, 0, 0, 0, 127, 127, 127, 200, 100, 50]);
    expect(opaque(rgba)).toBe(false);
    expect(opaque(Uint8Array.from([1, 2, 3, 255]))).toBe(true);
  });

  it("resamples a flat image to the same value and keeps gradients ordered", () => {
    const flat = new Uint8Array(100 * 60).fill(137);
    expect(new Set(resampleL(flat, 100, 60, 9, 8))).toEqual(new Set([137]));
    const grad = new Uint8Array(200 * 10);
    for (let y = 0; y < 10; y++) for (let x = 0; x < 200; x++) grad[y * 200 + x] = Math.round((x / 199) * 255);
    const row = Array.from(resampleL(grad, 200, 10, 8, 1));
    expect(row).toEqual([...row].sort((a, b) => a - b));
    expect(row[0]).toBeLessThan(30);
    expect(row[7]).toBeGreaterThan(225);
  });

  it("resamples exactly as Resample.c's plain loops, any size and row count", () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 255;
    for (const [w, h, outW, outH] of [[517, 343, 32, 32], [300, 203, 64, 64], [97, 61, 9, 8], [64, 30, 8, 8], [20, 13, 64, 64], [33, 7, 33, 5], [5, 5, 9, 8]] as const) {
      const src = Uint8Array.from({ length: w * h }, (_, i) => (i % 17 < 3 ? rand() : (i * 7) & 255));
      expect(Array.from(resampleL(src, w, h, outW, outH)), `${w}x${h} -> ${outW}x${outH}`).toEqual(Array.from(plainResample(src, w, h, outW, outH)));
    }
  });

  it("looks hues up exactly as hueSat computes them", () => {
    const hues = hueTableOf();
    for (let r = 0; r < 256; r += 3) {
      for (let g = 0; g < 256; g += 5) {
        for (let b = 0; b < 256; b += 1) {
          const maxc = Math.max(r, g, b);
          const expected = hueSat(r, g, b);
          const sat = saturation(maxc, maxc - Math.min(r, g, b));
          if (sat !== (expected & 255) || (sat > 0 && hues[hueIndex(r, g, b, maxc)] !== expected >> 8)) expect([r, g, b, sat]).toEqual(expected);
        }
      }
    }
  });

  it("returns a copy when the size does not change", () => {
    const src = Uint8Array.from([1, 2, 3, 4]);
    const out = resampleL(src, 2, 2, 2, 2);
    expect(Array.from(out)).toEqual([1, 2, 3, 4]);
    expect(out).not.toBe(src);
  });

  it("box-reduces by averaging whole blocks", () => {
    const l = Uint8Array.from([0, 10, 100, 110, 99, 20, 30, 120, 130, 99]);
    // 5x2 with k=2: two 2x2 blocks, the last column dropped.
    expect(boxReduce(l, 5, 2, 2)).toEqual({ l: Uint8Array.from([15, 115]), w: 2, h: 1 });
  });
});
