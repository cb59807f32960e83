import { describe, expect, it } from "vitest";
import { MAX_SHIFT, SIGNATURE_FRAMES, formatSignature, parseSignature, signatureDistance } from "./signature.js";

/** 16 random phash64 values from a seed. */
function frames(seed: number): string[] {
  let s = seed * 2654435761;
  const word = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 0).toString(16).padStart(8, "0");
  return Array.from({ length: SIGNATURE_FRAMES }, () => word() + word());
}

const sig = (f: string[]) => parseSignature(formatSignature(f))!;
const flip = (hex: string, bits: number) => (BigInt(`0x${hex}`) ^ ((1n << BigInt(bits)) - 1n)).toString(16).padStart(16, "0");

describe("frame signature distance", () => {
  it("is 0 for the same frames, symmetric, and counts differing bits per frame", () => {
    const a = frames(1);
    expect(signatureDistance(sig(a), sig(a))).toBe(0);
    const b = a.map((h) => flip(h, 6));
    expect(signatureDistance(sig(a), sig(b))).toBe(6);
    expect(signatureDistance(sig(b), sig(a))).toBe(6);
  });

  it("absorbs frames shifted by up to MAX_SHIFT positions (a trimmed copy), and the frames a trim removed", () => {
    const a = frames(2);
    const trimmed = [...a.slice(MAX_SHIFT), ...frames(3).slice(0, MAX_SHIFT)];
    expect(signatureDistance(sig(a), sig(trimmed))).toBe(0);
    const further = [...a.slice(MAX_SHIFT + 2), ...frames(4).slice(0, MAX_SHIFT + 2)];
    expect(signatureDistance(sig(a), sig(further))).toBeGreaterThan(10);
  });

  it("keeps unrelated signatures far apart (random phash64s differ in about half their bits)", () => {
    for (let seed = 10; seed < 20; seed++) expect(signatureDistance(sig(frames(seed)), sig(frames(seed + 100)))).toBeGreaterThan(20);
  });

  it("parses only 16 phash64 values in hex", () => {
    expect(parseSignature("ab".repeat(128))).toHaveLength(32);
    expect(parseSignature("ab".repeat(127))).toBeUndefined();
    expect(parseSignature("zz".repeat(128))).toBeUndefined();
    expect(() => formatSignature(frames(1).slice(1))).toThrow();
  });
});
