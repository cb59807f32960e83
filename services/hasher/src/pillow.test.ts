import { describe, expect, it } from "vitest";
import { boxReduce, flattenOnWhite, hueSat, luma, opaque, resampleL } from "./pillow.js";

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
