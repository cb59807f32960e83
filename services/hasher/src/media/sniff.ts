/**
 * What a file is, from its first bytes (never from its name): which path decodes it and
 * whether it is received into memory or into a temp file.
 */

export type Route =
  /**
   * sharp: JPEG, PNG (APNG too), GIF, WebP, AVIF, TIFF, and anything not named here (sharp has
   * the last word: it names what it cannot read).
   */
  | "sharp"
  /** sharp cannot: BMP and JPEG XL through ffmpeg, HEIC through libheif (wasm). */
  | "bmp"
  | "jxl"
  | "heic"
  | "video"
  | "zip";

export interface Sniffed {
  route: Route;
  /** For videos: mp4 | m4v | mov | webm | mkv | avi. */
  container?: string;
}

/** Bytes needed to tell every format apart. */
export const SNIFF_BYTES = 64;

const HEIF_BRANDS = new Set(["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"]);
const AVIF_BRANDS = new Set(["avif", "avis"]);

const ascii = (b: Buffer, start: number, end: number) => b.subarray(start, end).toString("latin1");

/** ISO base media (ftyp box): HEIF/AVIF images or an MP4/MOV video, by brand. */
function sniffFtyp(head: Buffer): Sniffed {
  const size = head.readUInt32BE(0);
  const major = ascii(head, 8, 12);
  const brands = [major];
  for (let at = 16; at + 4 <= Math.min(size, head.length); at += 4) brands.push(ascii(head, at, at + 4));
  if (brands.some((b) => AVIF_BRANDS.has(b))) return { route: "sharp" };
  if (brands.some((b) => HEIF_BRANDS.has(b))) return { route: "heic" };
  if (major === "qt  ") return { route: "video", container: "mov" };
  if (major === "M4V " || major === "M4VH" || major === "M4VP") return { route: "video", container: "m4v" };
  return { route: "video", container: "mp4" };
}

/** Matroska's DocType: webm or matroska. */
function sniffEbml(head: Buffer): Sniffed {
  return { route: "video", container: head.includes("webm", 4, "latin1") ? "webm" : "mkv" };
}

export function sniff(head: Buffer): Sniffed {
  if (head.length >= 12 && ascii(head, 4, 8) === "ftyp") return sniffFtyp(head);
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) return sniffEbml(head);
  if (head.length >= 12 && ascii(head, 0, 4) === "RIFF" && ascii(head, 8, 12) === "AVI ") return { route: "video", container: "avi" };
  if (head.length >= 4 && ascii(head, 0, 4) === "PK\x03\x04") return { route: "zip" };
  if (head.length >= 4 && ascii(head, 0, 4) === "PK\x05\x06") return { route: "zip" };
  if (head.length >= 18 && ascii(head, 0, 2) === "BM" && head.readUInt32LE(14) >= 12) return { route: "bmp" };
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0x0a) return { route: "jxl" };
  if (head.length >= 12 && head.readUInt32BE(0) === 12 && ascii(head, 4, 8) === "JXL ") return { route: "jxl" };
  return { route: "sharp" };
}

/** A PNG with an acTL chunk before its image data is an APNG: frames and delays are in the file. */
export function isApng(bytes: Buffer): boolean {
  if (bytes.length < 8 || bytes.readUInt32BE(0) !== 0x89504e47) return false;
  for (let at = 8; at + 8 <= bytes.length; ) {
    const len = bytes.readUInt32BE(at);
    const type = ascii(bytes, at + 4, at + 8);
    if (type === "acTL") return bytes.length >= at + 16 && bytes.readUInt32BE(at + 8) > 1;
    if (type === "IDAT" || type === "IEND") return false;
    at += 12 + len;
  }
  return false;
}
