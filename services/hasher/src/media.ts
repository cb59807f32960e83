/**
 * What each kind of file yields: the representative frame (decoded to the working image every
 * hash and the thumbnail are made from), the facts the catalog records, and for animations
 * and videos the frame signature.
 * - image: the image (frame 0 of a multi-page file).
 * - animation (GIF, WebP, APNG, ugoira): frame 0, as for an image; frames, duration, signature.
 * - video: a frame a tenth or more into it that is not near-black (media/frames.ts); codec,
 *   audio, duration, frame rate, signature.
 * - archive (zip, cbz): the first image in natural name order; the number of entries.
 */
import type { Metadata } from "sharp";
import sharp from "sharp";
import { readFile } from "node:fs/promises";
import { invalid, parseReason, Reason, reasonOf } from "@booru/runtime";
import { hasherV1 } from "@booru/proto";
import { decode, decodeRaw, readHeader, workingSide, type DecodeLimits, type Decoded, type MediaInfo } from "./decode.js";
import { animationFacts, frameDelays, framesAtSampleTimes, sharpAnimationSignature } from "./media/animation.js";
import { openArchive, type Archive } from "./media/archive.js";
import { framePhash, representative, signatureFrame, signatureOf, SIGNATURE_SIDE } from "./media/frames.js";
import { isApng, sniff, type Sniffed } from "./media/sniff.js";
import { ffmpegStill } from "./media/still.js";
import type { ToolInput } from "./media/tools.js";
import { probeVideo, videoFrames } from "./media/video.js";
import type { HashPool } from "./pool.js";
import type { Deadline, MediaDeps } from "./service.js";
import type { HasherConfig } from "./settings.js";
import { formatSignature } from "./signature.js";
import { endsEarly, videoEndsEarly } from "./truncation.js";

type Info = Omit<hasherV1.ImageInfo, "bytes">;

/** A received file: in memory or in a temp file of ours. */
export interface Received {
  sniffed: Sniffed;
  size: number;
  bytes?: Buffer;
  path?: string;
  /** The first bytes (all of them when in memory). */
  head: Buffer;
  /** Computed on the way into a temp file. */
  digest?: { md5: string; sha256: string };
  release(): Promise<void>;
}

export interface MediaContext {
  config: HasherConfig;
  pool: HashPool;
  deadline: Deadline;
  media(): Promise<MediaDeps>;
}

export interface MediaResult {
  img: Decoded;
  info: Info;
  signature?: string;
}

const VIDEO_MIME: Record<string, string> = { mp4: "video/mp4", m4v: "video/x-m4v", mov: "video/quicktime", webm: "video/webm", mkv: "video/x-matroska", avi: "video/x-msvideo" };
/** Thumbnails and signature frames of an APNG need no more than this. */
const APNG_FRAME_SIDE = 128;

const info = (i: MediaInfo, kind: hasherV1.MediaKind, more: Partial<Info> = {}): Info => ({ ...i, kind, durationMs: 0, frameRate: 0, codec: "", hasAudio: false, entries: 0, ...more });

function limits(ctx: MediaContext): DecodeLimits {
  return { maxPixels: ctx.config.hasherMaxPixels, timeoutMs: ctx.deadline.remainingMs, thumbSide: ctx.config.thumbSize };
}

/**
 * The file's kind decoded. A file that ends before its own framing says it does is 'truncated'
 * (dedup waits for it while it may still be written), not corrupt: images when the decode
 * fails, videos before any ffmpeg runs (a cut MP4 or WebM may still decode in part).
 */
export async function decodeMedia(file: Received, ctx: MediaContext): Promise<MediaResult> {
  if (file.sniffed.route === "video" && (await videoEndsEarly(file.path!))) throw truncated("the container's framing runs past the end of the file");
  try {
    return await decodeKind(file, ctx);
  } catch (err) {
    throw (await cutShort(err, file)) ? truncated((err as Error).message) : err;
  }
}

/** A decode that failed as corrupt or unsupported because the bytes stop early (libvips calls a cut TIFF unsupported). */
async function cutShort(err: unknown, file: Received): Promise<boolean> {
  const reason = reasonOf(err);
  if ((reason !== Reason.CORRUPT && reason !== Reason.UNSUPPORTED) || file.sniffed.route === "video") return false;
  // A spooled image is within the image byte limit: read back only now, on the failure path.
  return endsEarly(file.bytes ?? (await readFile(file.path!)));
}

const truncated = (message: string) => invalid(Reason.TRUNCATED, `the file ends before its format says it does (${message.split("\n")[0]!.slice(0, 200)})`);

