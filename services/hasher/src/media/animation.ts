/**
 * Animated GIF and WebP through sharp: frame count, duration and the frame signature. Their
 * hashes and thumbnail come from frame 0 in the image path, exactly as before animations had
 * more to them. (APNG goes through ffmpeg: libvips reads only its default image.)
 */
import sharp from "sharp";
import { invalid, Reason } from "@booru/runtime";
import { SIGNATURE_FRAMES, formatSignature } from "../signature.js";
import { framePhash, SIGNATURE_SIDE } from "./frames.js";

export interface AnimationFacts {
  frames: number;
  durationMs: number;
  frameRate: number;
}

export interface AnimationLimits {
  maxFrames: number;
  maxDurationMs: number;
  timeoutMs: number;
}

/** Browsers show GIF frames with a delay of 10 ms or less for 100 ms; so does this. */
const GIF_MIN_DELAY = 10;
const GIF_SHORT_DELAY_SHOWN = 100;
/** A frame without a delay is shown this long. */
const DEFAULT_DELAY = 100;

/** How long each frame is shown, in ms. */
export function frameDelays(format: string, pages: number, delay: number[] | undefined): number[] {
  return Array.from({ length: pages }, (_, i) => {
    const d = delay?.[i] ?? DEFAULT_DELAY;
    return format === "gif" && d <= GIF_MIN_DELAY ? GIF_SHORT_DELAY_SHOWN : d > 0 ? d : DEFAULT_DELAY;
  });
}

/** Total duration, frame rate; too-many-frames and too-long checked. */
export function animationFacts(delays: number[], limits: Pick<AnimationLimits, "maxFrames" | "maxDurationMs">): AnimationFacts {
  if (delays.length > limits.maxFrames) throw invalid(Reason.TOO_MANY_FRAMES, `${delays.length} frames is more than the limit of ${limits.maxFrames}`);
  const durationMs = delays.reduce((a, b) => a + b, 0);
  if (durationMs > limits.maxDurationMs) throw invalid(Reason.TOO_LONG, `${durationMs} ms is longer than the limit of ${limits.maxDurationMs} ms`);
  return { frames: delays.length, durationMs, frameRate: durationMs > 0 ? (delays.length * 1000) / durationMs : 0 };
}

/** The index of the frame shown at each of the signature's sample times. */
export function framesAtSampleTimes(delays: number[]): number[] {
  const total = delays.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  let frame = 0;
  let end = delays[0] ?? 0;
  for (let i = 0; i < SIGNATURE_FRAMES; i++) {
    const t = ((i + 0.5) * total) / SIGNATURE_FRAMES;
    while (t >= end && frame < delays.length - 1) end += delays[++frame]!;
    out.push(frame);
  }
  return out;
}

/**
 * The signature of a GIF or WebP animation: every frame decoded once, straight to 32x32 (one
 * pass over the animation as a strip of frames, not one decode per sample, since each frame
 * of a GIF or WebP builds on the ones before it).
 */
export async function sharpAnimationSignature(input: Buffer | string, pages: number, delays: number[], timeoutMs: number): Promise<string> {
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const { data, info } = await sharp(input, { pages: -1, limitInputPixels: false, sequentialRead: true, ignoreIcc: true })
    .timeout({ seconds })
    // sharp resizes each page of a multi-page image: every frame to 32x32.
    .resize(SIGNATURE_SIDE, SIGNATURE_SIDE, { fit: "fill" })
    .toColourspace("srgb")
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  const channels = info.channels;
  if (channels !== 3 && channels !== 4) throw invalid(Reason.CORRUPT, `unexpected ${channels}-channel animation`);
  if (info.height !== SIGNATURE_SIDE * pages) throw invalid(Reason.CORRUPT, `animation decoded to ${info.height / SIGNATURE_SIDE} frames, not ${pages}`);
  const frameBytes = SIGNATURE_SIDE * SIGNATURE_SIDE * channels;
  return formatSignature(framesAtSampleTimes(delays).map((k) => framePhash(data.subarray(k * frameBytes, (k + 1) * frameBytes), channels)));
}
