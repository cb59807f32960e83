/**
 * The malformed-input corpus: valid headers with truncated or random bodies at many cut points
 * (JPEG, PNG, GIF, WebP), bit flips, wrong extensions, huge declared dimensions, a real
 * decompression bomb, animated GIFs with thousands of frames, EXIF bombs and nested EXIF.
 * Deterministic for a seed. Every case must end "ingested" or "rejected with a reason".
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { crc32 } from "node:zlib";
import sharp from "sharp";
import { exifBlock, findJpegMarker, gifFrames, pngBomb, prng, randomBytes, rgbPng, withJpegSegments } from "./encode.js";

export interface FuzzCase {
  /** File name with the extension the case is dropped under. */
  name: string;
  bytes: Buffer;
  /** True when no decoder could honestly accept it (the pipeline must reject it). */
  mustReject: boolean;
}

export interface CorpusOptions {
  seed?: number;
  /** Include the multi-megabyte cases (decompression bomb, many EXIF segments). */
  big?: boolean;
}

type Format = "jpeg" | "png" | "gif" | "webp";
const EXT: Record<Format, string> = { jpeg: "jpg", png: "png", gif: "gif", webp: "webp" };

/** A photo-like 96x64 source: gradients plus noise, so encoders produce real entropy-coded bodies. */
async function sources(seed: number): Promise<Record<Format, Buffer>> {
  const rand = prng(seed);
  const w = 96;
  const h = 64;
  const rgb = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    rgb[i * 3] = ((i % w) * 255) / w;
    rgb[i * 3 + 1] = (Math.floor(i / w) * 255) / h;
    rgb[i * 3 + 2] = Math.floor(rand() * 256);
  }
  const img = () => sharp(rgb, { raw: { width: w, height: h, channels: 3 } });
  return {
    jpeg: await img().jpeg({ quality: 85 }).toBuffer(),
    png: await img().png().toBuffer(),
    gif: await img().gif().toBuffer(),
    webp: await img().webp({ quality: 80 }).toBuffer(),
  };
}

/** Bytes that must stay for the file still to "look like" its format to a sniffer. */
function headerLength(format: Format, file: Buffer): number {
  if (format === "png") return 33; // signature + IHDR
  if (format === "gif") return 13 + 3 * (2 << (file[10] & 7)); // header, screen, global palette
  if (format === "webp") return 30; // RIFF, WEBP, VP8 chunk head, frame tag and size
  const sos = findJpegMarker(file, 0xda);
  return sos > 0 ? sos + 2 + file.readUInt16BE(sos + 2) : 2;
}

function cutPoints(len: number, header: number): number[] {
  const fixed = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, header - 1, header, header + 1];
  const fractions = [0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 0.95, 0.99].map((f) => Math.floor(len * f));
  return [...new Set([...fixed, ...fractions, len - 2, len - 1])].filter((c) => c > 0 && c < len).sort((a, b) => a - b);
}

function perFormat(format: Format, file: Buffer, rand: () => number): FuzzCase[] {
  const ext = EXT[format];
  const header = headerLength(format, file);
  const cases: FuzzCase[] = [];
  for (const cut of cutPoints(file.length, header)) {
    // A handful of bytes cannot be an image of any format.
    cases.push({ name: `${format}-cut-${String(cut).padStart(5, "0")}.${ext}`, bytes: file.subarray(0, cut), mustReject: cut <= 16 });
  }
  for (const frac of [0.5, 1, 2]) {
    const body = randomBytes(rand, Math.max(1, Math.floor((file.length - header) * frac)));
    cases.push({ name: `${format}-randbody-${frac}.${ext}`, bytes: Buffer.concat([file.subarray(0, header), body]), mustReject: false });
  }
  for (const flips of [1, 8, 64]) {
    const b = Buffer.from(file);
    for (let i = 0; i < flips; i++) b[header + Math.floor(rand() * (b.length - header))] ^= 1 << Math.floor(rand() * 8);
    cases.push({ name: `${format}-flip-${flips}.${ext}`, bytes: b, mustReject: false });
  }
  return cases;
}

