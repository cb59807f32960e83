/**
 * Streaming walk of an inbox: one folder open at a time, files handed over as they are read,
 * so a folder of millions of files needs neither a list of every path nor many descriptors.
 * Only the paths of folders still to visit are kept. Symlinked folders are never entered.
 */
import { opendir } from "node:fs/promises";
import path from "node:path";
import type { NameFilter } from "./filters.js";

/** `onFolder` sees each folder (the root too) just before it is read. */
export async function scanInbox(
  root: string,
  filter: NameFilter,
  onFile: (abs: string) => Promise<void>,
  stopped: () => boolean = () => false,
  onFolder: (dir: string) => void = () => {},
): Promise<number> {
  const folders = [root];
  let files = 0;
  while (folders.length > 0 && !stopped()) {
    const dir = folders.pop()!;
    onFolder(dir);
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
      if (filter.ignoredName(entry.name)) continue;
      const abs = path.join(dir, entry.name);
      if (entry.isDirectory()) folders.push(abs);
      else if ((entry.isFile() || entry.isSymbolicLink()) && filter.wanted(abs)) {
        files++;
        await onFile(abs);
      }
    }
  }
  return files;
}
