/**
 * Videos (and APNG) through ffprobe and ffmpeg: what the file holds, then the frames at the
 * signature's sample times at the working size, in as little decoding as the file allows.
 *
 * Frame at time T: the frame shown at T (the last with a timestamp at or before T, times from
 * the file's start). Two ways to get them, with the same frames:
 * - one pass: decode from the start to the last sample (cost: every frame up to there);
 * - one seek per sample: from the keyframe before T - 1 s up to T (cost: up to a GOP each).
 * The packet list (ffprobe, demux only) says which costs fewer decoded frames; short clips
 * decode once, long videos seek, so the cost per file is bounded whatever the duration.
 */
import { status } from "@grpc/grpc-js";
import { AppError, invalid, Reason } from "@booru/runtime";
import { SIGNATURE_FRAMES } from "../signature.js";
import type { RawImage } from "./frames.js";
import { inputArgs, ToolFailed, type ToolInput, type Tools } from "./tools.js";

export interface VideoLimits {
  maxPixels: number;
  maxDurationMs: number;
  maxFrames: number;
}

export interface VideoProbe {
  /** ffprobe's stream index of the video. */
  stream: number;
  codec: string;
  width: number;
  height: number;
  /** EXIF-style orientation of the display rotation (1 none, 6 90° clockwise, 3 180°, 8 270°). */
  orientation: number;
  /** Seconds from the file's start to the video's first frame. */
  start: number;
  durationMs: number;
  frames: number;
  frameRate: number;
  hasAudio: boolean;
  hasAlpha: boolean;
  /** Sorted presentation times (s from the file's start) of every frame, and of the keyframes. */
  times: Float64Array;
  keyTimes: Float64Array;
}

interface FfStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  start_time?: string;
  duration?: string;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string>;
  side_data_list?: { rotation?: number }[];
}

interface FfProbe {
  streams?: FfStream[];
  format?: { start_time?: string; duration?: string };
}

/** Grace before a sample time where a seek starts, so the frame shown at T is decoded too. */
const SEEK_LEAD = 1;
/** A process start costs about as much as decoding this many frames. */
const RUN_COST_FRAMES = 15;
/** ffmpeg's pixel formats with an alpha channel (pal8: GIF and PNG palettes may be transparent). */
const ALPHA_FORMATS = /^(rgba|bgra|argb|abgr|ya|yuva|gbrap|pal8)/;
/** ffmpeg decodes on one thread: the hasher runs several files at once instead. */
const THREADS = "1";

const num = (s: string | undefined) => (s === undefined || s === "N/A" ? NaN : Number(s));

function rate(s: string | undefined): number {
  const [a, b] = (s ?? "0/0").split("/").map(Number);
  return a && b ? a / b : 0;
}

function orientationOf(st: FfStream): number {
  const rotation = st.side_data_list?.find((d) => typeof d.rotation === "number")?.rotation ?? -num(st.tags?.rotate ?? "0");
  const cw = ((Math.round(-rotation / 90) % 4) + 4) % 4;
  return [1, 6, 3, 8][cw]!;
}

/** ffmpeg's complaint as a reason: a codec it has no decoder for, else a damaged file. */
export function toolError(err: unknown, what: string): Error {
  if (!(err instanceof ToolFailed)) return err as Error;
  if (/decoder .*not found|unknown codec|no decoder|unsupported codec|codec not currently supported/i.test(err.stderr)) return invalid(Reason.UNSUPPORTED_CODEC, `${what}: ${err.message}`);
  if (/invalid data found|moov atom not found|could not find codec parameters|end of file|error while decoding|truncat/i.test(err.stderr)) return invalid(Reason.CORRUPT, `${what}: ${err.message}`);
  if (/max_pixels|exceeds|too large/i.test(err.stderr)) return invalid(Reason.TOO_MANY_PIXELS, `${what}: ${err.message}`);
  return invalid(Reason.CORRUPT, `${what}: ${err.message}`);
}

