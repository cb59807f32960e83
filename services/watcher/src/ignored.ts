/**
 * The entries of one inbox that the watcher leaves alone (temporary and hidden names, other
 * extensions), kept so they can be counted: a file that is never published must not be
 * silent. A full scan rebuilds the set; events add and remove entries in between.
 */
import type { Skip } from "./filters.js";

type Why = Exclude<Skip, "own">;

export class IgnoredEntries {
  private current = new Map<string, Why>();
  private building?: { entries: Map<string, Why>; overflow: Record<string, number> };
  private overflow: Record<string, number> = {};
  private version = 0;

  /**
   * `onChange` is called whenever the counts may have changed; at most `cap` paths are
   * remembered (a scan still counts the rest).
   */
  constructor(
    private readonly onChange: () => void = () => {},
    private readonly cap = 100_000,
  ) {}

  note(entry: string, why: Why): void {
    const b = this.building;
    if (b) {
      if (b.entries.size < this.cap || b.entries.has(entry)) b.entries.set(entry, why);
      else b.overflow[why] = (b.overflow[why] ?? 0) + 1;
    }
    // Past the cap, an entry seen between scans is counted by the next scan.
    if (this.current.get(entry) !== why && (this.current.size < this.cap || this.current.has(entry))) {
      this.current.set(entry, why);
      this.changed();
    }
  }

  gone(entry: string): void {
    this.building?.entries.delete(entry);
    if (this.current.delete(entry)) this.changed();
  }

  beginScan(): void {
    this.building = { entries: new Map(), overflow: {} };
  }

  /** The scan saw the whole inbox: its view replaces the old one. */
  endScan(): void {
    const built = this.building;
    if (!built) return;
    this.building = undefined;
    const same = sameMap(this.current, built.entries) && sameMap(new Map(Object.entries(this.overflow)), new Map(Object.entries(built.overflow)));
    this.current = built.entries;
    this.overflow = built.overflow;
    if (!same) this.changed();
  }

  /** Changes with every change of the counts (cheap to compare). */
  get changes(): number {
    return this.version;
  }

  private changed(): void {
    this.version++;
    this.onChange();
  }

  counts(): Record<string, number> {
    const out: Record<string, number> = { ...this.overflow };
    for (const why of this.current.values()) out[why] = (out[why] ?? 0) + 1;
    return out;
  }
}

function sameMap<V>(a: Map<string, V>, b: Map<string, V>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
