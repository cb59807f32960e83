/**
 * Every kind a booru inbox holds, through the hasher's public path (HashService, as the gRPC
 * server and `booru hash` run it), on media made here by ffmpeg: videos in each container,
 * animations, archives, BMP, HEIC and JPEG XL; signatures of copies near, of others far; and
 * after every bad file, no ffmpeg left running.
 */
import { execFileSync } from "node:child_process";
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasherV1 } from "@booru/proto";
import { reasonName, reasonOf as reasonOfError } from "@booru/runtime";
import { zipSync } from "fflate";
import { ENCODE, ffmpeg, haveFfmpeg, hasEncoder, makeBadMedia, picturePng, processesMentioning, reencode, sceneAnimation, sceneFrames, sceneVideo, smoothPicture } from "../../../../test/harness/media.js";
import { hamming } from "../imagehash.js";
import { createHashPool } from "../pool.js";
import { HashService } from "../service.js";
import { defaultHasherConfig, type HasherConfig } from "../settings.js";
import { DEFAULT_SIGNATURE_DISTANCE, parseSignature, signatureDistance } from "../signature.js";
import { NEAR_BLACK } from "./frames.js";
import { Tools } from "./tools.js";
import { probeVideo, sampleTimes, seekIsCheaper } from "./video.js";

const K = hasherV1.MediaKind;
const ok = haveFfmpeg();
const dir = mkdtempSync(path.join(tmpdir(), "hasher-media-"));
const temp = mkdtempSync(path.join(tmpdir(), "hasher-media-temp-"));
const f = (name: string) => path.join(dir, name);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(temp, { recursive: true, force: true });
});

function service(over: Partial<HasherConfig> = {}): HashService {
  return new HashService({ ...defaultHasherConfig(), hasherTempDir: temp, ...over }, createHashPool(0));
}