function baseArgs(input: ToolInput, maxPixels: number): { args: string[]; stdin?: Buffer } {
  const inp = inputArgs(input);
  const common = ["-hide_banner", "-loglevel", "error", ...("path" in input ? ["-nostdin"] : [])];
  return { args: [...common, "-threads", THREADS, "-max_pixels", String(maxPixels), ...inp.args], stdin: inp.stdin };
}

/** Streams, duration, frame times; limits checked before any frame is decoded. */
export async function probeVideo(tools: Tools, input: ToolInput, limits: VideoLimits, signal: AbortSignal): Promise<VideoProbe> {
  const inp = inputArgs(input);
  let json: FfProbe;
  try {
    const out = await tools.run("ffprobe", ["-hide_banner", "-loglevel", "error", "-show_format", "-show_streams", "-of", "json", ...inp.args], { signal, stdin: inp.stdin, maxStdout: 4 << 20 });
    json = JSON.parse(out.toString("utf8")) as FfProbe;
  } catch (err) {
    throw toolError(err, "cannot read the video");
  }
  const streams = json.streams ?? [];
  const st = streams.find((s) => s.codec_type === "video" && !s.disposition?.attached_pic);
  if (!st) throw invalid(streams.length ? Reason.UNSUPPORTED : Reason.CORRUPT, "no video stream in the file");
  if (!st.codec_name || st.codec_name === "none") throw invalid(Reason.UNSUPPORTED_CODEC, "the video codec is not one ffmpeg knows");
  const width = st.width ?? 0;
  const height = st.height ?? 0;
  if (!width || !height) throw invalid(Reason.CORRUPT, "the video stream has no frame size");
  if (width * height > limits.maxPixels) throw invalid(Reason.TOO_MANY_PIXELS, `${width}x${height} is more than ${limits.maxPixels} pixels`);
  const formatStart = num(json.format?.start_time) || 0;
  const declared = num(st.duration) || num(json.format?.duration);
  if (declared * 1000 > limits.maxDurationMs) throw invalid(Reason.TOO_LONG, `${Math.round(declared)} s is longer than the limit of ${Math.round(limits.maxDurationMs / 1000)} s`);
  const { times, keyTimes } = await frameTimes(tools, input, st.index, limits, signal);
  if (times.length === 0) throw invalid(Reason.CORRUPT, "the video stream has no frames");
  const fps = rate(st.avg_frame_rate) || rate(st.r_frame_rate);
  const start = times[0]! - formatStart;
  const span = times[times.length - 1]! - times[0]! + (fps ? 1 / fps : 0);
  const duration = Number.isFinite(declared) && declared > 0 ? declared : span;
  if (duration * 1000 > limits.maxDurationMs) throw invalid(Reason.TOO_LONG, `${Math.round(duration)} s is longer than the limit of ${Math.round(limits.maxDurationMs / 1000)} s`);
  return {
    stream: st.index,
    codec: st.codec_name,
    width,
    height,
    orientation: orientationOf(st),
    start,
    durationMs: Math.round(duration * 1000),
    frames: times.length,
    frameRate: fps || (duration > 0 ? times.length / duration : 0),
    hasAudio: streams.some((s) => s.codec_type === "audio"),
    hasAlpha: ALPHA_FORMATS.test(st.pix_fmt ?? ""),
    times: times.map((t) => t - formatStart),
    keyTimes: keyTimes.map((t) => t - formatStart),
  };
}

