/** File steps of ingest: hash once, file into the library durably, move without overwriting. */
import { createHash } from "node:crypto";
import { constants, createReadStream } from "node:fs";
import { copyFile, link, mkdir, open, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";

export interface FileDigest {
  md5: string;
  sha256: string;
  size: number;
  /** The whole file, when it was small enough to keep (saves a second read). */
  data?: Buffer;
}

/** Reads the file once for MD5 + SHA-256; keeps the bytes when the file is at most `keepBytes`. */
export async function digestFile(file: string, keepBytes: number): Promise<FileDigest> {
  const { size } = await stat(file);
  if (size <= keepBytes) {
    const data = await readFile(file);
    const md5 = createHash("md5").update(data).digest("hex");
    const sha256 = createHash("sha256").update(data).digest("hex");
    return { md5, sha256, size: data.length, data };
  }
  const md5 = createHash("md5");
  const sha = createHash("sha256");
  let total = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    md5.update(chunk);
    sha.update(chunk);
    total += chunk.length;
  }
  return { md5: md5.digest("hex"), sha256: sha.digest("hex"), size: total };
}

/** The bytes to send to the hasher, as chunks under the gRPC message limit. */
export async function* fileChunks(file: string, data: Buffer | undefined, chunkBytes = 1 << 20): AsyncIterable<Buffer> {
  if (data) {
    for (let i = 0; i < data.length; i += chunkBytes) yield data.subarray(i, i + chunkBytes);
    return;
  }
  yield* createReadStream(file, { highWaterMark: chunkBytes }) as AsyncIterable<Buffer>;
}

const FORMAT_EXT: Record<string, string> = { jpeg: "jpg", jpg: "jpg", tiff: "tif", svg: "svg", heif: "heic", ugoira: "zip" };
/** Formats whose files go by another extension too, kept when the original name has it (a cbz is a zip). */
const ALIASES: Record<string, string[]> = { zip: ["cbz"], ugoira: ["ugoira"], mp4: ["m4v"], heic: ["heif"] };

/** Library extension from the decoded format, falling back to the original name's. */
export function libraryExt(format: string, originalName: string): string {
  const f = format.toLowerCase().replace(/[^a-z0-9]/g, "");
  const own = path.extname(originalName).slice(1).toLowerCase();
  if (f && ALIASES[f]?.includes(own)) return own;
  if (f) return FORMAT_EXT[f] ?? f;
  return own.replace(/[^a-z0-9]/g, "") || "bin";
}

/** `ab/cd/<md5>.<ext>`: relative to the library root. */
export const libraryRelPath = (md5: string, ext: string) => `${md5.slice(0, 2)}/${md5.slice(2, 4)}/${md5}.${ext}`;

async function fsyncPath(p: string, flags = "r"): Promise<void> {
  const fh = await open(p, flags);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes the original into the library: temp file + fsync + rename + fsync of the folder, so
 * after a crash the library holds either the whole file or nothing. An existing file of the
 * same size is a finished earlier attempt and is kept. The temp name is fixed per file, so the
 * retry after a crash overwrites what the crashed attempt left instead of leaving it behind.
 * True when this call put the file there (false: it was there already).
 */
export async function fileIntoLibrary(libraryRoot: string, rel: string, source: string, data: Buffer | undefined, size: number): Promise<boolean> {
  const dest = path.join(libraryRoot, rel);
  const done = async () => (await stat(dest).catch(() => undefined))?.size === size;
  if (await done()) return false;
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.partial`;
  if (data) {
    const fh = await open(tmp, "w");
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
  } else {
    await copyFile(source, tmp);
    await fsyncPath(tmp, "r+");
  }
  try {
    await rename(tmp, dest);
  } catch (err) {
    // Another attempt at the same bytes renamed it first.
    if (!isMissing(err) || !(await done())) throw err;
    return false;
  }
  await fsyncPath(path.dirname(dest));
  return true;
}

/** `name.ext`, `name (1).ext`, `name (2).ext`, ... */
export function candidateName(rel: string, n: number): string {
  if (n === 0) return rel;
  const ext = path.extname(rel);
  return `${rel.slice(0, rel.length - ext.length)} (${n})${ext}`;
}

/**
 * Moves `source` to `root/rel` without ever overwriting: a clash picks the next free name
 * (`name (1).ext`). A hard link is atomic and fails if the name exists; across devices the
 * file is copied exclusively. Returns the name used, relative to `root`. `companion` (e.g.
 * ".reason.json") must be free too, and is created empty as a reservation.
 */
export async function moveNoClobber(
  source: string,
  root: string,
  rel: string,
  opts: { companion?: string; beforeRemove?: (name: string) => Promise<void> } = {},
): Promise<string> {
  const { companion } = opts;
  for (let n = 0; n < 10_000; n++) {
    const name = candidateName(rel, n);
    const dest = path.join(root, name);
    await mkdir(path.dirname(dest), { recursive: true });
    if (companion) {
      const reserved = await writeFile(dest + companion, "", { flag: "wx" }).then(() => true, (err) => (err.code === "EEXIST" ? false : Promise.reject(err)));
      if (!reserved) continue;
    }
    try {
      await placeExclusive(source, dest);
    } catch (err) {
      if (companion) await unlink(dest + companion).catch(() => undefined);
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      continue;
    }
    // The copy is durable before the source goes: a crash in between leaves two copies, never none.
    try {
      await opts.beforeRemove?.(name);
    } catch (err) {
      // Not recorded (catalog down?): undo the copy, the source stays for the retry.
      await unlink(dest).catch(() => undefined);
      if (companion) await unlink(dest + companion).catch(() => undefined);
      throw err;
    }
    await unlink(source).catch((err) => (isMissing(err) ? undefined : Promise.reject(err)));
    return name;
  }
  throw new Error(`no free name for ${rel} in ${root}`);
}

async function placeExclusive(source: string, dest: string): Promise<void> {
  try {
    await link(source, dest);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EXDEV" && code !== "EPERM" && code !== "ENOTSUP") throw err;
    await copyFile(source, dest, constants.COPYFILE_EXCL);
    await fsyncPath(dest, "r+");
  }
  await fsyncPath(path.dirname(dest));
}

/** Writes a small JSON file durably (used for `<name>.reason.json`). */
export async function writeJsonDurably(file: string, value: unknown): Promise<void> {
  const fh = await open(file, "w");
  try {
    await fh.writeFile(JSON.stringify(value, null, 2) + "\n");
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export const isMissing = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
