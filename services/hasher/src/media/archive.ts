/**
 * Zip archives (zip, cbz) and ugoira (a zip of an animation's frames, with their delays in
 * animation.json when present), read with yauzl: the central directory is checked before any
 * entry is inflated, and entries are read into memory one at a time, never written to disk.
 *
 * Rejected: more entries, more bytes unpacked or a higher compression ratio than the limits,
 * or an entry that inflates past its declared size (archive-bomb); an encrypted entry
 * (encrypted); an entry name that is absolute or climbs out with `..` (unsafe-path). Archives
 * inside the archive are not opened.
 */
import path from "node:path";
import type { Readable } from "node:stream";
import yauzl, { type Entry, type ZipFile } from "yauzl";
import { AppError, invalid, Reason } from "@booru/runtime";

export interface ArchiveLimits {
  maxEntries: number;
  /** Sum of the entries' uncompressed sizes. */
  maxUnpackedBytes: number;
  /** Uncompressed over compressed size of an entry (entries under 1 MiB unpacked are exempt). */
  maxRatio: number;
  /** The largest entry that is read (an image). */
  maxEntryBytes: number;
}

const RATIO_EXEMPT_BELOW = 1 << 20;
const IMAGE_EXTENSIONS = new Set(["jpg", "jpeg", "jpe", "jfif", "png", "gif", "webp", "avif", "bmp", "tif", "tiff", "heic", "heif", "jxl"]);
const UGOIRA_JSON = "animation.json";
const MAX_JSON_BYTES = 1 << 20;

/** Natural name order: "page2" before "page10"; the same on every machine. */
const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });
export const naturalOrder = (a: string, b: string) => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);

export interface Archive {
  entries: number;
  /** Image entries in natural name order (for an ugoira: in frame order). */
  images: Entry[];
  /** Per frame, in ms, when the archive is an ugoira with delays. */
  delays?: number[];
  ugoira: boolean;
  read(entry: Entry): Promise<Buffer>;
  close(): void;
}

const extOf = (name: string) => path.posix.extname(name).slice(1).toLowerCase();

function zipError(err: unknown): Error {
  const message = (err as Error).message ?? String(err);
  if (/^(invalid relative path|absolute path|invalid characters in fileName)/.test(message)) return invalid(Reason.UNSAFE_PATH, `archive entry name rejected: ${message.slice(0, 200)}`);
  if (/too many bytes in the stream|too few bytes in the stream/.test(message)) return invalid(Reason.ARCHIVE_BOMB, `an entry inflates to another size than it declares: ${message.slice(0, 200)}`);
  if (err instanceof AppError && err.reason) return err;
  return invalid(Reason.CORRUPT, `unreadable zip: ${message.slice(0, 200)}`);
}

function checkEntry(e: Entry, n: number, unpacked: number, limits: ArchiveLimits): void {
  if (n > limits.maxEntries) throw invalid(Reason.ARCHIVE_BOMB, `more than ${limits.maxEntries} entries`);
  if (e.isEncrypted()) throw invalid(Reason.ENCRYPTED, `${e.fileName} is encrypted: encrypted archives are not read`);
  if (unpacked > limits.maxUnpackedBytes) throw invalid(Reason.ARCHIVE_BOMB, `more than ${limits.maxUnpackedBytes} bytes unpacked`);
  if (e.uncompressedSize >= RATIO_EXEMPT_BELOW && e.uncompressedSize > limits.maxRatio * Math.max(1, e.compressedSize)) {
    throw invalid(Reason.ARCHIVE_BOMB, `${e.fileName} unpacks ${Math.round(e.uncompressedSize / Math.max(1, e.compressedSize))} times its size (limit ${limits.maxRatio})`);
  }
}

