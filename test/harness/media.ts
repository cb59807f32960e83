/**
 * Test media made at test time with the system's ffmpeg (Debian package, installed by
 * scripts/install-system-deps.sh): videos in every container the hasher reads, animations,
 * archives. Without ffmpeg the media tests skip locally and fail under CI=true.
 */
import { execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { zipSync } from "fflate";
import { promisify } from "node:util";
import sharp from "sharp";
import { underCi } from "./conformance.js";

const run = promisify(execFile);

/** Whether ffmpeg and ffprobe are there; under CI a missing one fails the run instead of skipping. */
export function haveFfmpeg(): boolean {
  const ok = ["ffmpeg", "ffprobe"].every((t) => spawnSync(t, ["-version"], { stdio: "ignore" }).status === 0);
  if (!ok && underCi()) throw new Error("ffmpeg/ffprobe are missing: run scripts/install-system-deps.sh (CI must not skip the media tests)");
  if (!ok) console.warn("media tests skipped: ffmpeg/ffprobe not installed (scripts/install-system-deps.sh installs them)");
  return ok;
}

export async function ffmpeg(args: string[]): Promise<void> {
  await run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args], { maxBuffer: 1 << 20 });
}

/** Whether this ffmpeg has an encoder (AV1 encoders are optional in a build). */
export function hasEncoder(name: string): boolean {
  const out = spawnSync("ffmpeg", ["-hide_banner", "-encoders"], { encoding: "utf8" }).stdout ?? "";
  return new RegExp(`\\s${name}\\s`).test(out);
}

/** A smooth random picture (16x12 noise scaled up): low frequencies everywhere, like a photo. */
export async function smoothPicture(width: number, height: number, seed: number): Promise<Buffer> {
  const raw = Buffer.alloc(16 * 12 * 3);
  let s = seed * 7919 + 1;
  for (let i = 0; i < raw.length; i++) raw[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return sharp(raw, { raw: { width: 16, height: 12, channels: 3 } }).resize(width, height, { kernel: "cubic" }).raw().toBuffer();
}

export interface SceneOptions {
  seed: number;
  seconds: number;
  fps?: number;
  width?: number;
  height?: number;
  /** Seconds of black at the start (a fade-in, a title card). */
  blackSeconds?: number;
  /** A sine tone as an audio track. */
  audio?: boolean;
}

/**
 * Raw RGB frames of a video made of scenes: every two seconds another smooth picture, panning
 * slowly, so consecutive frames differ a little and scenes a lot, as in real footage.
 */
export async function* sceneFrames(o: SceneOptions): AsyncGenerator<Buffer> {
  const fps = o.fps ?? 10;
  const w = o.width ?? 160;
  const h = o.height ?? 120;
  const total = Math.round(o.seconds * fps);
  let scene = -1;
  let canvas: Buffer = Buffer.alloc(0);
  for (let f = 0; f < total; f++) {
    const t = f / fps;
    if (t < (o.blackSeconds ?? 0)) {
      yield Buffer.alloc(w * h * 3);
      continue;
    }
    const s = Math.floor(t / 2);
    if (s !== scene) {
      scene = s;
      canvas = await smoothPicture(w * 2, h * 2, o.seed * 1000 + s);
    }
    // A slow pan, 10 px a second (at 10 fps no two frames are the same), whatever the frame rate.
    const dx = Math.min(Math.round((t % 2) * 10), Math.floor(w / 4));
    const frame = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) canvas.copy(frame, y * w * 3, ((y + dx) * w * 2 + dx) * 3, ((y + dx) * w * 2 + dx + w) * 3);
    yield frame;
  }
}

/** Encodes scene frames with the given ffmpeg output arguments (codec, container, size ...). */
export async function sceneVideo(out: string, o: SceneOptions, outputArgs: string[]): Promise<void> {
  const fps = o.fps ?? 10;
  const audio = o.audio ? ["-f", "lavfi", "-t", String(o.seconds), "-i", "sine=frequency=440:sample_rate=22050", "-c:a", "aac", "-b:a", "32k"] : [];
  const video = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", `${o.width ?? 160}x${o.height ?? 120}`, "-r", String(fps), "-i", "pipe:0"];
  const proc = spawn("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...video, ...audio, ...outputArgs, out], { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<void>((resolve, reject) => proc.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg: ${stderr}`)))));
  for await (const frame of sceneFrames(o)) {
    if (!proc.stdin.write(frame)) await new Promise((r) => proc.stdin.once("drain", r));
  }
  proc.stdin.end();
  await done;
}

/** Encoder arguments per container, for small fast test videos. */
export const ENCODE: Record<string, string[]> = {
  mp4: ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart"],
  mov: ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "mov"],
  mkv: ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "matroska"],
  webm: ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k", "-f", "webm"],
  av1: ["-c:v", "libsvtav1", "-preset", "12", "-pix_fmt", "yuv420p", "-f", "mp4"],
  avi: ["-c:v", "mjpeg", "-q:v", "5", "-f", "avi"],
};

/** Re-encodes a video (other size, codec, start) the way a re-upload would. */
export async function reencode(input: string, out: string, args: string[]): Promise<void> {
  await ffmpeg(["-i", input, ...args, out]);
}

