/**
 * The ingest scenario of issue 4: unique images, duplicates under other names, files written
 * slowly, and bad files (empty, truncated JPEG, text named .jpg, a 30000x30000 PNG bomb, a
 * symlink out of the inbox...). `account()` then checks that every input ended up in exactly
 * one place.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";
import sharp from "sharp";
import { listFiles } from "./files.js";

export const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");

export interface Input {
  rel: string;
  kind: "unique" | "duplicate" | "bad";
  md5?: string;
  /** For bad files: the reason code dedup must give. */
  reason?: string;
}

export interface Corpus {
  inputs: Input[];
  uniqueMd5s: Set<string>;
  /** Writes the slow files; resolves when they are complete. */
  slow: Promise<void>;
}

/** A small, unique image (random pixels), as PNG or JPEG. */
export async function makeImage(i: number, size = 48): Promise<Buffer> {
  const raw = randomBytes(size * size * 3);
  const img = sharp(raw, { raw: { width: size, height: size, channels: 3 } });
  return i % 2 === 0 ? img.png().toBuffer() : img.jpeg({ quality: 80 }).toBuffer();
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A valid 30000x30000 1-bit grayscale PNG of zeros: ~100 KB on disk, 900 megapixels decoded. */
export function pngBomb(side = 30_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // grayscale
  const rowBytes = 1 + Math.ceil(side / 8);
  const block = Buffer.alloc(rowBytes * 1000);
  const rows: Buffer[] = [];
  for (let done = 0; done < side; done += 1000) rows.push(block.subarray(0, rowBytes * Math.min(1000, side - done)));
  const idat = zlib.deflateSync(Buffer.concat(rows), { level: 9 });
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk("IHDR", ihdr), pngChunk("IDAT", idat), pngChunk("IEND", Buffer.alloc(0))]);
}

async function writeSlowly(file: string, data: Buffer, chunks: number, pauseMs: number): Promise<void> {
  const fh = await open(file, "w");
  try {
    const step = Math.ceil(data.length / chunks);
    for (let i = 0; i < data.length; i += step) {
      await fh.write(data.subarray(i, i + step));
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  } finally {
    await fh.close();
  }
}

export interface CorpusOptions {
  unique: number;
  duplicates: number;
  slow: number;
  /** Pause between chunks of a slow file; keep it under the settle time. */
  slowPauseMs: number;
  /** Where the symlink's target lives (outside the inbox). */
  outside: string;
}

/** Drops the whole scenario into `inbox`. */
export async function dropCorpus(inbox: string, o: CorpusOptions): Promise<Corpus> {
  const inputs: Input[] = [];
  const images: { rel: string; data: Buffer }[] = [];
  const put = (rel: string, data: Buffer) => {
    mkdirSync(path.dirname(path.join(inbox, rel)), { recursive: true });
    writeFileSync(path.join(inbox, rel), data);
  };
  for (let i = 0; i < o.unique; i++) {
    const data = await makeImage(i);
    const rel = `${i % 3 === 0 ? "sub/" : ""}${i % 5 === 0 ? "deep/er/" : ""}img-${i}.${i % 2 === 0 ? "png" : "jpg"}`;
    images.push({ rel, data });
    inputs.push({ rel, kind: "unique", md5: md5(data) });
  }
  const slowOnes = images.slice(0, o.slow);
  for (const img of images.slice(o.slow)) put(img.rel, img.data);
  for (let i = 0; i < o.duplicates; i++) {
    const src = images[(i * 7) % images.length]!;
    const rel = `copies/${i % 2 ? "again/" : ""}copy-${i}${path.extname(src.rel)}`;
    put(rel, src.data);
    inputs.push({ rel, kind: "duplicate", md5: md5(src.data) });
  }
  const jpeg = images.find((x) => x.rel.endsWith(".jpg"))!.data;
  const png = images.find((x) => x.rel.endsWith(".png"))!.data;
  const bad: [string, Buffer, string][] = [
    ["bad/empty.jpg", Buffer.alloc(0), "corrupt"],
    ["bad/empty.png", Buffer.alloc(0), "corrupt"],
    ["bad/truncated.jpg", jpeg.subarray(0, Math.floor(jpeg.length / 2)), "truncated"],
    ["bad/truncated-2.jpg", jpeg.subarray(0, jpeg.length - 20), "truncated"],
    ["bad/notes.jpg", Buffer.from("this is a text file, not a picture\n".repeat(20)), "unsupported"],
    ["bad/readme.png", Buffer.from("# readme\nplain text\n"), "unsupported"],
    ["bad/bomb.png", pngBomb(), "too-many-pixels"],
    ["bad/garbage.png", Buffer.concat([png.subarray(0, 8), randomBytes(3000)]), "corrupt"],
    ["bad/cut.png", png.subarray(0, Math.floor(png.length / 2)), "truncated"],
  ];
  for (const [rel, data, reason] of bad) {
    put(rel, data);
    inputs.push({ rel, kind: "bad", reason, md5: data.length ? md5(data) : undefined });
  }
  mkdirSync(o.outside, { recursive: true });
  writeFileSync(path.join(o.outside, "secret.jpg"), jpeg);
  symlinkSync(path.join(o.outside, "secret.jpg"), path.join(inbox, "bad", "escape.jpg"));
  inputs.push({ rel: "bad/escape.jpg", kind: "bad", reason: "outside-inbox" });
  const slow = Promise.all(
    slowOnes.map((img) => {
      mkdirSync(path.dirname(path.join(inbox, img.rel)), { recursive: true });
      return writeSlowly(path.join(inbox, img.rel), img.data, 5, o.slowPauseMs);
    }),
  ).then(() => undefined);
  return { inputs, uniqueMd5s: new Set(images.map((x) => md5(x.data))), slow };
}

export { listFiles };

export interface Folders {
  inboxes: string[];
  library: string;
  duplicates: string;
  rejected: string;
}

/** Where each input ended up; the caller asserts on it. */
export function account(f: Folders, corpus: Corpus, recordSource: Map<string, string>) {
  const library = listFiles(f.library);
  const libraryMd5s = library.map((p) => path.basename(p).split(".")[0]!);
  const dupFiles = listFiles(f.duplicates);
  const rejFiles = listFiles(f.rejected).filter((p) => !p.endsWith(".reason.json"));
  const stripN = (p: string) => p.replace(/ \(\d+\)(\.[^./]*)?$/, "$1");
  const places = new Map<string, string[]>();
  const add = (rel: string, where: string) => places.set(rel, [...(places.get(rel) ?? []), where]);
  for (const [, src] of recordSource) add(src, "library");
  for (const d of dupFiles) add(stripN(d), "duplicates");
  for (const r of rejFiles) add(stripN(r), "rejected");
  const reasons = new Map(
    rejFiles.map((r) => [stripN(r), (JSON.parse(readFileSync(path.join(f.rejected, r + ".reason.json"), "utf8")) as { reason: string }).reason]),
  );
  const dupMd5sOk = dupFiles.every((d) => corpus.uniqueMd5s.has(md5(readFileSync(path.join(f.duplicates, d)))));
  const librarySizesOk = library.every((p) => statSync(path.join(f.library, p)).size > 0 && md5(readFileSync(path.join(f.library, p))) === path.basename(p).split(".")[0]);
  return { inboxLeft: f.inboxes.flatMap((inbox) => listFiles(inbox)), libraryMd5s: new Set(libraryMd5s), libraryCount: library.length, places, reasons, dupMd5sOk, librarySizesOk };
}