/** Reads the directory, checks every entry against the limits, finds the images. */
export async function openArchive(input: Buffer | string, limits: ArchiveLimits): Promise<Archive> {
  const options = { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false, decodeStrings: true };
  let zip: ZipFile;
  try {
    zip = typeof input === "string" ? await yauzl.openPromise(input, options) : await yauzl.fromBufferPromise(input, options);
  } catch (err) {
    throw zipError(err);
  }
  try {
    const images: Entry[] = [];
    let json: Entry | undefined;
    let entries = 0;
    let unpacked = 0;
    for await (const e of zip.eachEntry()) {
      entries++;
      unpacked += e.uncompressedSize;
      checkEntry(e, entries, unpacked, limits);
      if (e.fileName.endsWith("/")) continue;
      if (path.posix.basename(e.fileName) === UGOIRA_JSON) json = e;
      else if (IMAGE_EXTENSIONS.has(extOf(e.fileName))) images.push(e);
    }
    images.sort((a, b) => naturalOrder(a.fileName, b.fileName));
    const archive: Archive = { entries, images, ugoira: false, read: (e) => readEntry(zip, e, limits), close: () => zip.close() };
    return await asUgoira(archive, json, entries);
  } catch (err) {
    zip.close();
    throw zipError(err);
  }
}

/**
 * An ugoira: animation.json lists the frames (file and delay in ms), or, without it, every
 * entry is an image named by its frame number (000000.jpg, 000001.jpg ...).
 */
async function asUgoira(archive: Archive, json: Entry | undefined, entries: number): Promise<Archive> {
  const numbered = archive.images.length >= 2 && archive.images.length === entries && archive.images.every((e) => /^\d+\.\w+$/.test(path.posix.basename(e.fileName)));
  if (!json) return numbered ? { ...archive, ugoira: true } : archive;
  if (json.uncompressedSize > MAX_JSON_BYTES) return archive;
  let frames: { file: string; delay: number }[] | undefined;
  try {
    frames = framesOf(JSON.parse((await archive.read(json)).toString("utf8")) as unknown);
  } catch {
    // An unreadable animation.json makes it a plain archive, not a bad one.
  }
  if (!frames) return numbered ? { ...archive, ugoira: true } : archive;
  const byName = new Map(archive.images.map((e) => [path.posix.basename(e.fileName), e]));
  const listed = frames.filter((f) => byName.has(f.file));
  if (listed.length === 0) return archive;
  return { ...archive, ugoira: true, images: listed.map((f) => byName.get(f.file)!), delays: listed.every((f) => f.delay > 0) ? listed.map((f) => f.delay) : undefined };
}

/** The frame list of the animation.json forms in use: Pixiv's ugoira_meta, its body, or the bare list. */
function framesOf(json: unknown): { file: string; delay: number }[] | undefined {
  const o = json as { frames?: unknown; body?: { frames?: unknown }; ugokuIllustData?: { frames?: unknown } } | null;
  const list = Array.isArray(json) ? json : (o?.frames ?? o?.body?.frames ?? o?.ugokuIllustData?.frames);
  if (!Array.isArray(list)) return undefined;
  return list.flatMap((f: { file?: unknown; delay?: unknown }) => (typeof f?.file === "string" ? [{ file: path.posix.basename(f.file), delay: Number(f.delay) || 0 }] : []));
}

/** One entry's bytes, in memory: at most its declared size (yauzl checks the inflated size against it). */
async function readEntry(zip: ZipFile, e: Entry, limits: ArchiveLimits): Promise<Buffer> {
  if (e.uncompressedSize > limits.maxEntryBytes) throw invalid(Reason.TOO_LARGE, `${e.fileName} is larger than the limit of ${limits.maxEntryBytes} bytes`);
  if (!e.canDecodeFileData()) throw invalid(Reason.UNSUPPORTED_CODEC, `${e.fileName} uses zip compression method ${e.compressionMethod}`);
  let stream: Readable;
  try {
    stream = await zip.openReadStreamPromise(e);
  } catch (err) {
    throw zipError(err);
  }
  const parts: Buffer[] = [];
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) parts.push(chunk);
  } catch (err) {
    throw zipError(err);
  }
  return Buffer.concat(parts);
}
