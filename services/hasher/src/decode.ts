/**
 * The one decode: sharp reads the header, checks limits, then decodes once to a working
 * image (EXIF orientation applied, frame 0, ICC ignored, shrink-on-load where the format has
 * it) that every hash and the thumbnail are made from.
 */
import sharp, { type Metadata, type Sharp } from "sharp";
import { status } from "@grpc/grpc-js";
import { AppError, invalid, Reason } from "@booru/runtime";
import type { hasherV1 } from "@booru/proto";

/**
 * Called when the hasher starts serving: native work uses sharp's own threads, and its
 * operation cache only grows RSS in a server that never sees the same image twice.
 */
export function decodeForServer(): void {
  sharp.cache(false);
}

/**
 * Images up to this size (longest side) are decoded at full resolution, so every hash sees
 * exactly the pixels the reference implementations see; decoding them is cheap anyway.
 */
export const FULL_SIZE_UP_TO = 1024;

/**
 * Larger images shrink on load (JPEG, WebP) straight to the working size, the larger of this
 * and the thumbnail size: the thumbnail is then an encode of the working image, and the hashes
 * (all defined on 8..64 px reductions or 16x16 blocks) barely move (see the robustness tests).
 */
export const WORK_SIDE = 512;

/** The longest side to decode to, or undefined for full size. */
export function workingSide(width: number, height: number, thumbSide: number): number | undefined {
  return Math.max(width, height) <= FULL_SIZE_UP_TO ? undefined : Math.max(WORK_SIDE, thumbSide);
}

const FORMATS: Record<string, string> = {
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  webp: "image/webp",
  heif: "image/avif",
  tiff: "image/tiff",
};

/** What every decoder knows about a file, whatever its kind (the rest of hasherV1.ImageInfo comes from its kind). */
export type MediaInfo = Pick<hasherV1.ImageInfo, "width" | "height" | "format" | "frames" | "hasAlpha" | "orientation" | "mime">;

export interface Decoded {
  /** Interleaved sRGB, 8 bits: RGB when the image has no alpha channel, else RGBA (not premultiplied). */
  pixels: Buffer;
  channels: 3 | 4;
  width: number;
  height: number;
  info: MediaInfo;
}

export interface DecodeLimits {
  maxPixels: number;
  timeoutMs: number;
  /** Thumbnail size the working image must be able to serve without upscaling. */
  thumbSide: number;
}

/** An image sharp reads (bytes, or a file of ours): header, limits, then the one decode of frame 0. */
export async function decode(input: Buffer | string, limits: DecodeLimits, header?: Metadata): Promise<Decoded> {
  const meta = header ?? (await readHeader(input));
  const format = meta.format === "heif" && meta.compression !== "av1" ? "heic" : meta.format!;
  const mime = FORMATS[format];
  if (!mime) throw invalid(Reason.UNSUPPORTED, `${format} images are not supported`);
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width * height > limits.maxPixels) throw invalid(Reason.TOO_MANY_PIXELS, `${width}x${height} is more than ${limits.maxPixels} pixels`);
  const seconds = Math.max(1, Math.ceil(limits.timeoutMs / 1000));
  const p = sharp(input, { failOn: "error", ignoreIcc: true, limitInputPixels: limits.maxPixels, sequentialRead: true }).timeout({ seconds }).autoOrient();
  const info = { width: meta.width ?? 0, height: meta.height ?? 0, format: format === "heif" ? "avif" : format, frames: meta.pages ?? 1, hasAlpha: meta.hasAlpha ?? false, orientation: meta.orientation ?? 0, mime };
  return toWorking(p, width, height, info.hasAlpha, limits, info);
}

/**
 * Decoded pixels from another decoder (ffmpeg, libheif) into the same working image: the
 * same resize, colour space and channels as a file sharp reads.
 */
export function decodeRaw(img: { pixels: Buffer; width: number; height: number; channels: 3 | 4 }, limits: DecodeLimits, info: MediaInfo): Promise<Decoded> {
  const p = sharp(img.pixels, { raw: { width: img.width, height: img.height, channels: img.channels } });
  return toWorking(p, img.width, img.height, img.channels === 4, limits, info);
}

/** Resize to the working size when larger, sRGB, RGB or RGBA: every hash and the thumbnail read this. */
async function toWorking(p: Sharp, width: number, height: number, hasAlpha: boolean, limits: DecodeLimits, info: MediaInfo): Promise<Decoded> {
  try {
    // Only when needed: even a 1:1 resize premultiplies alpha and moves translucent pixels.
    const side = workingSide(width, height, limits.thumbSide);
    if (side) p = p.resize({ width: side, height: side, fit: "inside" });
    p = p.toColourspace("srgb");
    // Opaque images stay RGB: a quarter less to write, copy and read than with an added alpha.
    if (hasAlpha) p = p.ensureAlpha();
    const { data, info: out } = await p.raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    if (out.channels !== 3 && out.channels !== 4) throw new Error(`unexpected ${out.channels}-channel decode`);
    return { pixels: data, channels: out.channels, width: out.width, height: out.height, info };
  } catch (err) {
    throw asDecodeError(err);
  }
}

export async function readHeader(input: Buffer | string): Promise<Metadata> {
  try {
    return await sharp(input, { limitInputPixels: false }).metadata();
  } catch (err) {
    const message = (err as Error).message ?? "";
    if (/unsupported image format/i.test(message)) throw invalid(Reason.UNSUPPORTED, "not a format the hasher reads (images, animations, videos, archives)");
    throw invalid(Reason.CORRUPT, `unreadable image header: ${firstLine(message)}`);
  }
}

function asDecodeError(err: unknown): Error {
  if (err instanceof AppError && err.reason) return err;
  const message = (err as Error).message ?? String(err);
  if (/pixel limit/i.test(message)) return invalid(Reason.TOO_MANY_PIXELS, firstLine(message));
  if (/timeout/i.test(message)) return new AppError(status.DEADLINE_EXCEEDED, `decode timed out: ${firstLine(message)}`);
  return invalid(Reason.CORRUPT, `cannot decode image: ${firstLine(message)}`);
}

function firstLine(s: string): string {
  return s.split("\n")[0]!.slice(0, 200);
}

export interface ThumbSpec {
  maxSide: number;
  format: "webp" | "jpeg" | "png" | "avif";
  quality: number;
  /** Encoder effort for WebP (0-6) and AVIF (0-9): CPU spent on making the file smaller. */
  effort: number;
}

/** The thumbnail from the working image (no second decode); images with alpha keep it except in JPEG. */
export async function thumbnail(img: Decoded, spec: ThumbSpec): Promise<{ data: Buffer; mime: string; width: number; height: number }> {
  let p = sharp(img.pixels, { raw: { width: img.width, height: img.height, channels: img.channels } });
  if (spec.format === "jpeg" && img.channels === 4) p = p.flatten({ background: "#ffffff" });
  const side = Math.min(spec.maxSide, 4096);
  p = p.resize({ width: side, height: side, fit: "inside", withoutEnlargement: true });
  if (spec.format === "webp") p = p.webp({ quality: spec.quality, effort: Math.min(spec.effort, 6) });
  else if (spec.format === "jpeg") p = p.jpeg({ quality: spec.quality, mozjpeg: false });
  else if (spec.format === "png") p = p.png({ compressionLevel: 6 });
  else p = p.avif({ quality: spec.quality, effort: spec.effort });
  const { data, info } = await p.toBuffer({ resolveWithObject: true });
  return { data, mime: `image/${spec.format}`, width: info.width, height: info.height };
}
