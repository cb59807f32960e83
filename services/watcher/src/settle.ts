/**
 * A file is published once it is complete: size and mtime unchanged for the settle time.
 * Files already older than the settle time (found by a scan) are published at once.
 */
import { lstat } from "node:fs/promises";

export interface FileFacts {
  size: number;
  mtimeMs: number;
}

interface Pending extends FileFacts {
  timer: NodeJS.Timeout;
}

export class Settler {
  private readonly pending = new Map<string, Pending>();
  private closed = false;

  constructor(
    private readonly settleMs: number,
    private readonly onSettled: (file: string, facts: FileFacts) => Promise<void>,
    private readonly onError: (file: string, err: unknown) => void,
  ) {}

  /** Something happened to this file: (re)start its settle clock. Resolves once it is published or scheduled. */
  async touch(file: string): Promise<void> {
    if (this.closed) return;
    const facts = await stat(file);
    if (!facts) return this.forget(file);
    const prev = this.pending.get(file);
    // Unchanged since the clock started (a poll, a repeated event): let the clock run on.
    if (prev && prev.size === facts.size && prev.mtimeMs === facts.mtimeMs) return;
    if (prev) clearTimeout(prev.timer);
    if (!prev && Date.now() - facts.mtimeMs >= this.settleMs) {
      this.pending.delete(file);
      return this.publish(file, facts);
    }
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
    const timer = setTimeout(() => void this.check(file, facts), this.settleMs);
    this.pending.set(file, { ...facts, timer });
  }

  private async check(file: string, before: FileFacts): Promise<void> {
    if (this.closed) return;
    const now = await stat(file);
    if (!now) return this.forget(file);
    if (now.size !== before.size || now.mtimeMs !== before.mtimeMs) return this.schedule(file, now);
    this.pending.delete(file);
    await this.publish(file, now);
  }

  private async publish(file: string, facts: FileFacts): Promise<void> {
    try {
      await this.onSettled(file, facts);
    } catch (err) {
      this.onError(file, err);
    }
  }
}

async function stat(file: string): Promise<FileFacts | undefined> {
  try {
    const st = await lstat(file);
    return { size: st.size, mtimeMs: Math.floor(st.mtimeMs) };
  } catch {
    return undefined;
  }
}
