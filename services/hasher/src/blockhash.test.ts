import { describe, expect, it } from "vitest";
import { bmvbhash } from "blockhash-core";
import { blockhash } from "./blockhash.js";

/** Deterministic pseudo-random RGBA with some fully transparent pixels. */
function noise(width: number, height: number, seed: number): Uint8Array {
  const out = new Uint8Array(width * height * 4);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = (s >>> 16) & 255;
  }
  for (let i = 3; i < out.length; i += 4 * 7) out[i] = 0;
  return out;
}

describe("blockhash", () => {
  // blockhash-core reproduces the C reference's test vectors; ours must agree with it everywhere.
  it.each([
    [64, 64],
    [643, 488],
    [500, 500],
    [17, 33],
    [256, 100],
    [1024, 768],
  ])("agrees with blockhash-core on %dx%d", (w, h) => {
    const data = noise(w, h, w * 31 + h);
    expect(blockhash(data, w, h)).toBe(bmvbhash({ data, width: w, height: h }, 16));
  });

  it.each([
    [64, 48],
    [643, 488],
  ])("reads RGB as RGBA with opaque alpha on %dx%d", (w, h) => {
    const rgba = noise(w, h, 5);
    const rgb = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) {
      rgba[i * 4 + 3] = 255;
      rgb.set(rgba.subarray(i * 4, i * 4 + 3), i * 3);
    }
    expect(blockhash(rgb, w, h, 16, 3)).toBe(blockhash(rgba, w, h, 16, 4));
  });

  /** 32x32, black on the left half, `right` on the right half. */
  function split(right: number[]): Uint8Array {
    const data = new Uint8Array(32 * 32 * 4);
    for (let i = 0; i < 32 * 32; i++) data.set(i % 32 >= 16 ? right : [0, 0, 0, 255], i * 4);
    return data;
  }

  it("marks the brighter half of a split image", () => {
    // Each row of 16 blocks: 8 dark then 8 bright -> 00ff per row.
    expect(blockhash(split([255, 255, 255, 255]), 32, 32)).toBe("00ff".repeat(16));
  });

  it("counts transparent pixels as white", () => {
    expect(blockhash(split([0, 0, 0, 0]), 32, 32)).toBe("00ff".repeat(16));
  });
});
