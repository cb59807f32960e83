/**
 * Streaming walk of an inbox: one folder open at a time, files handed over as they are read,
 * so a folder of millions of files needs neither a list of every path nor many descriptors.
 * Only the paths of folders still to visit are kept. Symlinked folders are never entered, nor
 * the pipeline's own folders (see filters.ts).
 */
import { opendir } from "node:fs/promises";
import path from "node:path";
import type { EntryFilter, Skip } from "./filters.js";

export interface ScanHandlers {
  onFile(abs: string): Promise<void>;
  /** An entry left alone because of its name or extension (the pipeline's own are not reported). */
  onSkip?(abs: string, why: Exclude<Skip, "own">): void;
  /** Each folder (the root too), just before it is read. */
  onFolder?(dir: string): void;
  stopped?(): boolean;
}

/** Walks `root`; returns the number of files handed to `onFile`. */
export async function scanInbox(root: string, filter: EntryFilter, handlers: ScanHandlers): Promise<number> {
  const stopped = handlers.stopped ?? (() => false);
  const folders = [root];
  let files = 0;
  while (folders.length > 0 && !stopped()) {
    const dir = folders.pop()!;
    handlers.onFolder?.(dir);
    let handle;
    try {
      handle = await opendir(dir, { bufferSize: 128 });
    } catch (err) {
      // Removed or unreadable while we walked: the next scan looks again.
      if (["ENOENT", "ENOTDIR", "EACCES"].includes((err as NodeJS.ErrnoException).code ?? "")) continue;
      throw err;
    }
    for await (const entry of handle) {
      if (stopped()) break;
      const abs = path.join(dir, entry.name);
      const isDir = entry.isDirectory();
      if (!isDir && !entry.isFile() && !entry.isSymbolicLink()) continue;
      const skip = isDir ? filter.folder(abs) : filter.file(abs);
      if (skip === "own") continue;
      if (skip) handlers.onSkip?.(abs, skip);
      else if (isDir) folders.push(abs);
      else {
        files++;
        await handlers.onFile(abs);
      }
    }
  }
  return files;
}
