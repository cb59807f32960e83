import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp, { type Sharp } from "sharp";
import { zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reasonName, reasonOf } from "@booru/runtime";
import { ENCODE, haveFfmpeg, sceneVideo } from "../../../test/harness/media.js";
import { createHashPool } from "./pool.js";
import { HashService } from "./service.js";
import { defaultHasherConfig } from "./settings.js";
import { endsEarly, videoEndsEarly } from "./truncation.js";

const dir = mkdtempSync(path.join(tmpdir(), "hasher-truncation-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const service = new HashService({ ...defaultHasherConfig(), hasherTempDir: dir }, createHashPool(0));

/** A photo-like picture: smooth noise, so every encoder writes a real compressed body. */
async function picture(): Promise<Sharp> {
  const raw = Buffer.alloc(24 * 16 * 3);
  let s = 7;
  for (let i = 0; i < raw.length; i++) raw[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return sharp(await sharp(raw, { raw: { width: 24, height: 16, channels: 3 } }).resize(300, 200, { kernel: "cubic" }).png().toBuffer());
}

let encoded: Promise<Record<string, Buffer>> | undefined;
const encodings = () => (encoded ??= encode());

async function encode(): Promise<Record<string, Buffer>> {
  const frames = [await (await picture()).png().toBuffer(), await (await picture()).negate().png().toBuffer()];
  return {
    jpeg: await (await picture()).jpeg({ quality: 90 }).toBuffer(),
    "progressive jpeg": await (await picture()).jpeg({ quality: 90, progressive: true }).toBuffer(),
    png: await (await picture()).png().toBuffer(),
    "interlaced png": await (await picture()).png({ progressive: true }).toBuffer(),
    webp: await (await picture()).webp({ quality: 80 }).toBuffer(),
    "lossless webp": await (await picture()).webp({ lossless: true }).toBuffer(),
    gif: await (await picture()).gif().toBuffer(),
    "animated gif": await sharp(frames, { join: { animated: true } }).gif().toBuffer(),
    tiff: await (await picture()).tiff().toBuffer(),
    avif: await (await picture()).avif({ quality: 60 }).toBuffer(),
    zip: Buffer.from(zipSync({ "a.png": await (await picture()).png().toBuffer(), "b.jpg": await (await picture()).jpeg().toBuffer() })),
  };
}

/** What the hasher answers about these bytes, sent as a client sends them. */
async function reasonOfHash(bytes: Buffer, s = service): Promise<string> {
  const chunks = (async function* () {
    yield bytes;
  })();
  return s.hash(chunks, { size: bytes.length }).then(
    () => "hashed",
    (err: Error) => {
      const reason = reasonOf(err);
      return reason ? reasonName(reason) : err.message;
    },
  );
}

describe("truncated files", () => {
  it("are told apart from whole files in every format, wherever the write stopped", async () => {
    for (const [format, whole] of Object.entries(await encodings())) {
      expect(endsEarly(whole), `${format} whole`).toBe(false);
      for (const fraction of [0.001, 0.05, 0.3, 0.5, 0.8, 0.97]) {
        const cut = whole.subarray(0, Math.max(16, Math.floor(whole.length * fraction)));
        expect(endsEarly(cut), `${format} cut at ${cut.length} of ${whole.length}`).toBe(true);
      }
    }
  });

  it("are refused as truncated, damaged files as corrupt, by the hasher", async () => {
    const all = await encodings();
    for (const format of ["jpeg", "png", "webp", "gif", "tiff", "avif", "zip"]) {
      const whole = all[format]!;
      expect(await reasonOfHash(whole.subarray(0, Math.floor(whole.length * 0.6))), format).toBe("truncated");
    }
    // Also an image large enough to go through a temp file instead of memory.
    const spooling = new HashService({ ...defaultHasherConfig(), hasherTempDir: dir, hasherMemoryBytes: 1024 }, createHashPool(0));
    expect(await reasonOfHash(all.png!.subarray(0, Math.floor(all.png!.length * 0.6)), spooling)).toBe("truncated");
    // Damaged but complete: the framing ends where it says, the data inside is wrong.
    const png = Buffer.from(all.png!);
    for (let i = 200; i < 400; i++) png[i]! ^= 0x5a;
    expect(await reasonOfHash(png)).toBe("corrupt");
    const gif = Buffer.from(all.gif!);
    gif[13 + 3 * 256] = 0x99; // not a block a GIF can have
    expect(await reasonOfHash(gif)).toBe("corrupt");
    expect(await reasonOfHash(Buffer.from("just some text, not an image\n".repeat(10)))).toBe("unsupported");
  });
});

describe.skipIf(!haveFfmpeg())("truncated videos", () => {
  /** Containers as writers leave them: faststart and not, each muxer ffmpeg has for the kinds the hasher reads. */
  const made: Record<string, string[]> = {
    "faststart.mp4": ENCODE.mp4!,
    "index-last.mp4": [...ENCODE.mp4!.filter((a) => a !== "+faststart" && a !== "-movflags"), "-f", "mp4"],
    "clip.mov": ENCODE.mov!,
    "clip.mkv": ENCODE.mkv!,
    "clip.webm": ENCODE.webm!,
    "clip.avi": ENCODE.avi!,
  };

  beforeAll(async () => {
    for (const [name, args] of Object.entries(made)) await sceneVideo(path.join(dir, name), { seed: 2, seconds: 3, audio: /\.(mp4|mov|mkv)$/.test(name) }, args);
  }, 120_000);

  it("are told apart from whole videos in every container, wherever the copy stopped, by their framing alone", async () => {
    for (const name of Object.keys(made)) {
      const file = path.join(dir, name);
      expect(await videoEndsEarly(file), `${name} whole`).toBe(false);
      const whole = readFileSync(file);
      for (const fraction of [0.001, 0.05, 0.3, 0.5, 0.8, 0.99]) {
        const cut = path.join(dir, `cut-${name}`);
        writeFileSync(cut, whole.subarray(0, Math.max(16, Math.floor(whole.length * fraction))));
        expect(await videoEndsEarly(cut), `${name} cut at ${fraction}`).toBe(true);
      }
    }
  }, 120_000);

  it("an MP4 still being written (its mdat open to the end, no index yet) is truncated, not corrupt: dedup waits for it", async () => {
    const file = path.join(dir, "index-last.mp4");
    const whole = readFileSync(file);
    const mdat = whole.indexOf("mdat") - 4;
    const writing = Buffer.from(whole.subarray(0, whole.indexOf("moov") - 4));
    writing.writeUInt32BE(0, mdat); // what ffmpeg's mov muxer writes until it finishes
    expect(await reasonOfHash(writing)).toBe("truncated");
    // A whole MP4 still hashes: the check costs a few reads, not a false alarm.
    expect(await reasonOfHash(whole)).toBe("hashed");
  }, 60_000);
});
