/**
 * A file is published once it is complete: size and mtime unchanged for the settle time.
 * Files already older than the settle time (found by a scan) are published at once; "older" is
 * judged by the clock of the file server behind the inbox, never this machine's, so a share
 * whose clock is behind cannot make a file being written look old.
 */
import { access, lstat } from "node:fs/promises";

export interface FileFacts {
  size: number;
  mtimeMs: number;
  /** Set by the file server on every change (a user cannot set it); carried in the event for its record ids. */
  ctimeMs: number;
}

export interface SettlerOptions {
  settleMs: number;
  /** Now, by the clock of the file server behind the inbox. */
  fileNow(): Promise<number>;
  /** Names whose presence means the file is still being written (a download's `x.jpg.part` beside an empty `x.jpg`). */
  tempSiblings(file: string): string[];
  onSettled(file: string, facts: FileFacts): Promise<void>;
  onError(file: string, err: unknown): void;
}

interface Pending extends FileFacts {
  timer: NodeJS.Timeout;
}

export class Settler {
  private readonly pending = new Map<string, Pending>();
  private closed = false;

  constructor(private readonly opts: SettlerOptions) {}

  /** Something happened to this file: (re)start its settle clock. Resolves once it is published or scheduled. */
  async touch(file: string): Promise<void> {
    if (this.closed) return;
    const facts = await stat(file);
    if (!facts) return this.forget(file);
    const prev = this.pending.get(file);
    // Unchanged since the clock started (a poll, a repeated event): let the clock run on.
    if (prev && sameContent(prev, facts)) return;
    if (prev) clearTimeout(prev.timer);
    if (!prev && (await this.opts.fileNow()) - facts.mtimeMs >= this.opts.settleMs) return this.settled(file, facts);
    this.schedule(file, facts);
  }

  get size(): number {
    return this.pending.size;
  }

  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  private forget(file: string): void {
    const p = this.pending.get(file);
    if (p) clearTimeout(p.timer);
    this.pending.delete(file);
  }

  private schedule(file: string, facts: FileFacts): void {
    const timer = setTimeout(() => void this.check(file, facts), this.opts.settleMs);
    this.pending.set(file, { ...facts, timer });
  }

  private async check(file: string, before: FileFacts): Promise<void> {
    if (this.closed) return;
    const now = await stat(file);
    if (!now) return this.forget(file);
    if (!sameContent(now, before)) return this.schedule(file, now);
    await this.settled(file, now);
  }

  /** Publishes, unless a temporary sibling says the real bytes are still being written elsewhere. */
  private async settled(file: string, facts: FileFacts): Promise<void> {
    if (facts.size === 0 && (await anyExists(this.opts.tempSiblings(file)))) return this.schedule(file, facts);
    this.pending.delete(file);
    try {
      await this.opts.onSettled(file, facts);
    } catch (err) {
      this.opts.onError(file, err);
    }
  }
}

const sameContent = (a: FileFacts, b: FileFacts) => a.size === b.size && a.mtimeMs === b.mtimeMs;

async function anyExists(files: string[]): Promise<boolean> {
  const found = await Promise.all(files.map((f) => access(f).then(() => true, () => false)));
  return found.includes(true);
}

async function stat(file: string): Promise<FileFacts | undefined> {
  try {
    const st = await lstat(file);
    return { size: st.size, mtimeMs: Math.floor(st.mtimeMs), ctimeMs: Math.floor(st.ctimeMs) };
  } catch {
    return undefined;
  }
}
