import { describe, expect, it } from "vitest";
import { ahash, bitsToHex, colorhash, dhash, hamming, phash } from "./imagehash.js";

function image(w: number, h: number, f: (x: number, y: number) => number): Uint8Array {
  const l = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) l[y * w + x] = f(x, y);
  return l;
}

describe("imagehash definitions", () => {
  it("prints bits as imagehash does, zero-padded on the left", () => {
    expect(bitsToHex([true, false, false, false, false, false, false, true])).toBe("81");
    // 42 bits -> 11 hex digits, the first holding the top two bits.
    expect(bitsToHex([true, true, ...new Array<boolean>(40).fill(false)])).toBe("30000000000");
  });

  it("dhash sets every bit when brightness rises to the right", () => {
    expect(dhash(image(90, 80, (x) => x * 2), 90, 80)).toBe("ffffffffffffffff");
    expect(dhash(image(90, 80, (x) => 255 - x * 2), 90, 80)).toBe("0000000000000000");
  });

  it("ahash marks the bright half", () => {
    expect(ahash(image(64, 64, (_x, y) => (y < 32 ? 250 : 5)), 64, 64)).toBe("ffffffff00000000");
  });

  it("phash is stable under a brightness shift and differs between images", () => {
    // Values 0..199 shifted up by 40: every pixel brighter, none clipped at 255.
    const a = image(128, 128, (x, y) => (x * 3 + y * y) % 200);
    const b = image(128, 128, (x, y) => ((x * 3 + y * y) % 200) + 40);
    const c = image(128, 128, (x, y) => ((x ^ y) * 7) % 256);
    expect(b.every((v, i) => v === a[i]! + 40)).toBe(true);
    // A shift only moves the DC term; coefficients that are 0 in exact arithmetic may flip on
    // rounding noise (measured: 2 bits), so "stable" is a few bits, against about half the bits
    // for another image.
    expect(hamming(phash(a, 128, 128, 16), phash(b, 128, 128, 16))).toBeLessThanOrEqual(4);
    expect(hamming(phash(a, 128, 128, 8), phash(b, 128, 128, 8))).toBeLessThanOrEqual(2);
    expect(hamming(phash(a, 128, 128, 16), phash(c, 128, 128, 16))).toBeGreaterThan(64);
    expect(hamming(phash(a, 128, 128, 8), phash(c, 128, 128, 8))).toBeGreaterThan(16);
    expect(phash(a, 128, 128, 8)).toHaveLength(16);
    expect(phash(a, 128, 128, 16)).toHaveLength(64);
  });

  it("colorhash puts a black image in the black bin and pure red in a bright-colour bin", () => {
    const n = 16;
    const black = colorhash(new Uint8Array(n * 3), new Uint8Array(n), n);
    // black fraction 1 -> value 7 -> bits 111, every other value 0.
    expect(black).toBe(bitsToHex([true, true, true, ...new Array<boolean>(39).fill(false)]));
    const red = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) red[i * 3] = 255;
    const l = new Uint8Array(n).fill(76);
    // values: black 0, gray 0, 6 faint 0, bright hue bin 0 = 7, rest 0.
    const bits = new Array<boolean>(42).fill(false);
    bits.splice(8 * 3, 3, true, true, true);
    expect(colorhash(red, l, n)).toBe(bitsToHex(bits));
  });
});
