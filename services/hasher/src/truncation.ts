/**
 * Tells a file that stops early (a write still under way, or a cut-off copy) from one that is
 * damaged: libvips says "libpng read error" for both a cut and a broken PNG, calls a cut GIF
 * or WebP a "corrupt header" and a cut TIFF an "unsupported image format". So the container
 * is walked instead: the bytes end early when they run out before the structure they have
 * read so far says it ends. Only the framing is read (chunk, segment, box and block lengths),
 * never the compressed data, so this is cheap and never decodes anything.
 *
 * Videos (which may be gigabytes) are walked through a file handle, header by header: an MP4
 * or MOV still being written, or cut off, has a box that runs past the end or no index (moov)
 * yet; a WebM or MKV an element that does; an AVI a RIFF chunk that does.
 */
import { open } from "node:fs/promises";

/** True when `bytes` are the start of an image file whose own structure says more bytes follow. */
export function endsEarly(bytes: Buffer): boolean {
  for (const [magic, walk] of WALKERS) {
    const n = Math.min(magic.length, bytes.length);
    if (!bytes.subarray(0, n).equals(magic.subarray(0, n))) continue;
    // Fewer bytes than the signature itself: the start of a file of this format.
    if (bytes.length <= magic.length) return true;
    return walk(bytes) === "short";
  }
  // ISO-BMFF (AVIF, HEIC): "ftyp" at offset 4.
  if (bytes.length >= 8 && bytes.toString("latin1", 4, 8) === "ftyp") return walkBoxes(bytes) === "short";
  return false;
}

/** "short": the bytes run out inside the structure; "whole": it ends where it says; "bad": not this format's framing. */
type Verdict = "short" | "whole" | "bad";

const WALKERS: [Buffer, (b: Buffer) => Verdict][] = [
  [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), walkPng],
  [Buffer.from([0xff, 0xd8, 0xff]), walkJpeg],
  [Buffer.from("GIF8", "latin1"), walkGif],
  [Buffer.from("RIFF", "latin1"), walkRiff],
  [Buffer.from("II*\0", "latin1"), walkTiff],
  [Buffer.from("MM\0*", "latin1"), walkTiff],
  [Buffer.from("BM", "latin1"), walkBmp],
  [Buffer.from("PK\x03\x04", "latin1"), walkZip],
];

/** PNG: length, type, data, CRC per chunk, up to IEND. */
function walkPng(b: Buffer): Verdict {
  let at = 8;
  while (at + 8 <= b.length) {
    const length = b.readUInt32BE(at);
    const type = b.toString("latin1", at + 4, at + 8);
    if (length > 0x7fffffff || !/^[A-Za-z]{4}$/.test(type)) return "bad";
    if (at + 12 + length > b.length) return "short";
    if (type === "IEND") return "whole";
    at += 12 + length;
  }
  return "short";
}

/** JPEG: marker segments, and after each SOS the entropy-coded data up to the next marker, until EOI. */
function walkJpeg(b: Buffer): Verdict {
  let at = 2;
  for (;;) {
    if (at >= b.length) return "short";
    if (b[at] !== 0xff) return "bad";
    while (at < b.length && b[at] === 0xff) at++; // fill bytes
    if (at >= b.length) return "short";
    const marker = b[at++]!;
    if (marker === 0xd9) return "whole";
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue; // no length
    if (at + 2 > b.length) return "short";
    const length = b.readUInt16BE(at);
    if (length < 2) return "bad";
    at += length;
    if (at > b.length) return "short";
    if (marker === 0xda) {
      const next = nextJpegMarker(b, at);
      if (next < 0) return "short";
      at = next;
    }
  }
}

/** Offset of the next marker after entropy-coded data (skipping stuffed 0xFF00 and RSTn), or -1. */
function nextJpegMarker(b: Buffer, from: number): number {
  for (let at = b.indexOf(0xff, from); at >= 0 && at + 1 < b.length; at = b.indexOf(0xff, at + 1)) {
    const next = b[at + 1]!;
    if (next !== 0x00 && next !== 0xff && !(next >= 0xd0 && next <= 0xd7)) return at;
  }
  return -1;
}

/** GIF: header, screen descriptor and palette, then extension and image blocks up to the trailer. */
function walkGif(b: Buffer): Verdict {
  if (b.length < 13) return "short";
  let at = 13 + paletteBytes(b[10]!);
  for (;;) {
    if (at >= b.length) return "short";
    const block = b[at]!;
    if (block === 0x3b) return "whole";
    if (block === 0x21) at += 2;
    else if (block === 0x2c) {
      if (at + 10 > b.length) return "short";
      at += 10 + paletteBytes(b[at + 9]!) + 1; // descriptor, local palette, LZW code size
    } else return "bad";
    at = skipSubBlocks(b, at);
    if (at < 0) return "short";
  }
}

