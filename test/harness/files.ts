/** Test inputs and accounting helpers shared by the end-to-end tests. */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { CLOCK_PROBE_PREFIX } from "@booru/runtime";

/** A random-noise photo-like JPEG: every call gives different bytes and a different image. */
export async function noiseJpeg(width = 96, height = 64): Promise<Buffer> {
  return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
}

export const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");

/**
 * Every file below `dir` (relative paths, sorted): regular files and links, not folders, and not
 * the pipeline's own clock probes (they live for a millisecond; nobody dropped them). The one
 * listing every suite uses.
 */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.name.startsWith(CLOCK_PROBE_PREFIX)) continue;
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** md5 of every file in the library, from its content (not its name). */
export async function libraryMd5s(library: string): Promise<string[]> {
  const files = (await listFiles(library)).filter((f) => !f.includes(".tmp"));
  return Promise.all(files.map(async (f) => md5(await readFile(path.join(library, f))))).then((l) => l.sort());
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

export async function isEmptyDir(dir: string): Promise<boolean> {
  return (await listFiles(dir)).length === 0;
}

export async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}
