/**
 * The JS part of hashing, run in the worker pool: every perceptual hash from one decoded RGB or
 * RGBA image (EXIF orientation already applied, ICC ignored, not flattened).
 */
import { blockhash } from "./blockhash.js";
import { BufferPool } from "./buffers.js";
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

/**
 * The image-sized arrays of a task, kept for the next one (each worker runs one task at a time,
 * synchronously): fresh memory for them cost more than filling it.
 */
const scratch = new BufferPool((n) => new Uint8Array(n));

export interface PixelsTask {
  /** Interleaved RGB or RGBA (not premultiplied). */
  pixels: Uint8Array;
  channels: 3 | 4;
  width: number;
  height: number;
}

export function computeHashes({ pixels: data, channels, width, height }: PixelsTask): PerceptualHashes {
  const pixels = width * height;
  // blockhash reads RGBA as is (transparent = white); imagehash sees the image flattened on white.
  const blockhash256 = blockhash(data, width, height, 16, channels);
  const flat = channels === 3 || opaque(data) ? undefined : scratch.lease(pixels * 3);
  const lumaBuf = scratch.lease(pixels);
  try {
    const [rgb, stride] = flat ? [flattenOnWhite(data, pixels, flat.view), 3] : [data, channels];
    const l = luma(rgb, pixels, stride, lumaBuf.view);
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
  } finally {
    flat?.release();
    lumaBuf.release();
  }
}