const paletteBytes = (packed: number) => (packed & 0x80 ? 3 * (2 << (packed & 7)) : 0);

/** Past a run of GIF data sub-blocks (size byte, data) ending with a zero size, or -1 when the bytes run out. */
function skipSubBlocks(b: Buffer, at: number): number {
  for (;;) {
    if (at >= b.length) return -1;
    const size = b[at]!;
    at += 1 + size;
    if (size === 0) return at;
  }
}

/** WebP: the RIFF header declares the size of everything after it. */
function walkRiff(b: Buffer): Verdict {
  if (b.length < 12) return "short";
  if (b.toString("latin1", 8, 12) !== "WEBP") return "bad";
  return b.length < 8 + b.readUInt32LE(4) ? "short" : "whole";
}

/** BMP: the header declares the file size. */
function walkBmp(b: Buffer): Verdict {
  if (b.length < 6) return "short";
  return b.length < b.readUInt32LE(2) ? "short" : "whole";
}

/** Where a zip's end-of-central-directory record may start: 22 bytes, then a comment of up to 64 KiB. */
const EOCD = Buffer.from("PK\x05\x06", "latin1");

/** zip: the directory is at the end; a zip without one ending exactly at the last byte stops early. */
function walkZip(b: Buffer): Verdict {
  for (let at = b.lastIndexOf(EOCD); at >= 0 && at >= b.length - 22 - 0xffff; at = at > 0 ? b.lastIndexOf(EOCD, at - 1) : -1) {
    if (at + 22 <= b.length && at + 22 + b.readUInt16LE(at + 20) === b.length) return "whole";
  }
  return "short";
}

/** ISO-BMFF (AVIF, HEIC): top-level boxes, each with its size. */
function walkBoxes(b: Buffer): Verdict {
  let at = 0;
  while (at < b.length) {
    if (at + 8 > b.length) return "short";
    let size = b.readUInt32BE(at);
    if (size === 0) return "whole"; // the last box runs to the end of the file
    if (size === 1) {
      if (at + 16 > b.length) return "short";
      size = Number(b.readBigUInt64BE(at + 8));
    }
    if (size < 8) return "bad";
    at += size;
  }
  return at === b.length ? "whole" : "short";
}

/** Bytes per value of each TIFF field type (BYTE, ASCII, SHORT, LONG, RATIONAL, ... LONG8). */
const TIFF_TYPE_BYTES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 16: 8 };
/** Offsets tag -> byte-counts tag: strips and tiles. */
const TIFF_DATA: [number, number][] = [
  [273, 279],
  [324, 325],
];

/** TIFF: every IFD, the values its entries point to, and the strips or tiles must lie inside the file. */
function walkTiff(b: Buffer): Verdict {
  if (b.length < 8) return "short";
  const le = b[0] === 0x49;
  const u16 = (at: number) => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (at: number) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const seen = new Set<number>();
  for (let ifd = u32(4); ifd !== 0; ) {
    if (seen.has(ifd) || seen.size > 64) return "bad";
    seen.add(ifd);
    if (ifd + 2 > b.length) return "short";
    const end = ifd + 2 + u16(ifd) * 12;
    if (end + 4 > b.length) return "short";
    /** Where an entry's values are (inline or at an offset) and how many bytes they take. */
    const place = (e: number) => {
      const bytes = (TIFF_TYPE_BYTES[u16(e + 2)] ?? 1) * u32(e + 4);
      return { at: bytes <= 4 ? e + 8 : u32(e + 8), bytes, size: TIFF_TYPE_BYTES[u16(e + 2)] ?? 0 };
    };
    const entries = new Map<number, number>();
    for (let e = ifd + 2; e < end; e += 12) {
      const { at, bytes } = place(e);
      if (at + bytes > b.length) return "short";
      entries.set(u16(e), e);
    }
    const values = (tag: number): number[] | undefined => {
      const e = entries.get(tag);
      if (e === undefined) return undefined;
      const { at, bytes, size } = place(e);
      if (size !== 2 && size !== 4) return undefined;
      return Array.from({ length: Math.min(bytes / size, 1 << 20) }, (_, i) => (size === 2 ? u16(at + 2 * i) : u32(at + 4 * i)));
    };
    for (const [offTag, countTag] of TIFF_DATA) {
      const [offsets, counts] = [values(offTag), values(countTag)];
      if (offsets && counts && offsets.some((o, i) => o + (counts[i] ?? 0) > b.length)) return "short";
    }
    ifd = u32(end);
  }
  return "whole";
}

/** `n` bytes of a file from offset `at` (fewer at its end). */
type ReadAt = (at: number, n: number) => Promise<Buffer>;