/** Every frame's presentation time from the packets (demux only), stopping past the frame limit. */
async function frameTimes(tools: Tools, input: ToolInput, stream: number, limits: VideoLimits, signal: AbortSignal) {
  const times: number[] = [];
  const keys: number[] = [];
  let rest = "";
  const tooMany = new AbortController();
  const both = AbortSignal.any([signal, tooMany.signal]);
  const take = (line: string) => {
    // pts_time,dts_time,flags (ffprobe's field order); containers without pts give dts.
    const [pts, dts, flags] = line.split(",");
    const t = Number.isFinite(num(pts)) ? num(pts) : num(dts);
    if (!Number.isFinite(t)) return;
    times.push(t);
    if (flags?.startsWith("K")) keys.push(t);
    if (times.length > limits.maxFrames) tooMany.abort(invalid(Reason.TOO_MANY_FRAMES, `more than ${limits.maxFrames} frames`));
  };
  const inp = inputArgs(input);
  try {
    await tools.run("ffprobe", ["-hide_banner", "-loglevel", "error", "-select_streams", String(stream), "-show_entries", "packet=pts_time,dts_time,flags", "-of", "csv=p=0", ...inp.args], {
      signal: both,
      stdin: inp.stdin,
      onStdout: (chunk) => {
        const lines = (rest + chunk.toString("latin1")).split("\n");
        rest = lines.pop()!;
        for (const line of lines) take(line);
      },
    });
    if (rest) take(rest);
  } catch (err) {
    if (tooMany.signal.aborted) throw tooMany.signal.reason;
    throw toolError(err, "cannot read the video's packets");
  }
  return { times: Float64Array.from(times).sort(), keyTimes: Float64Array.from(keys).sort() };
}

/** The signature's sample times (s from the file's start). */
export function sampleTimes(p: Pick<VideoProbe, "start" | "durationMs">): number[] {
  const d = p.durationMs / 1000;
  return Array.from({ length: SIGNATURE_FRAMES }, (_, i) => p.start + ((i + 0.5) * d) / SIGNATURE_FRAMES);
}