function hugeDimensions(src: Record<Format, Buffer>): FuzzCase[] {
  const png = Buffer.from(src.png);
  png.writeUInt32BE(65535, 16);
  png.writeUInt32BE(65535, 20);
  // The IHDR CRC no longer matches; a second copy with a fixed CRC tests the limit, not the CRC.
  const pngFixed = rgbPng(1, 1, Buffer.alloc(3));
  pngFixed.writeUInt32BE(65535, 16);
  pngFixed.writeUInt32BE(65535, 20);
  pngFixed.writeUInt32BE(crc32(pngFixed.subarray(12, 29)), 29);
  const jpeg = Buffer.from(src.jpeg);
  const sof = findJpegMarker(jpeg, 0xc0);
  if (sof > 0) {
    jpeg.writeUInt16BE(65500, sof + 5);
    jpeg.writeUInt16BE(65500, sof + 7);
  }
  const gif = Buffer.from(src.gif);
  gif.writeUInt16LE(65535, 6);
  gif.writeUInt16LE(65535, 8);
  const webp = Buffer.from(src.webp);
  // VP8 key frame: 14-bit width/height right after the start code (offset 26 and 28 in the file).
  webp.writeUInt16LE(0x3fff, 26);
  webp.writeUInt16LE(0x3fff, 28);
  return [
    { name: "huge-png-badcrc.png", bytes: png, mustReject: true },
    { name: "huge-png-65535.png", bytes: pngFixed, mustReject: true },
    { name: "huge-jpeg-65500.jpg", bytes: jpeg, mustReject: true },
    { name: "huge-gif-65535.gif", bytes: gif, mustReject: false },
    { name: "huge-webp-16383.webp", bytes: webp, mustReject: true },
  ];
}

function exifBombs(jpeg: Buffer, big: boolean): FuzzCase[] {
  const app1 = (payload: Buffer) => ({ marker: 0xe1, payload });
  const orientation = (value: number) => ({ tag: 0x0112, type: 3, count: 1, value });
  // IFD0 at offset 8; its "next IFD" offset points back at itself: a parser that follows it loops.
  const loop = exifBlock([orientation(1)], 8);
  // Declares 65535 entries but carries one.
  const lying = exifBlock([orientation(6)], 0, 65535);
  // One entry claiming 4 G values at an offset past the end.
  const hugeCount = exifBlock([{ tag: 0x010e, type: 2, count: 0xffffffff, value: 0xfffffff0 }]);
  // An ExifIFD pointer (0x8769) to itself: recursion instead of iteration.
  const selfPointer = exifBlock([{ tag: 0x8769, type: 4, count: 1, value: 8 }, orientation(3)]);
  const badOrientation = exifBlock([orientation(9999)]);
  // Nested: the EXIF thumbnail is a JPEG whose EXIF has a thumbnail ... 12 levels deep.
  let nested = jpeg;
  for (let depth = 0; depth < 12; depth++) {
    const thumb = nested.subarray(0, Math.min(nested.length, 30_000));
    const tail = Buffer.from(thumb);
    const ifd = exifBlock([{ tag: 0x0201, type: 4, count: 1, value: 8 + 2 + 2 * 12 + 4 }, { tag: 0x0202, type: 4, count: 1, value: tail.length }], 0, undefined, tail);
    nested = withJpegSegments(jpeg, [app1(ifd)]);
  }
  const cases: FuzzCase[] = [
    { name: "exif-loop.jpg", bytes: withJpegSegments(jpeg, [app1(loop)]), mustReject: false },
    { name: "exif-lying-count.jpg", bytes: withJpegSegments(jpeg, [app1(lying)]), mustReject: false },
    { name: "exif-huge-count.jpg", bytes: withJpegSegments(jpeg, [app1(hugeCount)]), mustReject: false },
    { name: "exif-self-pointer.jpg", bytes: withJpegSegments(jpeg, [app1(selfPointer)]), mustReject: false },
    { name: "exif-bad-orientation.jpg", bytes: withJpegSegments(jpeg, [app1(badOrientation)]), mustReject: false },
    { name: "exif-nested.jpg", bytes: nested, mustReject: false },
    { name: "exif-many-small.jpg", bytes: withJpegSegments(jpeg, Array.from({ length: 2000 }, () => app1(loop))), mustReject: false },
  ];
  if (big) {
    // ~6 MB of EXIF: 100 maximal APP1 segments, each a valid TIFF header followed by padding.
    const fat = Buffer.concat([loop, Buffer.alloc(65533 - loop.length)]);
    cases.push({ name: "exif-fat.jpg", bytes: withJpegSegments(jpeg, Array.from({ length: 100 }, () => app1(fat))), mustReject: false });
  }
  return cases;
}