/** Past this many top-level boxes or elements a file is not judged (a fragmented hour has a few thousand). */
const MAX_HEADERS = 100_000;

/**
 * True when a video file's own top-level framing says more bytes follow (ISO-BMFF: MP4, M4V,
 * MOV; Matroska: MKV, WebM; RIFF: AVI). Reads a few bytes per box, element or chunk.
 */
export async function videoEndsEarly(file: string): Promise<boolean> {
  const fh = await open(file, "r");
  try {
    const { size } = await fh.stat();
    const read: ReadAt = async (at, n) => {
      const buf = Buffer.alloc(n);
      const { bytesRead } = await fh.read(buf, 0, n, at);
      return buf.subarray(0, bytesRead);
    };
    const head = await read(0, 12);
    if (head.length >= 8 && head.toString("latin1", 4, 8) === "ftyp") return (await walkIsoVideo(read, size)) === "short";
    if (head.length >= 4 && head.readUInt32BE(0) === EBML_HEADER) return (await walkElements(read, 0, size)) === "short";
    if (head.length >= 4 && head.toString("latin1", 0, 4) === "RIFF") return (await walkRiffChunks(read, size)) === "short";
    return false;
  } finally {
    await fh.close();
  }
}

/** MP4/MOV: top-level boxes fit the file, and the index (moov) is there: a writer adds it last. */
async function walkIsoVideo(read: ReadAt, size: number): Promise<Verdict> {
  let moov = false;
  let at = 0;
  for (let n = 0; at < size; n++) {
    if (n > MAX_HEADERS) return "bad";
    const h = await read(at, 16);
    if (h.length < 8) return "short";
    let length = h.readUInt32BE(0);
    if (h.toString("latin1", 4, 8) === "moov") moov = true;
    // Runs to the end of the file: how a writer leaves its mdat until it knows the size.
    if (length === 0) return moov ? "whole" : "short";
    if (length === 1) {
      if (h.length < 16) return "short";
      length = Number(h.readBigUInt64BE(8));
    }
    if (length < 8) return "bad";
    at += length;
  }
  return at > size || !moov ? "short" : "whole";
}

const EBML_HEADER = 0x1a45dfa3;
const SEGMENT = 0x18538067;

interface Element {
  id: number;
  /** Bytes of the ID and size fields. */
  header: number;
  /** undefined: "unknown size" (a live or unfinished stream). */
  size?: number;
}

/** An EBML element header at `at`: undefined when the bytes run out inside it, "bad" when it is not one. */
async function element(read: ReadAt, at: number): Promise<Element | "bad" | undefined> {
  const h = await read(at, 12);
  const idLength = h.length ? Math.clz32(h[0]!) - 23 : 0;
  if (h.length && (idLength < 1 || idLength > 4)) return "bad";
  if (h.length < idLength + 1) return undefined;
  const sizeLength = Math.clz32(h[idLength]!) - 23;
  if (sizeLength < 1 || sizeLength > 8) return "bad";
  if (h.length < idLength + sizeLength) return undefined;
  let size = h[idLength]! & (0xff >> sizeLength);
  let allOnes = size === 0xff >> sizeLength;
  for (let i = 1; i < sizeLength; i++) {
    size = size * 256 + h[idLength + i]!;
    allOnes &&= h[idLength + i] === 0xff;
  }
  return { id: h.readUIntBE(0, idLength), header: idLength + sizeLength, size: allOnes ? undefined : size };
}

/**
 * Matroska/WebM elements from `at` on (the EBML header, then the Segment), each fitting the
 * file. A writer fills in the Segment's size at the end; until then its children (Clusters)
 * are walked. An element of unknown size otherwise is not judged.
 */
async function walkElements(read: ReadAt, at: number, size: number): Promise<Verdict> {
  for (let n = 0; at < size; n++) {
    const el = await element(read, at);
    if (el === undefined) return "short";
    if (el === "bad" || n > MAX_HEADERS) return "bad";
    if (el.size === undefined) return el.id === SEGMENT ? walkElements(read, at + el.header, size) : "whole";
    at += el.header + el.size;
  }
  return at > size ? "short" : "whole";
}

/** AVI: RIFF chunks ("AVI ", then "AVIX" past 1 GiB), each with its size, padded to even. */
async function walkRiffChunks(read: ReadAt, size: number): Promise<Verdict> {
  let at = 0;
  for (let n = 0; at < size; n++) {
    if (n > MAX_HEADERS) return "bad";
    const h = await read(at, 8);
    if (h.length < 8) return "short";
    const length = h.readUInt32LE(4);
    if (at + 8 + length > size) return "short";
    at += 8 + length + (length & 1);
  }
  return "whole";
}
