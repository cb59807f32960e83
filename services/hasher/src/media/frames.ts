/**
 * Frames of animations and videos: the signature (see ../signature.ts) and the representative
 * frame a video's hashes and thumbnail come from.
 */
import sharp from "sharp";
import { phash } from "../imagehash.js";
import { flattenOnWhite, luma } from "../pillow.js";
import { formatSignature } from "../signature.js";

/** Decoded pixels: interleaved RGB or RGBA (not premultiplied), 8 bits. */
export interface RawImage {
  pixels: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

/** The side frames are reduced to before their phash (the size phash itself resamples to). */
export const SIGNATURE_SIDE = 32;

/** phash64 of a 32x32 RGB or RGBA frame (flattened onto white, ITU-R 601 luma). */
export function framePhash(pixels: Uint8Array, channels: 3 | 4): string {
  const n = SIGNATURE_SIDE * SIGNATURE_SIDE;
  const rgb = channels === 4 ? flattenOnWhite(pixels, n) : pixels;
  return phash(luma(rgb, n, 3), SIGNATURE_SIDE, SIGNATURE_SIDE, 8);
}

/** A frame reduced to 32x32 (aspect ignored), as the signature reads it. */
export async function signatureFrame(img: RawImage): Promise<Buffer> {
  return sharp(img.pixels, { raw: { width: img.width, height: img.height, channels: img.channels } })
    .resize(SIGNATURE_SIDE, SIGNATURE_SIDE, { fit: "fill" })
    .raw()
    .toBuffer();
}

/** The signature of the frames at the sample times, at any size. */
export async function signatureOf(frames: RawImage[]): Promise<string> {
  const hashes: string[] = [];
  for (const f of frames) hashes.push(framePhash(await signatureFrame(f), f.channels));
  return formatSignature(hashes);
}

/** Mean ITU-R 601 luma (0..255) of a frame, every 4th pixel. */
export function meanLuma(img: RawImage): number {
  const { pixels, channels } = img;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < pixels.length; i += channels * 4) {
    sum += pixels[i]! * 0.299 + pixels[i + 1]! * 0.587 + pixels[i + 2]! * 0.114;
    n++;
  }
  return n ? sum / n : 0;
}

/** Below this mean luma a frame is near-black: a fade, a title card's background. */
export const NEAR_BLACK = 24;
/** The representative frame is at or after this fraction of the duration. */
export const REPRESENTATIVE_FROM = 0.1;

/**
 * A video's representative frame among the frames at the sample times: the first at or after
 * 10% of the duration that is not near-black (the opening is often black or a logo), else the
 * brightest. A time, not a keyframe: a re-encoded copy picks the same moment, so its hashes
 * match the original's.
 */
export function representative(frames: RawImage[]): RawImage {
  const first = Math.ceil(REPRESENTATIVE_FROM * frames.length - 0.5);
  const lumas = frames.map(meanLuma);
  for (let i = first; i < frames.length; i++) if (lumas[i]! >= NEAR_BLACK) return frames[i]!;
  let best = 0;
  for (let i = 1; i < frames.length; i++) if (lumas[i]! > lumas[best]!) best = i;
  return frames[best]!;
}
