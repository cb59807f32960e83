/**
 * The suggested keeper of a group: criteria applied in order until one differs. The default
 * order (BOORU_NEAR_KEEPER=pixels,lossless,bytes,earliest): most pixels, then a lossless format
 * over a lossy one, then more bytes, then the earliest ingested; the md5 breaks a last tie so
 * every replica suggests the same image.
 */
import type { catalogV1 } from "@booru/proto";

export const KEEPER_CRITERIA = ["pixels", "lossless", "bytes", "earliest"] as const;
export type KeeperCriterion = (typeof KEEPER_CRITERIA)[number];
export const DEFAULT_KEEPER: KeeperCriterion[] = [...KEEPER_CRITERIA];

/** Formats whose files keep every pixel (WebP and JPEG XL can be either; counted as lossy). */
const LOSSLESS = new Set(["png", "gif", "bmp", "tiff"]);

/** Larger is better for every criterion. */
const SCORE: Record<KeeperCriterion, (i: catalogV1.Image) => number> = {
  pixels: (i) => (i.info?.width ?? 0) * (i.info?.height ?? 0),
  lossless: (i) => (LOSSLESS.has(i.info?.format ?? "") ? 1 : 0),
  bytes: (i) => i.info?.bytes ?? 0,
  earliest: (i) => -i.ingestedUnixMs,
};

/** Negative when `a` is the better keeper. */
export function compareKeepers(a: catalogV1.Image, b: catalogV1.Image, order: readonly KeeperCriterion[] = DEFAULT_KEEPER): number {
  for (const c of order) {
    const d = SCORE[c](b) - SCORE[c](a);
    if (d !== 0) return d;
  }
  return a.md5 < b.md5 ? -1 : a.md5 > b.md5 ? 1 : 0;
}

export function bestKeeper(images: catalogV1.Image[], order: readonly KeeperCriterion[] = DEFAULT_KEEPER): catalogV1.Image | undefined {
  return [...images].sort((a, b) => compareKeepers(a, b, order))[0];
}

/** "pixels,bytes" -> the criteria, or an error naming the bad one. */
export function parseKeeper(text: string): KeeperCriterion[] {
  const out = text.split(",").map((s) => s.trim()).filter(Boolean);
  for (const c of out) if (!(KEEPER_CRITERIA as readonly string[]).includes(c)) throw new Error(`unknown keeper criterion "${c}" (use ${KEEPER_CRITERIA.join(", ")})`);
  if (out.length === 0) throw new Error("the keeper rule needs at least one criterion");
  return out as KeeperCriterion[];
}
