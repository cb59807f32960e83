import { describe, expect, it } from "vitest";
import { DEFAULT_NEAR_RULE, isFlat, isNearPair } from "./rule.js";

const flipBits = (hex: string, n: number) => {
  let v = BigInt(`0x${hex}`);
  for (let i = 0; i < n; i++) v ^= 1n << BigInt(i * 3);
  return v.toString(16).padStart(16, "0");
};
const photo = { phash64: "c7edb2888e41ccc7", dhash64: "928a424667a1898d" };

describe("the pair rule", () => {
  it("pairs within both thresholds, not beyond either", () => {
    expect(isNearPair(photo, { phash64: flipBits(photo.phash64, 14), dhash64: flipBits(photo.dhash64, 16) }, DEFAULT_NEAR_RULE)).toBe(true);
    expect(isNearPair(photo, { phash64: flipBits(photo.phash64, 15), dhash64: photo.dhash64 }, DEFAULT_NEAR_RULE)).toBe(false);
    expect(isNearPair(photo, { phash64: photo.phash64, dhash64: flipBits(photo.dhash64, 17) }, DEFAULT_NEAR_RULE)).toBe(false);
  });

  it("never pairs a flat image by its hashes (distinct flat images share them)", () => {
    const flat = { phash64: "9768209760d79797", dhash64: "0000000000000000" };
    expect(isFlat(flat)).toBe(true);
    expect(isFlat({ dhash64: "fffffffffffffffd" })).toBe(true);
    expect(isFlat(photo)).toBe(false);
    expect(isNearPair(flat, { ...flat }, DEFAULT_NEAR_RULE)).toBe(false);
  });

  it("compares two animations or videos by frame signature", () => {
    const sig = photo.phash64.repeat(16);
    const other = flipBits(photo.phash64, 20).repeat(16);
    const flat = { phash64: "9768209760d79797", dhash64: "0000000000000000" };
    expect(isNearPair({ ...flat, frameSignature: sig }, { ...flat, frameSignature: sig }, DEFAULT_NEAR_RULE)).toBe(true);
    expect(isNearPair({ ...photo, frameSignature: sig }, { ...photo, frameSignature: other }, DEFAULT_NEAR_RULE)).toBe(false);
  });
});