function decodeKind(file: Received, ctx: MediaContext): Promise<MediaResult> {
  const input = file.path ?? file.bytes!;
  switch (file.sniffed.route) {
    case "video":
      return video({ path: file.path! }, file.sniffed.container!, ctx);
    case "zip":
      return archive(input, ctx);
    default:
      return still(input, file.sniffed, file.head, ctx);
  }
}

/** Images, and the animations sharp reads the header of (GIF, WebP, APNG). */
async function still(input: Buffer | string, sniffed: Sniffed, head: Buffer, ctx: MediaContext): Promise<MediaResult> {
  if (sniffed.route === "bmp" || sniffed.route === "jxl") return ffmpegImage(input, head, sniffed.route, ctx);
  const meta = await readHeader(input);
  if (sniffed.route === "heic" || (meta.format === "heif" && meta.compression !== "av1")) return heic(input, meta, ctx);
  const pages = meta.pages ?? 1;
  if ((meta.format === "gif" || meta.format === "webp") && pages > 1) return sharpAnimation(input, meta, pages, ctx);
  if (meta.format === "png" && isApng(head)) return apng(input, meta, ctx);
  const img = await decode(input, limits(ctx), meta);
  return { img, info: info(img.info, hasherV1.MediaKind.IMAGE) };
}

async function sharpAnimation(input: Buffer | string, meta: Metadata, pages: number, ctx: MediaContext): Promise<MediaResult> {
  ctx.deadline.extendTo(ctx.config.hasherMediaTimeout);
  const delays = frameDelays(meta.format!, pages, meta.delay);
  const facts = animationFacts(delays, { maxFrames: ctx.config.hasherMaxAnimationFrames, maxDurationMs: ctx.config.hasherMaxDuration });
  const [img, signature] = await Promise.all([decode(input, limits(ctx), meta), sharpAnimationSignature(input, pages, delays, ctx.deadline.remainingMs)]);
  return { img, info: info(img.info, hasherV1.MediaKind.ANIMATION, facts), signature };
}

/**
 * APNG: frame 0 as today through sharp; frames, delays and the signature through ffmpeg, from a
 * file (its APNG demuxer seeks, so not from a pipe).
 */
async function apng(input: Buffer | string, meta: Metadata, ctx: MediaContext): Promise<MediaResult> {
  ctx.deadline.extendTo(ctx.config.hasherMediaTimeout);
  const { tools, temp } = await ctx.media();
  const signal = ctx.deadline.signal;
  const img = await decode(input, limits(ctx), meta);
  const file = typeof input === "string" ? input : await temp.write(input);
  try {
    const probe = await probeVideo(tools, { path: file }, { maxPixels: ctx.config.hasherMaxPixels, maxDurationMs: ctx.config.hasherMaxDuration, maxFrames: ctx.config.hasherMaxAnimationFrames }, signal);
    const frames = await videoFrames(tools, { path: file }, probe, APNG_FRAME_SIDE, ctx.config.hasherMaxPixels, signal);
    const facts = { frames: probe.frames, durationMs: probe.durationMs, frameRate: probe.frameRate };
    return { img, info: info({ ...img.info, frames: probe.frames, mime: "image/apng" }, hasherV1.MediaKind.ANIMATION, facts), signature: await signatureOf(frames) };
  } finally {
    if (file !== input) await temp.remove(file);
  }
}

/** BMP and JPEG XL: ffmpeg's decoders, then the same working image as any file. */
async function ffmpegImage(input: Buffer | string, head: Buffer, format: "bmp" | "jxl", ctx: MediaContext): Promise<MediaResult> {
  const { tools, temp } = await ctx.media();
  const written = typeof input !== "string" && format === "jxl" ? await temp.write(input) : undefined;
  const tin: ToolInput = typeof input === "string" ? { path: input } : written ? { path: written } : { bytes: input };
  let raw;
  try {
    raw = await ffmpegStill(tools, tin, head, format, ctx.config.hasherMaxPixels, ctx.deadline.signal);
  } finally {
    if (written) await temp.remove(written);
  }
  const i: MediaInfo = { width: raw.width, height: raw.height, format, frames: 1, hasAlpha: raw.channels === 4, orientation: 0, mime: format === "bmp" ? "image/bmp" : "image/jxl" };
  return { img: await decodeRaw(raw, limits(ctx), i), info: info(i, hasherV1.MediaKind.IMAGE) };
}

/** HEIC through libheif in the worker pool (sharp reads its header, not its HEVC pixels). */
async function heic(input: Buffer | string, meta: Metadata, ctx: MediaContext): Promise<MediaResult> {
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width * height > ctx.config.hasherMaxPixels) throw invalid(Reason.TOO_MANY_PIXELS, `${width}x${height} is more than ${ctx.config.hasherMaxPixels} pixels`);
  const bytes = typeof input === "string" ? await readFile(input) : input;
  const res = await ctx.pool.heif(bytes, ctx.config.hasherMaxPixels, ctx.deadline.signal);
  if ("reason" in res) throw invalid(parseReason(res.reason) ?? Reason.CORRUPT, res.message);
  const i: MediaInfo = { width: width || res.image.width, height: height || res.image.height, format: "heic", frames: 1, hasAlpha: res.image.channels === 4, orientation: meta.orientation ?? 0, mime: "image/heic" };
  return { img: await decodeRaw(res.image, limits(ctx), i), info: info(i, hasherV1.MediaKind.IMAGE) };
}