/** Index of the last value <= x in a sorted array (-1 when none). */
function lastAtOrBefore(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Decoded frames of each way (see the module comment): true when seeking costs fewer. */
export function seekIsCheaper(p: VideoProbe, samples: number[]): boolean {
  const onePass = lastAtOrBefore(p.times, samples[samples.length - 1]!) + 1;
  let seeks = 0;
  for (const t of samples) {
    const key = p.keyTimes[lastAtOrBefore(p.keyTimes, t - SEEK_LEAD)] ?? p.times[0]!;
    seeks += lastAtOrBefore(p.times, t) - lastAtOrBefore(p.times, key - 1e-6) + RUN_COST_FRAMES;
  }
  return seeks < onePass;
}

const scaleFilter = (side: number | undefined) => (side ? `,scale=w=${side}:h=${side}:force_original_aspect_ratio=decrease:flags=area` : "");

/**
 * The frames at the sample times, fitted inside side x side (full size when undefined), RGB or
 * RGBA (when the stream has alpha). Always SIGNATURE_FRAMES of them: a stream that ends early
 * repeats its last frame.
 */
export async function videoFrames(tools: Tools, input: ToolInput, p: VideoProbe, side: number | undefined, maxPixels: number, signal: AbortSignal): Promise<RawImage[]> {
  const samples = sampleTimes(p);
  const out = p.hasAlpha ? ["format=rgba", "pam"] : ["format=rgb24", "ppm"];
  const output = (filter: string, frames: number) => ["-map", `0:${p.stream}`, "-vf", `${filter}${scaleFilter(side)},${out[0]}`, "-frames:v", String(frames), "-an", "-sn", "-dn", "-f", "image2pipe", "-c:v", out[1]!, "pipe:1"];
  const frames: RawImage[] = [];
  try {
    if ("path" in input && seekIsCheaper(p, samples)) {
      for (const t of samples) {
        const from = Math.max(0, t - SEEK_LEAD);
        const base = baseArgs(input, maxPixels);
        frames.push(...(await netpbmRun(tools, ["-ss", from.toFixed(6), ...base.args, ...output(`setpts=PTS-${(t - from).toFixed(6)}/TB,fps=fps=1:round=up`, 1)], base.stdin, 1, signal)));
      }
    } else {
      const base = baseArgs(input, maxPixels);
      const step = samples[1]! - samples[0]! || 1e-3;
      const filter = `setpts=PTS-${samples[0]!.toFixed(6)}/TB,fps=fps=${(1 / step).toFixed(9)}:round=up`;
      frames.push(...(await netpbmRun(tools, [...base.args, ...output(filter, SIGNATURE_FRAMES)], base.stdin, SIGNATURE_FRAMES, signal)));
    }
  } catch (err) {
    throw toolError(err, "cannot decode the video");
  }
  if (frames.length === 0) throw invalid(Reason.CORRUPT, "no frame could be decoded");
  while (frames.length < SIGNATURE_FRAMES) frames.push(frames[frames.length - 1]!);
  return frames;
}

/** One ffmpeg run writing at most `max` images to stdout, parsed as they come. */
async function netpbmRun(tools: Tools, args: string[], stdin: Buffer | undefined, max: number, signal: AbortSignal): Promise<RawImage[]> {
  const parser = new NetpbmStream(max);
  const bad = new AbortController();
  try {
    await tools.run("ffmpeg", args, {
      signal: AbortSignal.any([signal, bad.signal]),
      stdin,
      onStdout: (chunk) => {
        const err = parser.push(chunk);
        if (err) bad.abort(err);
      },
    });
  } catch (err) {
    throw bad.signal.aborted ? bad.signal.reason : err;
  }
  return parser.images;
}

const PPM = /^P6\s+(\d+)\s+(\d+)\s+255\s/;
const PAM = /^P7\nWIDTH (\d+)\nHEIGHT (\d+)\nDEPTH ([34])\nMAXVAL 255\n(?:TUPLTYPE \w+\n)?ENDHDR\n/;

/**
 * Binary PPM (P6) or PAM (P7, RGB or RGB_ALPHA) images one after another, as ffmpeg's
 * image2pipe writes them. Chunks are joined only once a whole image is there.
 */
export class NetpbmStream {
  readonly images: RawImage[] = [];
  private chunks: Buffer[] = [];
  private length = 0;
  /** Bytes the image being received needs (header included), once its header is known. */
  private need = 0;

  constructor(private readonly max: number) {}

  /** An error when the output is not what was asked for. */
  push(chunk: Buffer): Error | undefined {
    this.chunks.push(chunk);
    this.length += chunk.length;
    for (;;) {
      if (this.need === 0) {
        const head = this.peek(128);
        const m = PPM.exec(head) ?? PAM.exec(head);
        if (!m) return this.length >= 128 ? new AppError(status.INTERNAL, "ffmpeg wrote something other than PPM or PAM") : undefined;
        const channels = m[0].startsWith("P6") ? 3 : Number(m[3]);
        this.need = m[0].length + Number(m[1]) * Number(m[2]) * channels;
      }
      if (this.length < this.need) return undefined;
      if (this.images.length >= this.max) return new AppError(status.INTERNAL, `ffmpeg wrote more than ${this.max} images`);
      const all = Buffer.concat(this.chunks, this.length);
      const head = all.subarray(0, 128).toString("latin1");
      const m = (PPM.exec(head) ?? PAM.exec(head))!;
      const channels = (m[0].startsWith("P6") ? 3 : Number(m[3])) as 3 | 4;
      this.images.push({ pixels: Buffer.from(all.subarray(m[0].length, this.need)), width: Number(m[1]), height: Number(m[2]), channels });
      const rest = all.subarray(this.need);
      this.chunks = rest.length ? [rest] : [];
      this.length = rest.length;
      this.need = 0;
    }
  }

  private peek(n: number): string {
    if (this.chunks.length > 1 && this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks, this.length)];
    return (this.chunks[0] ?? Buffer.alloc(0)).subarray(0, n).toString("latin1");
  }
}