const svc = service();
const hash = (file: string, s = svc) => s.hash(createReadStream(file, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>, { size: statSync(file).size });
const reasonOf = (file: string, s = svc) =>
  hash(file, s).then(
    () => "hashed",
    (e: Error) => {
      const reason = reasonOfError(e);
      return reason ? reasonName(reason) : `no reason: ${e.message}`;
    },
  );
const distance = (a: hasherV1.HashResponse, b: hasherV1.HashResponse) => signatureDistance(parseSignature(a.hashes!.frameSignature)!, parseSignature(b.hashes!.frameSignature)!);

/** Nothing left behind: no ffmpeg reading our temp files, no temp file. */
function expectNothingLeft(): void {
  expect(processesMentioning(temp)).toEqual([]);
  expect(execFileSync("find", [temp, "-type", "f"], { encoding: "utf8" })).toBe("");
}

describe.skipIf(!ok)("videos", () => {
  beforeAll(async () => {
    await sceneVideo(f("a.mp4"), { seed: 1, seconds: 10, audio: true }, ENCODE.mp4!);
    await sceneVideo(f("b.mp4"), { seed: 2, seconds: 10 }, ENCODE.mp4!);
    await sceneVideo(f("c.webm"), { seed: 3, seconds: 12 }, ENCODE.webm!);
    await reencode(f("a.mp4"), f("a-small.webm"), ["-an", "-vf", "scale=96:72", ...ENCODE.webm!]);
    await reencode(f("a.mp4"), f("a-trimmed.mp4"), ["-ss", "1", ...ENCODE.mp4!]);
    await reencode(f("a.mp4"), f("a-cut.mkv"), ["-t", "9", ...ENCODE.mkv!]);
  }, 240_000);

  it("reads MP4 (H.264, AAC), WebM (VP9), MKV, MOV, AVI (MJPEG) and AV1: kind, codec, duration, frames, audio, a thumbnail", async () => {
    await reencode(f("a.mp4"), f("a.mov"), ["-c", "copy", "-f", "mov"]);
    await reencode(f("a.mp4"), f("a.avi"), ["-an", ...ENCODE.avi!]);
    const av1 = hasEncoder("libsvtav1");
    if (av1) await reencode(f("a.mp4"), f("a-av1.mp4"), ["-an", ...ENCODE.av1!]);
    const cases: [string, string, string, boolean][] = [
      ["a.mp4", "mp4", "h264", true],
      ["a-small.webm", "webm", "vp9", false],
      ["a-cut.mkv", "mkv", "h264", true],
      ["a.mov", "mov", "h264", true],
      ["a.avi", "avi", "mjpeg", false],
      ...(av1 ? [["a-av1.mp4", "mp4", "av1", false] as [string, string, string, boolean]] : []),
    ];
    for (const [name, format, codec, audio] of cases) {
      const res = await hash(f(name));
      const length = name === "a-cut.mkv" ? 9000 : 10_000;
      expect(res.info, name).toMatchObject({ kind: K.VIDEO, format, codec, hasAudio: audio, mime: expect.stringMatching(/^video\//) });
      expect(Math.abs(res.info!.durationMs - length), name).toBeLessThanOrEqual(100);
      expect(res.info!.frames, name).toBe(length / 100);
      expect(res.info!.frameRate, name).toBeCloseTo(10, 1);
      expect(res.hashes!.frameSignature, name).toMatch(/^[0-9a-f]{256}$/);
      expect(res.hashes!.phash64, name).toMatch(/^[0-9a-f]{16}$/);
      const thumb = await sharp(res.thumbnail!.data).metadata();
      expect([thumb.width, thumb.height], name).toEqual(name === "a-small.webm" ? [96, 72] : [160, 120]);
    }
    expectNothingLeft();
  }, 240_000);

  it("finds re-encoded, resized and trimmed copies within the default distance, and unrelated videos far beyond it", async () => {
    const [a, small, trimmed, cut, b, c] = await Promise.all(["a.mp4", "a-small.webm", "a-trimmed.mp4", "a-cut.mkv", "b.mp4", "c.webm"].map((n) => hash(f(n))));
    for (const copy of [small!, trimmed!, cut!]) expect(distance(a!, copy)).toBeLessThanOrEqual(DEFAULT_SIGNATURE_DISTANCE / 2);
    for (const other of [b!, c!]) {
      expect(distance(a!, other)).toBeGreaterThan(2 * DEFAULT_SIGNATURE_DISTANCE);
      expect(distance(small!, other)).toBeGreaterThan(2 * DEFAULT_SIGNATURE_DISTANCE);
    }
    expect(distance(b!, c!)).toBeGreaterThan(2 * DEFAULT_SIGNATURE_DISTANCE);
    // The representative frame is a moment, not a keyframe: the resized re-encode picks the same one.
    expect(hamming(a!.hashes!.phash64, small!.hashes!.phash64)).toBeLessThanOrEqual(8);
    expect(hamming(a!.hashes!.phash64, b!.hashes!.phash64)).toBeGreaterThan(16);
  }, 120_000);

  it("takes the representative frame past a black opening, and reports a rotated phone video's orientation", async () => {
    await sceneVideo(f("black.mp4"), { seed: 4, seconds: 10, blackSeconds: 3 }, ENCODE.mp4!);
    const res = await hash(f("black.mp4"));
    const stats = await sharp(res.thumbnail!.data).stats();
    expect(stats.channels.slice(0, 3).reduce((s, c) => s + c.mean, 0) / 3).toBeGreaterThan(NEAR_BLACK);
    await reencode(f("a.mp4"), f("rotated.mp4"), ["-c", "copy", "-metadata:s:v:0", "rotate=90"]);
    const rotated = await hash(f("rotated.mp4"));
    // As stored, with the rotation ffmpeg displays it with (which way a rotate tag turns differs between ffmpeg versions).
    expect(rotated.info).toMatchObject({ width: 160, height: 120 });
    expect([6, 8]).toContain(rotated.info!.orientation);
    expect([rotated.thumbnail!.width, rotated.thumbnail!.height]).toEqual([120, 160]);
  }, 120_000);

  it("decodes a long video by seeking and a short one in one pass, to the same frames", async () => {
    // The same two minutes: keyframes every second (seeking is cheaper) or every minute (one pass is).
    await sceneVideo(f("long-seek.mp4"), { seed: 5, seconds: 120 }, [...ENCODE.mp4!, "-g", "10"]);
    await reencode(f("long-seek.mp4"), f("long-pass.mp4"), [...ENCODE.mp4!, "-g", "600"]);
    const tools = new Tools(2);
    const limits = { maxPixels: 1e8, maxDurationMs: 1e9, maxFrames: 1e9 };
    const signal = AbortSignal.timeout(60_000);
    const seek = await probeVideo(tools, { path: f("long-seek.mp4") }, limits, signal);
    const pass = await probeVideo(tools, { path: f("long-pass.mp4") }, limits, signal);
    expect(seekIsCheaper(seek, sampleTimes(seek))).toBe(true);
    expect(seekIsCheaper(pass, sampleTimes(pass))).toBe(false);
    const [s, p] = [await hash(f("long-seek.mp4")), await hash(f("long-pass.mp4"))];
    expect(distance(s, p)).toBeLessThanOrEqual(1);
    expect(hamming(s.hashes!.phash64, p.hashes!.phash64)).toBeLessThanOrEqual(6);
  }, 240_000);
});

describe.skipIf(!ok)("animations", () => {
  beforeAll(async () => {
    await sceneVideo(f("anim-src.mp4"), { seed: 1, seconds: 10 }, ENCODE.mp4!);
    await sceneAnimation(f("a.gif"), "gif", { seed: 1, seconds: 10 });
    await sceneAnimation(f("a.webp"), "webp", { seed: 1, seconds: 10 });
    await sceneAnimation(f("a.apng"), "apng", { seed: 1, seconds: 10 });
    await sceneAnimation(f("a-small.webp"), "webp", { seed: 1, seconds: 10, width: 120, height: 90 });
    await sceneAnimation(f("b.gif"), "gif", { seed: 2, seconds: 10 });
  }, 240_000);

  it("GIF, WebP and APNG: frame count, duration, the hashes of frame 0 exactly as for a still of it, a still thumbnail", async () => {
    for (const [name, format, mime] of [["a.gif", "gif", "image/gif"], ["a.webp", "webp", "image/webp"], ["a.apng", "png", "image/apng"]]) {
      const res = await hash(f(name!));
      expect(res.info, name).toMatchObject({ kind: K.ANIMATION, format, mime, frames: 100, durationMs: 10_000 });
      expect(res.info!.frameRate, name).toBeCloseTo(10, 3);
      // Frame 0 on its own, decoded by another decoder for APNG (ffmpeg) than the hasher's (sharp).
      const still = f(`${name}-frame0.png`);
      if (format === "png") await ffmpeg(["-i", f(name!), "-frames:v", "1", still]);
      else writeFileSync(still, await sharp(f(name!), { page: 0 }).png().toBuffer());
      const frame0 = await hash(still);
      expect(res.hashes!.phash256, name).toBe(frame0.hashes!.phash256);
      expect(res.hashes!.blockhash256, name).toBe(frame0.hashes!.blockhash256);
      const thumb = await sharp(res.thumbnail!.data, { pages: -1 }).metadata();
      expect(thumb.pages ?? 1, name).toBe(1);
    }
  }, 120_000);

  it("signatures: a resized, re-encoded copy and the same frames as an MP4 are near; another animation is far", async () => {
    const [gif, webp, apng, small, mp4, other] = await Promise.all(["a.gif", "a.webp", "a.apng", "a-small.webp", "anim-src.mp4", "b.gif"].map((n) => hash(f(n))));
    for (const copy of [webp!, apng!, small!, mp4!]) expect(distance(gif!, copy)).toBeLessThanOrEqual(DEFAULT_SIGNATURE_DISTANCE / 2);
    expect(distance(gif!, other!)).toBeGreaterThan(2 * DEFAULT_SIGNATURE_DISTANCE);
    expect(distance(small!, other!)).toBeGreaterThan(2 * DEFAULT_SIGNATURE_DISTANCE);
  }, 120_000);

  it("too-many-frames and too-long past the limits, for animations and videos", async () => {
    expect(await reasonOf(f("a.gif"), service({ hasherMaxAnimationFrames: 50 }))).toBe("too-many-frames");
    expect(await reasonOf(f("a.apng"), service({ hasherMaxAnimationFrames: 50 }))).toBe("too-many-frames");
    expect(await reasonOf(f("a.webp"), service({ hasherMaxDuration: 5_000 }))).toBe("too-long");
    expect(await reasonOf(f("anim-src.mp4"), service({ hasherMaxDuration: 5_000 }))).toBe("too-long");
    expect(await reasonOf(f("anim-src.mp4"), service({ hasherMaxFrames: 50 }))).toBe("too-many-frames");
    expectNothingLeft();
  }, 120_000);
});

describe.skipIf(!ok)("still formats beyond sharp's", () => {
  it("BMP (24-bit, 32-bit with alpha), HEIC and JPEG XL hash like the PNG they were made from", async () => {
    writeFileSync(f("ref.png"), await sharp(await smoothPicture(320, 240, 9), { raw: { width: 320, height: 240, channels: 3 } }).png().toBuffer());
    await ffmpeg(["-i", f("ref.png"), f("ref.bmp")]);
    await ffmpeg(["-i", f("ref.png"), "-pix_fmt", "bgra", f("ref32.bmp")]);
    await ffmpeg(["-i", f("ref.png"), "-c:v", "libjxl", f("ref.jxl")]);
    execFileSync("heif-enc", ["-q", "90", "-o", f("ref.heic"), f("ref.png")], { stdio: "ignore" });
    const ref = await hash(f("ref.png"));
    for (const [name, format, mime] of [["ref.bmp", "bmp", "image/bmp"], ["ref32.bmp", "bmp", "image/bmp"], ["ref.heic", "heic", "image/heic"], ["ref.jxl", "jxl", "image/jxl"]]) {
      const res = await hash(f(name!));
      expect(res.info, name).toMatchObject({ kind: K.IMAGE, format, mime, width: 320, height: 240, frames: 1 });
      expect(hamming(res.hashes!.phash256, ref.hashes!.phash256), name).toBeLessThanOrEqual(12);
      expect(hamming(res.hashes!.blockhash256, ref.hashes!.blockhash256), name).toBeLessThanOrEqual(12);
      expect(res.thumbnail, name).toMatchObject({ width: 320, height: 240 });
    }
    expect(await reasonOf(f("ref.heic"), service({ hasherMaxPixels: 10_000 }))).toBe("too-many-pixels");
    expect(await reasonOf(f("ref.bmp"), service({ hasherMaxPixels: 10_000 }))).toBe("too-many-pixels");
  }, 120_000);
});

const png = (seed: number) => picturePng(seed);

describe.skipIf(!ok)("archives", () => {
  it("zip and cbz: hashes and thumbnail of the first image in natural name order, the entry count", async () => {
    const [p1, p2, p10] = [await png(21), await png(22), await png(23)];
    writeFileSync(f("book.cbz"), zipSync({ "vol/page10.png": p10, "vol/page2.png": p2, "vol/page1.png": p1, "vol/": new Uint8Array(), "notes.txt": Buffer.from("hi"), "inner.zip": zipSync({ "x.png": p10 }) }));
    writeFileSync(f("page1.png"), p1);
    const [book, first] = [await hash(f("book.cbz")), await hash(f("page1.png"))];
    expect(book.info).toMatchObject({ kind: K.ARCHIVE, format: "zip", mime: "application/zip", entries: 6, width: 160, height: 120 });
    expect(book.hashes!.phash256).toBe(first.hashes!.phash256);
    expect(book.hashes!.frameSignature).toBe("");
    expect(book.thumbnail).toMatchObject({ width: 160, height: 120 });
    writeFileSync(f("only-zips.zip"), zipSync({ "inner.zip": zipSync({ "x.png": p10 }), "more.cbz": zipSync({ "y.png": p2 }) }));
    expect(await reasonOf(f("only-zips.zip"))).toBe("unsupported");
  });

  it("ugoira: frames in animation.json order with their delays, duration and signature; without it, numbered frames", async () => {
    const frames: Record<string, Uint8Array> = {};
    const list: { file: string; delay: number }[] = [];
    let i = 0;
    for await (const raw of sceneFrames({ seed: 1, seconds: 10, fps: 5 })) {
      const name = `${String(i++).padStart(6, "0")}.jpg`;
      frames[name] = await sharp(raw, { raw: { width: 160, height: 120, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
      list.push({ file: name, delay: 200 });
    }
    writeFileSync(f("ugoira.zip"), zipSync({ ...frames, "animation.json": Buffer.from(JSON.stringify({ ugokuIllustData: { frames: list } })) }, { level: 0 }));
    writeFileSync(f("ugoira-bare.zip"), zipSync(frames, { level: 0 }));
    const [u, bare, gif] = [await hash(f("ugoira.zip")), await hash(f("ugoira-bare.zip")), await hash(f("a.gif"))];
    expect(u.info).toMatchObject({ kind: K.ANIMATION, format: "ugoira", frames: 50, durationMs: 10_000, entries: 51 });
    expect(u.info!.frameRate).toBeCloseTo(5, 3);
    expect(bare.info).toMatchObject({ kind: K.ANIMATION, format: "ugoira", frames: 50, durationMs: 0, frameRate: 0 });
    expect(distance(u, gif)).toBeLessThanOrEqual(DEFAULT_SIGNATURE_DISTANCE / 2);
    expect(distance(bare, u)).toBeLessThanOrEqual(1);
    writeFileSync(f("frame0.jpg"), frames["000000.jpg"]!);
    expect(u.hashes!.phash256).toBe((await hash(f("frame0.jpg"))).hashes!.phash256);
  });
});

describe.skipIf(!ok)("bad files: the right reason, and no ffmpeg left running", () => {
  const bad = mkdtempSync(path.join(tmpdir(), "hasher-bad-"));
  let reasons: Record<string, string> = {};
  beforeAll(async () => {
    reasons = await makeBadMedia(bad);
  }, 120_000);
  afterAll(() => rmSync(bad, { recursive: true, force: true }));

  it("an MP4 without its index, a WebM cut halfway, the first 40 bytes of an MP4, random bytes named .mp4, an empty file, a header claiming 15000x15000, an unknown codec, a zip bomb, a lying size, ../ names, an encrypted zip", async () => {
    const got: Record<string, string> = {};
    for (const name of Object.keys(reasons)) got[name] = await reasonOf(path.join(bad, name));
    expect(got).toEqual(reasons);
    expectNothingLeft();
  }, 60_000);

  it("archive limits: too many entries, too many bytes unpacked, an absolute entry name", async () => {
    const many: Record<string, Uint8Array> = { "a.png": await png(1) };
    for (let n = 0; n < 30; n++) many[`e${n}.txt`] = Buffer.from(String(n));
    writeFileSync(f("many.zip"), zipSync(many));
    expect(await reasonOf(f("many.zip"), service({ hasherMaxArchiveEntries: 20 }))).toBe("archive-bomb");
    expect(await reasonOf(path.join(bad, "bomb.zip"), service({ hasherMaxArchiveUnpacked: 1 << 20, hasherMaxCompressionRatio: 1e6 }))).toBe("archive-bomb");
    writeFileSync(f("abs.zip"), zipSync({ "/etc/evil.png": await png(1) }));
    expect(await reasonOf(f("abs.zip"))).toBe("unsafe-path");
    expectNothingLeft();
  });

  it("a video past its deadline is cut off, its ffmpeg killed and its temp file removed", async () => {
    // Seconds of decoding in one pass: 40 s of 640x480 with one keyframe.
    await ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=640x480:r=25", "-t", "40", ...ENCODE.mp4!, "-g", "1000", f("heavy.mp4")]);
    const slow = service({ hasherTimeout: 500, hasherMediaTimeout: 500 });
    const started = Date.now();
    const err = await hash(f("heavy.mp4"), slow).then(() => undefined, (e: { code?: number }) => e);
    expect(err?.code).toBe(4); // DEADLINE_EXCEEDED
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect.poll(() => processesMentioning(temp), { timeout: 5_000 }).toEqual([]);
    await expect.poll(() => execFileSync("find", [temp, "-type", "f"], { encoding: "utf8" }), { timeout: 5_000 }).toBe("");
  }, 60_000);
});
