/**
 * When two images are near-duplicates: dhash64 (gradients) within its threshold, and phash64
 * (low frequencies: resizes, re-encodes) or blockhash256 (block means: crops and borders, and the
 * flat graphics where phash is unstable) within theirs; for two animations or videos, their
 * frame signatures within theirs.
 * Thresholds come from `npm run bench -- near` (see docs/near-duplicates.md).
 */
import type { hasherV1 } from "@booru/proto";
import { signatureDistance } from "@booru/hasher/signature";
import { distance, parseValue, type Algorithm } from "../hashes.js";

export interface NearRule {
  /** Largest phash64 distance of a pair (inclusive). */
  phash64: number;
  /** Largest dhash64 distance of a pair (inclusive). */
  dhash64: number;
  /** Largest blockhash256 distance, the alternative to phash64. */
  blockhash256: number;
  /** Largest frame-signature distance of two animations or videos. */
  frames: number;
}

export const DEFAULT_NEAR_RULE: NearRule = { phash64: 12, dhash64: 14, blockhash256: 40, frames: 8 };

type HashFields = Pick<hasherV1.Hashes, "phash64" | "dhash64" | "phash256" | "blockhash256" | "frameSignature">;

/** Distances between two images' hashes, for the algorithms both have. */
export function nearDistances(a: HashFields | undefined, b: HashFields | undefined): Partial<Record<Algorithm, number>> {
  const out: Partial<Record<Algorithm, number>> = {};
  for (const [algo, field] of [["phash64", "phash64"], ["dhash64", "dhash64"], ["phash256", "phash256"], ["blockhash256", "blockhash256"], ["frames", "frameSignature"]] as const) {
    const x = a?.[field] ? parseValue(algo, a[field]) : undefined;
    const y = b?.[field] ? parseValue(algo, b[field]) : undefined;
    if (x && y) out[algo] = algo === "frames" ? signatureDistance(x, y) : distance(x, y);
  }
  return out;
}

export function isNearPair(a: HashFields | undefined, b: HashFields | undefined, rule: NearRule): boolean {
  return withinRule(nearDistances(a, b), rule);
}

export function withinRule(d: Partial<Record<Algorithm, number>>, rule: NearRule): boolean {
  if (d.frames !== undefined) return d.frames <= rule.frames;
  if (d.dhash64 === undefined || d.dhash64 > rule.dhash64) return false;
  return (d.phash64 !== undefined && d.phash64 <= rule.phash64) || (d.blockhash256 !== undefined && d.blockhash256 <= rule.blockhash256);
}