/** An animated GIF / WebP / APNG of scene frames (sharp for GIF and WebP, ffmpeg for APNG). */
export async function sceneAnimation(out: string, format: "gif" | "webp" | "apng", o: SceneOptions, delayMs = 100): Promise<void> {
  if (format === "apng") {
    await sceneVideo(out, { ...o, fps: 1000 / delayMs }, ["-plays", "0", "-f", "apng"]);
    return;
  }
  const w = o.width ?? 160;
  const h = o.height ?? 120;
  const frames: Buffer[] = [];
  for await (const f of sceneFrames({ ...o, fps: 1000 / delayMs })) frames.push(await sharp(f, { raw: { width: w, height: h, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer());
  const joined = sharp(frames, { join: { animated: true } });
  const delay = frames.map(() => delayMs);
  writeFileSync(out, await (format === "gif" ? joined.gif({ loop: 0, delay }) : joined.webp({ loop: 0, delay, quality: 80 })).toBuffer());
}

/** pids of the ffmpeg and ffprobe processes whose arguments mention `marker`: what a test expects to be gone. */
export function processesMentioning(marker: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (/(^|\/)(ffmpeg|ffprobe)$/.test(argv[0]!) && argv.some((a) => a.includes(marker))) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** A small PNG of a smooth picture. */
export async function picturePng(seed: number, width = 160, height = 120): Promise<Buffer> {
  return sharp(await smoothPicture(width, height, seed), { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/**
 * Bad media, each made the way it goes wrong in real inboxes, with the reason the hasher must
 * give: file name -> reason. Written into `dir`.
 */
export async function makeBadMedia(dir: string): Promise<Record<string, string>> {
  const at = (name: string) => path.join(dir, name);
  // moov at the end (no faststart), cut before it: the index is gone.
  await sceneVideo(at("indexless.mp4"), { seed: 6, seconds: 4 }, ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "mp4"]);
  const mp4 = readFileSync(at("indexless.mp4"));
  writeFileSync(at("indexless.mp4"), mp4.subarray(0, mp4.indexOf("moov") - 4));
  // The first bytes of an MP4 only (fewer than the hasher sniffs).
  writeFileSync(at("stub.mp4"), mp4.subarray(0, 40));
  // A WebM copy that stopped halfway.
  await sceneVideo(at("half.webm"), { seed: 6, seconds: 4 }, ENCODE.webm!);
  const webm = readFileSync(at("half.webm"));
  writeFileSync(at("half.webm"), webm.subarray(0, webm.length >> 1));
  writeFileSync(at("random.mp4"), Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919 + 13) % 251)));
  writeFileSync(at("empty.mp4"), Buffer.alloc(0));
  // A raw-video AVI whose headers claim 15000x15000 frames (ffmpeg itself refuses sizes past 2^28 pixels).
  await sceneVideo(at("huge.avi"), { seed: 6, seconds: 1 }, ["-c:v", "rawvideo", "-pix_fmt", "bgr24", "-f", "avi"]);
  const avi = readFileSync(at("huge.avi"));
  const strf = avi.indexOf("strf");
  const avih = avi.indexOf("avih");
  for (const off of [strf + 12, strf + 16]) avi.writeInt32LE(15_000, off);
  for (const off of [avih + 8 + 32, avih + 8 + 36]) avi.writeUInt32LE(15_000, off);
  writeFileSync(at("huge.avi"), avi);
  // An MKV whose codec no decoder knows.
  await sceneVideo(at("codec.mkv"), { seed: 6, seconds: 2 }, ENCODE.mkv!);
  const mkv = readFileSync(at("codec.mkv"));
  mkv.write("V_ZZZZZ/ZZZ/ZZZ", mkv.indexOf("V_MPEG4/ISO/AVC"), "latin1");
  writeFileSync(at("codec.mkv"), mkv);
  const png = await picturePng(1);
  // 64 MiB of zeros in a few KiB: a compression ratio far past the limit.
  writeFileSync(at("bomb.zip"), zipSync({ "a.png": png, "zeros.bin": new Uint8Array(64 << 20) }, { level: 9 }));
  // A central directory and local header that say 100 bytes for an entry that inflates to more.
  const liar = Buffer.from(zipSync({ "a.png": png }, { level: 9 }));
  liar.writeUInt32LE(100, liar.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 24);
  liar.writeUInt32LE(100, 22);
  writeFileSync(at("liar.zip"), liar);
  writeFileSync(at("escape.zip"), zipSync({ "../../evil.png": png }));
  writeFileSync(at("plain.png"), png);
  execFileSync("zip", ["-q", "-j", "-P", "secret", at("locked.zip"), at("plain.png")]);
  return {
    // Ends before its container says it does: dedup waits for it (BOORU_SETTLE_MAX), then rejects it.
    "indexless.mp4": "truncated",
    "half.webm": "truncated",
    "stub.mp4": "truncated",
    "random.mp4": "unsupported",
    "empty.mp4": "corrupt",
    "huge.avi": "too-many-pixels",
    "codec.mkv": "unsupported-codec",
    "bomb.zip": "archive-bomb",
    "liar.zip": "archive-bomb",
    "escape.zip": "unsafe-path",
    "locked.zip": "encrypted",
  };
}
