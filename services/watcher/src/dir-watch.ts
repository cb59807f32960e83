/**
 * Event-driven watching with one inotify watch per folder (fs.watch). Each event names one
 * entry, so the cost of an event is one lstat of that entry, whatever the folder's size.
 * (chokidar re-reads and lstat()s the whole folder on every change: with 10,000 files in a
 * flat inbox that pegged a core while dedup emptied it.) New folders are watched as they
 * appear and scanned once, for files that landed before their watch was set. Polling for
 * network shares is done by the periodic streaming scan instead (see index.ts).
 */
import { watch, type FSWatcher } from "node:fs";
import { lstat } from "node:fs/promises";
import path from "node:path";
import type { EntryFilter, Skip } from "./filters.js";
import { scanInbox } from "./scan.js";

export interface DirWatchHandlers {
  onFile(file: string): void;
  /** An entry left alone because of its name or extension. */
  onSkip(entry: string, why: Exclude<Skip, "own">): void;
  /** An entry that went away. */
  onGone(entry: string): void;
  onError(err: unknown, dir: string): void;
}

export class DirWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private closed = false;

  constructor(
    private readonly root: string,
    private readonly filter: EntryFilter,
    private readonly handlers: DirWatchHandlers,
  ) {}

  /** Watches the root and every folder below it (folders only are held, never files). */
  async start(): Promise<void> {
    await this.watchTree(this.root, async () => {});
  }

  get folderCount(): number {
    return this.watchers.size;
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private watchDir(dir: string): void {
    if (this.closed || this.watchers.has(dir)) return;
    try {
      const w = watch(dir, { persistent: true }, (_event, name) => {
        if (name) void this.onEntry(dir, name.toString());
      });
      w.on("error", (err) => {
        // The folder went away (or the watch broke): forget it; the periodic scan still runs.
        this.unwatch(dir);
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.handlers.onError(err, dir);
      });
      this.watchers.set(dir, w);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.handlers.onError(err, dir);
    }
  }

  private unwatch(dir: string): void {
    this.watchers.get(dir)?.close();
    this.watchers.delete(dir);
  }

  private async onEntry(dir: string, name: string): Promise<void> {
    if (this.closed) return;
    const full = path.join(dir, name);
    const st = await lstat(full).catch(() => undefined);
    if (!st) {
      if (this.watchers.has(full)) this.unwatch(full);
      this.handlers.onGone(full);
      return;
    }
    // Symlinked folders are never entered (a link is published as an entry; dedup judges it).
    const isDir = st.isDirectory();
    if (!isDir && !st.isFile() && !st.isSymbolicLink()) return;
    const skip = isDir ? this.filter.folder(full) : this.filter.file(full);
    if (skip === "own") return;
    if (skip) this.handlers.onSkip(full, skip);
    else if (!isDir) this.handlers.onFile(full);
    else if (!this.watchers.has(full)) await this.watchTree(full, async (file) => this.handlers.onFile(file));
  }

  /**
   * Watches `dir` and every folder below it, each before it is read, and hands over the files
   * found on the way (those that landed before their folder's watch was set).
   */
  private async watchTree(dir: string, onFile: (file: string) => Promise<void>): Promise<void> {
    const handlers = { onFile, onSkip: this.handlers.onSkip, stopped: () => this.closed, onFolder: (folder: string) => this.watchDir(folder) };
    await scanInbox(dir, this.filter, handlers).catch((err) => this.handlers.onError(err, dir));
  }
}
