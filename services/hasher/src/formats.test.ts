import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp, { type Sharp } from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { hamming } from "./imagehash.js";
import { hashLocalFile } from "./local.js";

const tmp = mkdtempSync(path.join(tmpdir(), "hasher-formats-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * A smooth random picture (16x12 noise scaled up): energy at every low frequency, like a
 * photo, so perceptual hashes are stable (hard-edged synthetic patterns are not).
 */
async function picture(width: number, height: number, seed = 1): Promise<Sharp> {
  const raw = Buffer.alloc(16 * 12 * 3);
  let s = seed;
  for (let i = 0; i < raw.length; i++) raw[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  const png = await sharp(raw, { raw: { width: 16, height: 12, channels: 3 } }).resize(width, height, { kernel: "cubic" }).png().toBuffer();
  return sharp(png);
}

async function file(name: string, img: Sharp): Promise<string> {
  const p = path.join(tmp, name);
  writeFileSync(p, await img.toBuffer());
  return p;
}

describe("formats", () => {
  it("reads JPEG, PNG, WebP, AVIF, TIFF and GIF alike", async () => {
    const ref = (await hashLocalFile(await file("ref.png", (await picture(320, 240)).png()))).hashes!;
    const cases = {
      jpeg: (await picture(320, 240)).jpeg({ quality: 90 }),
      webp: (await picture(320, 240)).webp({ quality: 90 }),
      avif: (await picture(320, 240)).avif({ quality: 80 }),
      tiff: (await picture(320, 240)).tiff(),
      gif: (await picture(320, 240)).gif(),
    };
    for (const [format, img] of Object.entries(cases)) {
      const res = await hashLocalFile(await file(`x.${format}`, img), { thumbnail: true });
      expect(res.info, format).toMatchObject({ format, width: 320, height: 240, frames: 1 });
      expect(res.thumbnail!.width, format).toBe(320);
      expect(hamming(res.hashes!.phash256, ref.phash256), format).toBeLessThanOrEqual(12);
      expect(hamming(res.hashes!.blockhash256, ref.blockhash256), format).toBeLessThanOrEqual(12);
    }
  });

  it("hashes frame 0 of an animated GIF and reports the frame count", async () => {
    const frames = [await (await picture(200, 100)).png().toBuffer(), await (await picture(200, 100, 7)).png().toBuffer()];
    const anim = await file("anim.gif", sharp(frames, { join: { animated: true } }).gif());
    const first = await file("first.png", sharp(frames[0]!));
    const second = await file("second.png", sharp(frames[1]!));
    const res = await hashLocalFile(anim);
    expect(res.info).toMatchObject({ format: "gif", width: 200, height: 100, frames: 2 });
    const [firstHash, secondHash] = [(await hashLocalFile(first)).hashes!, (await hashLocalFile(second)).hashes!];
    expect(hamming(res.hashes!.phash256, firstHash.phash256)).toBeLessThanOrEqual(12);
    expect(hamming(res.hashes!.phash256, secondHash.phash256)).toBeGreaterThan(60);
  });
});