function misnamed(src: Record<Format, Buffer>, rand: () => number): FuzzCase[] {
  return [
    // Real images under another format's extension: content decides, so these may be ingested.
    { name: "png-named.jpg", bytes: src.png, mustReject: false },
    { name: "jpeg-named.png", bytes: src.jpeg, mustReject: false },
    { name: "webp-named.gif", bytes: src.webp, mustReject: false },
    { name: "gif-named.webp", bytes: src.gif, mustReject: false },
    // Not images at all.
    { name: "empty.jpg", bytes: Buffer.alloc(0), mustReject: true },
    { name: "text.jpg", bytes: Buffer.from("this is not an image, just some text\n".repeat(40)), mustReject: true },
    { name: "html.png", bytes: Buffer.from("<!doctype html><html><body><img src=x onerror=alert(1)></body></html>\n"), mustReject: true },
    { name: "random.webp", bytes: randomBytes(rand, 4096), mustReject: true },
    { name: "zeros.gif", bytes: Buffer.alloc(4096), mustReject: true },
    // A GIF signature on a PNG body, and a RIFF container holding no WebP.
    { name: "gif-head-png-body.gif", bytes: Buffer.concat([Buffer.from("GIF89a", "latin1"), src.png.subarray(6)]), mustReject: false },
    { name: "riff-wave.webp", bytes: Buffer.concat([Buffer.from("RIFF\x24\x00\x00\x00WAVEfmt ", "latin1"), randomBytes(rand, 28)]), mustReject: true },
  ];
}

export async function generateCorpus(opts: CorpusOptions = {}): Promise<FuzzCase[]> {
  const seed = opts.seed ?? 8;
  const rand = prng(seed);
  const src = await sources(seed);
  const cases: FuzzCase[] = [];
  for (const format of Object.keys(EXT) as Format[]) cases.push(...perFormat(format, src[format], rand));
  cases.push(...hugeDimensions(src));
  cases.push(...exifBombs(src.jpeg, opts.big ?? true));
  cases.push(...misnamed(src, rand));
  cases.push(
    { name: "gif-3000-frames.gif", bytes: gifFrames(3000, 64, 64), mustReject: false },
    { name: "gif-20000-frames.gif", bytes: gifFrames(20000, 16, 16), mustReject: false },
    { name: "gif-5000-frames-4k.gif", bytes: gifFrames(5000, 4000, 4000), mustReject: false },
  );
  if (opts.big ?? true) cases.push({ name: "png-bomb-30000.png", bytes: pngBomb(30000, 30000), mustReject: true });
  return cases;
}

/** Writes the cases into `dir` (created) and returns their paths. */
export function writeCorpus(dir: string, cases: FuzzCase[]): string[] {
  mkdirSync(dir, { recursive: true });
  return cases.map((c) => {
    const file = path.join(dir, c.name);
    writeFileSync(file, c.bytes);
    return file;
  });
}
