/**
 * Byte-level image builders for the fuzz corpus and the load tests. Hand-written on purpose:
 * an encoder library would refuse to write the malformed structures the corpus needs, and
 * building thousands of tiny PNGs here is much faster than going through sharp.
 */
import { crc32, deflateSync } from "node:zlib";

/** Deterministic PRNG (mulberry32), so a failing fuzz case can be regenerated from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(rand: () => number, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

const u32be = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

export function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.concat([Buffer.from(type, "latin1"), data]);
  return Buffer.concat([u32be(data.length), head, u32be(crc32(head))]);
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface PngParts {
  width: number;
  height: number;
  /** 8 for RGB images, 1 for the cheap bi-level bombs. */
  bitDepth?: 1 | 8;
  /** 2 = RGB, 0 = grayscale. */
  colorType?: 0 | 2;
  /** Compressed image data; default: the filtered rows of `pixels`. */
  idat: Buffer;
  extra?: Buffer[];
}

export function pngFile(p: PngParts): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(p.width, 0);
  ihdr.writeUInt32BE(p.height, 4);
  ihdr[8] = p.bitDepth ?? 8;
  ihdr[9] = p.colorType ?? 2;
  return Buffer.concat([PNG_SIGNATURE, pngChunk("IHDR", ihdr), ...(p.extra ?? []), pngChunk("IDAT", p.idat), pngChunk("IEND", Buffer.alloc(0))]);
}

/** An RGB PNG from raw pixels (filter type 0 on every row). */
export function rgbPng(width: number, height: number, rgb: Buffer, extra?: Buffer[]): Buffer {
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) rgb.copy(rows, y * (width * 3 + 1) + 1, y * width * 3, (y + 1) * width * 3);
  return pngFile({ width, height, idat: deflateSync(rows), extra });
}

/**
 * A small PNG whose pixels (and so md5) depend on `n`: a smooth gradient with n's bits painted in,
 * so perceptual hashes differ too and the files look like images, not noise.
 */
export function uniquePng(n: number, side = 16): Buffer {
  const rgb = Buffer.alloc(side * side * 3);
  const rand = prng(n + 1);
  for (let i = 0; i < side * side; i++) {
    const x = i % side;
    const y = Math.floor(i / side);
    rgb[i * 3] = (x * 255) / side;
    rgb[i * 3 + 1] = (y * 255) / side;
    rgb[i * 3 + 2] = Math.floor(rand() * 256);
  }
  // 32 pixels carry n itself, so two different n never collide even if the PRNG repeated.
  for (let bit = 0; bit < 32; bit++) rgb[bit * 3] = (n >>> bit) & 1 ? 255 : 0;
  return rgbPng(side, side, rgb);
}

/** A PNG that declares width x height bi-level pixels of real (all-zero) data: a decompression bomb. */
export function pngBomb(width: number, height: number): Buffer {
  const row = Math.ceil(width / 8) + 1;
  return pngFile({ width, height, bitDepth: 1, colorType: 0, idat: deflateSync(Buffer.alloc(row * height), { level: 9 }) });
}

/**
 * A GIF89a with `frames` 1x1 frames on a width x height screen: the shape of "thousands of
 * frames" bombs. Each frame is a graphic-control extension plus a 1-pixel LZW image.
 */
export function gifFrames(frames: number, width: number, height: number): Buffer {
  const head = Buffer.alloc(13);
  head.write("GIF89a", 0, "latin1");
  head.writeUInt16LE(width, 6);
  head.writeUInt16LE(height, 8);
  head[10] = 0xf0; // global color table, 2 colours
  const palette = Buffer.from([0, 0, 0, 255, 255, 255]);
  const loop = Buffer.from([0x21, 0xff, 0x0b, ...Buffer.from("NETSCAPE2.0", "latin1"), 0x03, 0x01, 0x00, 0x00, 0x00]);
  const frame = (i: number) => {
    const b = Buffer.alloc(8 + 10 + 5);
    Buffer.from([0x21, 0xf9, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00]).copy(b, 0); // GCE, 10 ms
    b[8] = 0x2c; // image descriptor
    b.writeUInt16LE(i % Math.max(1, width), 9);
    b.writeUInt16LE(Math.floor(i / Math.max(1, width)) % Math.max(1, height), 11);
    b.writeUInt16LE(1, 13);
    b.writeUInt16LE(1, 15);
    b[17] = 0;
    // LZW min code size 2; codes clear(4), 0, end(5) in 3-bit codes = 0x44 0x01.
    Buffer.from([0x02, 0x02, 0x44, 0x01, 0x00]).copy(b, 18);
    return b;
  };
  const body = Buffer.concat(Array.from({ length: frames }, (_, i) => frame(i)));
  return Buffer.concat([head, palette, loop, body, Buffer.from([0x3b])]);
}

/** A little-endian TIFF/EXIF block ("Exif\0\0" + TIFF) with one IFD of the given entries. */
export function exifBlock(entries: { tag: number; type: number; count: number; value: number }[], nextIfd = 0, declaredCount?: number, tail = Buffer.alloc(0)): Buffer {
  const tiff = Buffer.alloc(8 + 2 + entries.length * 12 + 4);
  tiff.write("II*\0", 0, "latin1");
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(declaredCount ?? entries.length, 8);
  entries.forEach((e, i) => {
    const o = 10 + i * 12;
    tiff.writeUInt16LE(e.tag, o);
    tiff.writeUInt16LE(e.type, o + 2);
    tiff.writeUInt32LE(e.count >>> 0, o + 4);
    tiff.writeUInt32LE(e.value >>> 0, o + 8);
  });
  tiff.writeUInt32LE(nextIfd >>> 0, 10 + entries.length * 12);
  return Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff, tail]);
}

/** Inserts APP segments right after a JPEG's SOI marker. */
export function withJpegSegments(jpeg: Buffer, segments: { marker: number; payload: Buffer }[]): Buffer {
  const encoded = segments.map(({ marker, payload }) => {
    if (payload.length > 65533) throw new Error("JPEG segment payload too long");
    const head = Buffer.from([0xff, marker, 0, 0]);
    head.writeUInt16BE(payload.length + 2, 2);
    return Buffer.concat([head, payload]);
  });
  return Buffer.concat([jpeg.subarray(0, 2), ...encoded, jpeg.subarray(2)]);
}

/** Offset of the first JPEG marker `marker` (e.g. 0xc0 SOF0, 0xda SOS), or -1. */
export function findJpegMarker(jpeg: Buffer, marker: number): number {
  let o = 2;
  while (o + 4 <= jpeg.length && jpeg[o] === 0xff) {
    if (jpeg[o + 1] === marker) return o;
    o += 2 + jpeg.readUInt16BE(o + 2);
  }
  return -1;
}
