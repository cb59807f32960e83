/**
 * When two images are near-duplicates: phash64 (low frequencies: resizes, re-encodes, light
 * crops) and dhash64 (gradients: vetoes distinct pictures whose low frequencies happen to agree)
 * both within their thresholds; for two animations or videos, their frame signatures within
 * theirs. (blockhash256 as an alternative to phash64 added almost nothing in the benchmark, and
 * it has no sub-linear index.) An image whose dhash64 has almost every bit equal is flat once
 * flattened (a transparent PNG on white, a smooth gradient): its hashes say nothing about its
 * content, distinct flat images share them, so it is never paired by hashes.
 * Thresholds come from `npm run bench -- near` (see docs/near-duplicates.md).
 */
import type { hasherV1 } from "@booru/proto";
import { signatureDistance } from "@booru/hasher/signature";
import { ALGORITHMS, distance, FIELD, parseValue, popcount32, type Algorithm } from "../hashes.js";

export interface NearRule {
  /** Largest phash64 distance of a pair (inclusive). */
  phash64: number;
  /** Largest dhash64 distance of a pair (inclusive). */
  dhash64: number;
  /** Largest frame-signature distance of two animations or videos. */
  frames: number;
}

export const DEFAULT_NEAR_RULE: NearRule = { phash64: 14, dhash64: 16, frames: 8 };

/** Bits of dhash64 that must differ from all-0 and all-1 for an image to have content to compare. */
const FLAT_BITS = 3;

type HashFields = Partial<Pick<hasherV1.Hashes, "phash64" | "dhash64" | "phash256" | "blockhash256" | "frameSignature">>;

/** The values a rule compares, as words: from a record (`wordsOf`) or from the similarity index. */
export type RuleValues = Partial<Record<Algorithm, Uint32Array>>;

/** A record's hashes as words, for the algorithms it has. */
export function wordsOf(h: HashFields | undefined): RuleValues {
  const out: RuleValues = {};
  for (const algo of ALGORITHMS) {
    const hex = h?.[FIELD[algo] as keyof HashFields];
    const v = hex ? parseValue(algo, hex) : undefined;
    if (v) out[algo] = v;
  }
  return out;
}

/** Distances between two images' hashes, for the algorithms both have. */
export function nearDistances(a: HashFields | undefined, b: HashFields | undefined): Partial<Record<Algorithm, number>> {
  return valueDistances(wordsOf(a), wordsOf(b));
}

export function isNearPair(a: HashFields | undefined, b: HashFields | undefined, rule: NearRule): boolean {
  return isNear(wordsOf(a), wordsOf(b), rule);
}

/** True when the image's dhash64 shows (almost) no gradient: nothing to compare by hashes. */
export function isFlat(h: HashFields | undefined): boolean {
  return isFlatValue(wordsOf(h));
}

function valueDistances(a: RuleValues, b: RuleValues): Partial<Record<Algorithm, number>> {
  const out: Partial<Record<Algorithm, number>> = {};
  for (const algo of ALGORITHMS) {
    const x = a[algo];
    const y = b[algo];
    if (x && y) out[algo] = algo === "frames" ? signatureDistance(x, y) : distance(x, y);
  }
  return out;
}

/** The rule over values as words: what ingest, rescan and the benchmark all decide with. */
export function isNear(a: RuleValues, b: RuleValues, rule: NearRule): boolean {
  if (a.frames && b.frames) return signatureDistance(a.frames, b.frames) <= rule.frames;
  if (isFlatValue(a) || isFlatValue(b) || !a.phash64 || !b.phash64 || !a.dhash64 || !b.dhash64) return false;
  return distance(a.phash64, b.phash64) <= rule.phash64 && distance(a.dhash64, b.dhash64) <= rule.dhash64;
}

function isFlatValue(v: RuleValues): boolean {
  const words = v.dhash64;
  if (!words) return true;
  const ones = popcount32(words[0]!) + popcount32(words[1]!);
  return ones < FLAT_BITS || ones > 64 - FLAT_BITS;
}
