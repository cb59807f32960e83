/**
 * File times compared with file times: a file's mtime is set by the clock of the machine that
 * serves the folder (a NAS, an SMB share), which may be minutes off this one. To ask "was this
 * file modified in the last two minutes?" the folder's own "now" is read by creating a probe
 * file there and reading its mtime; the offset to this machine's clock is kept for a while.
 */
import { randomBytes } from "node:crypto";
import { open, unlink } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "./logger.js";

/** Probe files start with this; the watcher never publishes them. */
export const CLOCK_PROBE_PREFIX = ".booru-clock-";

export class FileClock {
  private readonly offsets = new Map<string, { offsetMs: Promise<number>; until: number }>();
  private readonly warned = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly keepMs = 60_000,
  ) {}

  /** Now, as the file server behind `dir` would stamp it (this machine's clock when it cannot be read). */
  async now(dir: string): Promise<number> {
    let cached = this.offsets.get(dir);
    if (!cached || cached.until <= Date.now()) {
      // One probe at a time per folder, however many files ask at once.
      cached = { offsetMs: this.probe(dir), until: Date.now() + this.keepMs };
      this.offsets.set(dir, cached);
    }
    const offsetMs = await cached.offsetMs;
    return Date.now() - offsetMs;
  }

  /** How long ago the file server behind `dir` stamped `mtimeMs`. */
  async age(dir: string, mtimeMs: number): Promise<number> {
    return (await this.now(dir)) - mtimeMs;
  }

  /** This machine's clock minus the folder's (0 when the folder cannot be written). */
  private async probe(dir: string): Promise<number> {
    const file = path.join(dir, `${CLOCK_PROBE_PREFIX}${process.pid}-${randomBytes(4).toString("hex")}`);
    try {
      const before = Date.now();
      const fh = await open(file, "wx");
      try {
        const { mtimeMs } = await fh.stat();
        return Math.round((before + Date.now()) / 2 - mtimeMs);
      } finally {
        await fh.close();
        await unlink(file).catch(() => undefined);
      }
    } catch (err) {
      if (!this.warned.has(dir)) {
        this.warned.add(dir);
        this.log.warn({ err, dir }, "cannot read the folder's clock (no write access?); comparing file times with this machine's clock");
      }
      return 0;
    }
  }
}
