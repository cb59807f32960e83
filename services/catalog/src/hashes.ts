/**
 * Hash values as 32-bit words, and Hamming distance over them. Hex strings come from the hasher
 * in the form imagehash / blockhash print them; any fixed bit order works for distances as long
 * as every value is read the same way.
 */
import { catalogV1, type hasherV1 } from "@booru/proto";
import { parseSignature } from "@booru/hasher/signature";

const HEX = /^[0-9a-f]*$/i;

export type BitHash = "phash64" | "dhash64" | "phash256" | "blockhash256";
/** The hashes compared bit by bit, and the frame signatures of animations and videos. */
export type Algorithm = BitHash | "frames";
export const ALGORITHMS: readonly Algorithm[] = ["phash64", "dhash64", "phash256", "blockhash256", "frames"];

/** Bits per bit-compared hash. */
export const BITS: Record<BitHash, 64 | 256> = { phash64: 64, dhash64: 64, phash256: 256, blockhash256: 256 };

/** The largest distance of each algorithm (a signature's distance is on one phash64's scale). */
export const MAX_DISTANCE: Record<Algorithm, number> = { ...BITS, frames: 64 };

/** The record field each algorithm reads. */
export const FIELD: Record<Algorithm, keyof hasherV1.Hashes> = { phash64: "phash64", dhash64: "dhash64", phash256: "phash256", blockhash256: "blockhash256", frames: "frameSignature" };

/** A stored or queried value as words, or undefined when it is not one of this algorithm. */
export function parseValue(algorithm: Algorithm, hex: string): Uint32Array | undefined {
  return algorithm === "frames" ? parseSignature(hex) : parseHash(hex, BITS[algorithm]);
}

export function algorithmOf(a: catalogV1.SimilarAlgorithm): Algorithm | undefined {
  switch (a) {
    case catalogV1.SimilarAlgorithm.UNSPECIFIED:
    case catalogV1.SimilarAlgorithm.PHASH64:
      return "phash64";
    case catalogV1.SimilarAlgorithm.DHASH64:
      return "dhash64";
    case catalogV1.SimilarAlgorithm.PHASH256:
      return "phash256";
    case catalogV1.SimilarAlgorithm.BLOCKHASH256:
      return "blockhash256";
    case catalogV1.SimilarAlgorithm.FRAMES:
      return "frames";
    default:
      return undefined;
  }
}

/** Words of a hex hash of `bits` bits, or undefined when it is not one. */
export function parseHash(hex: string, bits: 64 | 256): Uint32Array | undefined {
  if (hex.length !== bits / 4 || !HEX.test(hex)) return undefined;
  const words = new Uint32Array(bits / 32);
  for (let i = 0; i < words.length; i++) words[i] = parseInt(hex.slice(i * 8, i * 8 + 8), 16);
  return words;
}

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

export function distance(a: Uint32Array, b: Uint32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += popcount32((a[i]! ^ b[i]!) >>> 0);
  return d;
}