async function video(input: { path: string }, container: string, ctx: MediaContext): Promise<MediaResult> {
  const { tools } = await ctx.media();
  const signal = ctx.deadline.signal;
  const probe = await probeVideo(tools, input, { maxPixels: ctx.config.hasherMaxPixels, maxDurationMs: ctx.config.hasherMaxDuration, maxFrames: ctx.config.hasherMaxFrames }, signal);
  const side = workingSide(probe.width, probe.height, ctx.config.thumbSize);
  const frames = await videoFrames(tools, input, probe, side, ctx.config.hasherMaxPixels, signal);
  const i: MediaInfo = { width: probe.width, height: probe.height, format: container, frames: probe.frames, hasAlpha: false, orientation: probe.orientation, mime: VIDEO_MIME[container] ?? "video/mp4" };
  const rep = representative(frames);
  const [img, signature] = await Promise.all([decodeRaw(rep, limits(ctx), i), signatureOf(frames)]);
  return {
    img,
    info: info(i, hasherV1.MediaKind.VIDEO, { durationMs: probe.durationMs, frameRate: probe.frameRate, codec: probe.codec, hasAudio: probe.hasAudio }),
    signature,
  };
}

/** zip and cbz: the first image; an ugoira also its frames, duration and signature. */
async function archive(input: Buffer | string, ctx: MediaContext): Promise<MediaResult> {
  const c = ctx.config;
  const zip = await openArchive(input, { maxEntries: c.hasherMaxArchiveEntries, maxUnpackedBytes: c.hasherMaxArchiveUnpacked, maxRatio: c.hasherMaxCompressionRatio, maxEntryBytes: c.hasherMaxBytes });
  try {
    const first = zip.images[0];
    if (!first) throw invalid(Reason.UNSUPPORTED, "the archive holds no image (archives inside it are not opened)");
    const bytes = await zip.read(first);
    const { img } = await entryImage(bytes, ctx);
    const base = { ...img.info, format: zip.ugoira ? "ugoira" : "zip", mime: "application/zip" };
    if (!zip.ugoira) return { img, info: info({ ...base, frames: 1 }, hasherV1.MediaKind.ARCHIVE, { entries: zip.entries }) };
    const delays = zip.delays ?? zip.images.map(() => 1);
    const facts = animationFacts(delays, { maxFrames: c.hasherMaxAnimationFrames, maxDurationMs: c.hasherMaxDuration });
    const known = zip.delays ? facts : { frames: facts.frames, durationMs: 0, frameRate: 0 };
    return { img, info: info({ ...base, frames: facts.frames }, hasherV1.MediaKind.ANIMATION, { ...known, entries: zip.entries }), signature: await ugoiraSignature(zip, delays, ctx) };
  } finally {
    zip.close();
  }
}

/** An image inside an archive: any still format, never another archive or a video. */
async function entryImage(bytes: Buffer, ctx: MediaContext): Promise<MediaResult> {
  const sniffed = sniff(bytes);
  if (sniffed.route === "zip" || sniffed.route === "video") throw invalid(Reason.UNSUPPORTED, "the archive's first image is an archive or a video (not opened)");
  return still(bytes, sniffed, bytes, ctx);
}

/** Each sampled frame read from the archive and reduced straight to 32x32. */
async function ugoiraSignature(zip: Archive, delays: number[], ctx: MediaContext): Promise<string> {
  const cache = new Map<number, string>();
  const hashes: string[] = [];
  for (const k of framesAtSampleTimes(delays)) {
    if (!cache.has(k)) cache.set(k, await framePhashOf(await zip.read(zip.images[k]!), ctx));
    hashes.push(cache.get(k)!);
  }
  return formatSignature(hashes);
}

async function framePhashOf(bytes: Buffer, ctx: MediaContext): Promise<string> {
  if (sniff(bytes).route === "sharp") {
    const { data, info: out } = await sharp(bytes, { limitInputPixels: ctx.config.hasherMaxPixels, ignoreIcc: true }).resize(SIGNATURE_SIDE, SIGNATURE_SIDE, { fit: "fill" }).toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
    return framePhash(data, out.channels === 4 ? 4 : 3);
  }
  const { img } = await entryImage(bytes, ctx);
  return framePhash(await signatureFrame(img), img.channels);
}
