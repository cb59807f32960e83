/**
 * The JS part of hashing, run in the worker pool: every perceptual hash from one decoded RGBA
 * image (EXIF orientation already applied, ICC ignored, not flattened).
 */
import { blockhash } from "./blockhash.js";
import { ahash, colorhash, dhash, phash, type PerceptualHashes } from "./imagehash.js";
import { boxReduce, flattenOnWhite, luma, opaque } from "./pillow.js";

/**
 * Images whose shorter side is at least twice this are box-reduced before the Pillow resample
 * (which then sees >= this many pixels on the short side). Smaller images, such as the
 * conformance set, go through Pillow's exact arithmetic untouched.
 */
export const RESAMPLE_MIN_SIDE = 256;
/** Colorhash samples every other pixel above this many pixels. */
export const COLOR_SAMPLE_ABOVE = 1 << 19;

export interface PixelsTask {
  rgba: Uint8Array;
  width: number;
  height: number;
}

export function computeHashes({ rgba, width, height }: PixelsTask): PerceptualHashes {
  const pixels = width * height;
  // blockhash reads RGBA as is (transparent = white); imagehash sees the image flattened on white.
  const blockhash256 = blockhash(rgba, width, height, 16);
  const [rgb, stride] = opaque(rgba) ? [rgba, 4] : [flattenOnWhite(rgba, pixels), 3];
  const l = luma(rgb, pixels, stride);
  const k = Math.max(1, Math.floor(Math.min(width, height) / RESAMPLE_MIN_SIDE));
  const small = k > 1 ? boxReduce(l, width, height, k) : { l, w: width, h: height };
  return {
    phash64: phash(small.l, small.w, small.h, 8),
    phash256: phash(small.l, small.w, small.h, 16),
    dhash64: dhash(small.l, small.w, small.h),
    ahash64: ahash(small.l, small.w, small.h),
    blockhash256,
    colorhash42: colorhash(rgb, l, pixels, stride, pixels > COLOR_SAMPLE_ABOVE ? 2 : 1),
  };
}
