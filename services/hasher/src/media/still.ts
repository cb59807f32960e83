/**
 * Still images sharp's prebuilt libvips does not read, decoded by ffmpeg's maintained decoders
 * into raw pixels that then take the same path as every image: BMP (ffmpeg's own decoder:
 * every bit depth, RLE, bitfields) through stdin, and JPEG XL (libjxl) from a file: ffmpeg
 * 5.1 reads a JPEG XL from a pipe in pieces libjxl cannot decode, so the caller gives it a temp
 * file of ours (under a generated name).
 */
import { invalid, Reason } from "@booru/runtime";
import { opaque } from "../pillow.js";
import type { RawImage } from "./frames.js";
import { inputArgs, type ToolInput, type Tools } from "./tools.js";
import { NetpbmStream, toolError } from "./video.js";

/** BMP's frame size from its header, so an oversized one is refused before ffmpeg sees it. */
export function bmpSize(bytes: Buffer): { width: number; height: number } {
  if (bytes.length < 26) throw invalid(Reason.CORRUPT, "truncated BMP header");
  if (bytes.readUInt32LE(14) === 12) return { width: bytes.readUInt16LE(18), height: bytes.readUInt16LE(20) };
  return { width: Math.abs(bytes.readInt32LE(18)), height: Math.abs(bytes.readInt32LE(22)) };
}

const DEMUXERS = { bmp: "bmp_pipe", jxl: "jpegxl_pipe" } as const;

/** @param head the file's first bytes (a BMP's header says its size) */
export async function ffmpegStill(tools: Tools, input: ToolInput, head: Buffer, format: keyof typeof DEMUXERS, maxPixels: number, signal: AbortSignal): Promise<RawImage> {
  if (format === "bmp") {
    const { width, height } = bmpSize(head);
    if (width * height > maxPixels) throw invalid(Reason.TOO_MANY_PIXELS, `${width}x${height} is more than ${maxPixels} pixels`);
  }
  const inp = inputArgs(input, DEMUXERS[format]);
  const args = ["-hide_banner", "-loglevel", "error", "-max_pixels", String(maxPixels), ...inp.args, "-frames:v", "1", "-f", "image2pipe", "-c:v", "pam", "-pix_fmt", "rgba", "pipe:1"];
  const parser = new NetpbmStream(1);
  try {
    await tools.run("ffmpeg", args, { signal, stdin: inp.stdin, onStdout: (c) => void parser.push(c) });
  } catch (err) {
    throw toolError(err, `cannot decode the ${format === "bmp" ? "BMP" : "JPEG XL"} image`);
  }
  const img = parser.images[0];
  if (!img) throw invalid(Reason.CORRUPT, `cannot decode the ${format === "bmp" ? "BMP" : "JPEG XL"} image`);
  return opaque(img.pixels) ? dropAlpha(img) : img;
}

/** RGBA with every pixel opaque as RGB: what the image path does for files without alpha. */
function dropAlpha(img: RawImage): RawImage {
  const n = img.width * img.height;
  const rgb = Buffer.allocUnsafe(n * 3);
  for (let i = 0, j = 0; i < n * 4; i += 4, j += 3) {
    rgb[j] = img.pixels[i]!;
    rgb[j + 1] = img.pixels[i + 1]!;
    rgb[j + 2] = img.pixels[i + 2]!;
  }
  return { ...img, pixels: rgb, channels: 3 };
}
