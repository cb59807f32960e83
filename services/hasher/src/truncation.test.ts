import sharp, { type Sharp } from "sharp";
import { describe, expect, it } from "vitest";
import { decode } from "./decode.js";
import { reasonName, type AppError } from "@booru/runtime";
import { endsEarly } from "./truncation.js";

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
  };
}

const reasonOfDecode = (bytes: Buffer) =>
  decode(bytes, { maxPixels: 1e8, timeoutMs: 10_000, thumbSide: 512 }).then(
    () => "decoded",
    (err: AppError) => (err.reason ? reasonName(err.reason) : err.message),
  );

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

  it("are refused as truncated, damaged files as corrupt, by the decode", async () => {
    const all = await encodings();
    for (const format of ["jpeg", "png", "webp", "gif", "tiff", "avif"]) {
      const whole = all[format]!;
      expect(await reasonOfDecode(whole.subarray(0, Math.floor(whole.length * 0.6))), format).toBe("truncated");
    }
    // Damaged but complete: the framing ends where it says, the data inside is wrong.
    const png = Buffer.from(all.png!);
    for (let i = 200; i < 400; i++) png[i]! ^= 0x5a;
    expect(await reasonOfDecode(png)).toBe("corrupt");
    const gif = Buffer.from(all.gif!);
    gif[13 + 3 * 256] = 0x99; // not a block a GIF can have
    expect(await reasonOfDecode(gif)).toBe("corrupt");
    expect(await reasonOfDecode(Buffer.from("just some text, not an image\n".repeat(10)))).toBe("unsupported");
  });
});
