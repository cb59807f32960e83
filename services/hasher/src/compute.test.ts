import { describe, expect, it } from "vitest";
import { computeHashes } from "./compute.js";

/** Smooth pseudo-random RGB (products of low-frequency waves), so every hash has bits of both kinds. */
function picture(width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      out[i] = 128 + 120 * Math.sin(x / 23 + y / 41);
      out[i + 1] = 128 + 120 * Math.cos(x / 37 - y / 19);
      out[i + 2] = 128 + 120 * Math.sin((x + y) / 29);
    }
  }
  return out;
}

function withAlpha(rgb: Uint8Array, alpha: (i: number) => number): Uint8Array {
  const pixels = rgb.length / 3;
  const out = new Uint8Array(pixels * 4);
  for (let i = 0; i < pixels; i++) {
    out.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
    out[i * 4 + 3] = alpha(i);
  }
  return out;
}

describe("computeHashes", () => {
  // Sizes for both blockhash paths, with and without the box reduction, and colorhash sampling.
  // Largest first: the later cases run with scratch memory left from a larger task.
  it.each([
    [1024, 777],
    [512, 341],
    [300, 200],
  ])("gives an RGB image the hashes of the same image as opaque RGBA (%dx%d)", (width, height) => {
    const rgb = picture(width, height);
    const fromRgb = computeHashes({ pixels: rgb, channels: 3, width, height });
    expect(computeHashes({ pixels: withAlpha(rgb, () => 255), channels: 4, width, height })).toEqual(fromRgb);
  });

  it("sees fully transparent pixels as white in every hash", () => {
    const [width, height] = [64, 48];
    const rgb = picture(width, height);
    const transparentLeft = withAlpha(rgb, (i) => (i % width < 32 ? 0 : 255));
    const whiteLeft = rgb.slice();
    for (let i = 0; i < width * height; i++) if (i % width < 32) whiteLeft.fill(255, i * 3, i * 3 + 3);
    expect(computeHashes({ pixels: transparentLeft, channels: 4, width, height })).toEqual(computeHashes({ pixels: whiteLeft, channels: 3, width, height }));
  });
});
