/**
 * What the cluster test drops into the inbox volume, and where each file ends up on the store
 * volume (library/, duplicates/, rejected/).
 */
import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pngBomb, pngChunk, PNG_SIGNATURE } from "../fuzz/encode.js";
import { libraryMd5, listFiles, md5 } from "../resilience/pipeline.js";

/** The uid/gid the booru image runs as (Dockerfile: USER 10001:10001). */
const POD_USER = 10001;

export interface Drop {
  name: string;
  bytes: Buffer;
}

/**
 * The same picture with other bytes: a JPEG comment after SOI, or a PNG tEXt chunk after IHDR.
 * Decoders ignore both, so it is a new file (new MD5) of a real photo, not a duplicate.
 */
export function variant(photo: Buffer, tag: string): Buffer {
  if (photo[0] === 0xff && photo[1] === 0xd8) {
    const text = Buffer.from(`booru cluster test ${tag}`);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(text.length + 2);
    return Buffer.concat([photo.subarray(0, 2), Buffer.from([0xff, 0xfe]), len, text, photo.subarray(2)]);
  }
  if (photo.subarray(0, 8).equals(PNG_SIGNATURE)) {
    const ihdrEnd = 8 + 4 + 4 + 13 + 4;
    return Buffer.concat([photo.subarray(0, ihdrEnd), pngChunk("tEXt", Buffer.from(`Comment\0booru cluster test ${tag}`)), photo.subarray(ihdrEnd)]);
  }
  throw new Error("variant: not a JPEG or PNG");
}

/** `count` real photos from the photo folder: every file once, then tagged variants of the JPEGs and PNGs. */
export function photos(dir: string, count: number): Drop[] {
  const names = readdirSync(dir).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort();
  if (names.length === 0) throw new Error(`no photos in ${dir} (bench/photos.sh)`);
  const out: Drop[] = names.slice(0, count).map((name) => ({ name, bytes: readFileSync(path.join(dir, name)) }));
  const taggable = out.filter((d) => /\.(jpe?g|png)$/i.test(d.name));
  for (let i = 0; out.length < count; i++) {
    const src = taggable[i % taggable.length]!;
    out.push({ name: `v${i}-${src.name}`, bytes: variant(src.bytes, `v${i}`) });
  }
  return out;
}

/** New bytes for every photo of a set (a later batch must not be duplicates of an earlier one). */
export function retag(set: Drop[], tag: string): Drop[] {
  return set.filter((d) => /\.(jpe?g|png)$/i.test(d.name)).map((d) => ({ name: `${tag}-${d.name}`, bytes: variant(d.bytes, tag) }));
}

/** Files no decoder accepts, each a different way: they must end up in rejected/ with a reason. */
export function badFiles(photo: Buffer): Drop[] {
  return [
    { name: "bad-truncated-1.jpg", bytes: photo.subarray(0, Math.floor(photo.length / 3)) },
    { name: "bad-truncated-2.jpg", bytes: photo.subarray(0, 2048) },
    { name: "bad-text.png", bytes: Buffer.from("this is not a picture\n".repeat(50)) },
    { name: "bad-text.jpg", bytes: Buffer.from("<html><body>nope</body></html>\n".repeat(20)) },
    { name: "bad-random.webp", bytes: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)) },
    { name: "bad-random.gif", bytes: Buffer.concat([Buffer.from("GIF89a"), Buffer.alloc(3000, 0x5a)]) },
    { name: "bad-bomb.png", bytes: pngBomb(60_000, 60_000) },
    { name: "bad-header-only.png", bytes: PNG_SIGNATURE },
  ];
}

/**
 * Writes the files next to the inbox, then renames them in (one folder level may be given per
 * file): the watcher sees whole files. Owned by the pods' user (10001), as a client on the
 * share would leave them.
 */
export function dropInto(inbox: string, files: Drop[], subdir = ""): void {
  const staging = mkdtempSync(path.join(path.dirname(inbox), ".staging-"));
  try {
    for (const f of files) {
      writeFileSync(path.join(staging, f.name), f.bytes);
      chownSync(path.join(staging, f.name), POD_USER, POD_USER);
    }
    const target = path.join(inbox, subdir);
    mkdirSync(target, { recursive: true });
    chownSync(target, POD_USER, POD_USER);
    for (const f of files) renameSync(path.join(staging, f.name), path.join(target, f.name));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

export interface Books {
  inbox: string[];
  library: string[];
  duplicates: string[];
  rejected: string[];
  reasons: string[];
}

/** Where every file is, on the node's volumes. */
export function books(inbox: string, store: string): Books {
  const rejectedAll = listFiles(path.join(store, "rejected"));
  return {
    inbox: listFiles(inbox).filter((f) => !path.basename(f).startsWith(".")),
    library: listFiles(path.join(store, "library")).filter((f) => !f.includes(".tmp-")),
    duplicates: listFiles(path.join(store, "duplicates")),
    rejected: rejectedAll.filter((f) => !f.endsWith(".reason.json")),
    reasons: rejectedAll.filter((f) => f.endsWith(".reason.json")),
  };
}

export const settled = (b: Books) => b.library.length + b.duplicates.length + b.rejected.length;
export const libraryMd5s = (b: Books) => b.library.map(libraryMd5);
export { md5 };
