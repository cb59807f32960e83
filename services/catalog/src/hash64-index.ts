import { popcount32 } from "./hashes.js";
import type { Values64 } from "./hash64-join.js";

export type Visit = (slot: number, distance: number) => void;

/**
 * How a 64-bit value (hi = bits 63..32, lo = bits 31..0) is cut into chunks. Few entries: four
 * 16-bit chunks (small tables). Many: three chunks of 21/21/22 bits, so a bucket holds about one
 * entry at a million and a query verifies a few hundred candidates (Norouzi et al. suggest
 * about 64 / log2(N) chunks).
 */
interface Layout {
  widths: number[];
  split(hi: number, lo: number, out: Int32Array): void;
}

const SMALL: Layout = {
  widths: [16, 16, 16, 16],
  split(hi, lo, out) {
    out[0] = hi >>> 16;
    out[1] = hi & 0xffff;
    out[2] = lo >>> 16;
    out[3] = lo & 0xffff;
  },
};

const LARGE: Layout = {
  widths: [21, 21, 22],
  split(hi, lo, out) {
    out[0] = lo & 0x1fffff;
    out[1] = (lo >>> 21) | ((hi & 0x3ff) << 11);
    out[2] = hi >>> 10;
  },
};

/** Entries above which the three-chunk layout pays for its larger tables. */
const LARGE_FROM = 1 << 18;

const maskCache = new Map<string, Int32Array>();

/** How many `width`-bit masks have at most `radius` bits set (sum of binomials), without building them. */
function probeCount(width: number, radius: number): number {
  let total = 0;
  let c = 1;
  for (let k = 0; k <= radius; k++) {
    total += c;
    c = (c * (width - k)) / (k + 1);
  }
  return total;
}

/** Every `width`-bit mask with at most `radius` bits set. */
function masks(width: number, radius: number): Int32Array {
  const key = `${width}/${radius}`;
  let out = maskCache.get(key);
  if (!out) {
    const list: number[] = [0];
    const extend = (mask: number, from: number, left: number) => {
      for (let b = from; b < width && left > 0; b++) {
        list.push(mask | (1 << b));
        extend(mask | (1 << b), b + 1, left - 1);
      }
    };
    extend(0, 0, radius);
    out = Int32Array.from(list);
    maskCache.set(key, out);
  }
  return out;
}

/**
 * Multi-index hashing over 64-bit values: the value is cut into m chunks, each with its own
 * table chunk -> slots. Two values within distance d differ in at most floor(d/m) bits in at
 * least one chunk (pigeonhole), so probing every chunk value within that radius finds every
 * candidate; each candidate is verified on all 64 bits, so results equal a brute-force scan.
 * Buckets are intrusive linked lists in typed arrays (head per bucket, next per slot): compact,
 * and inserts and removals are O(bucket length). Slots are small integers owned by the caller.
 */
export class Hash64Index {
  private hi = new Uint32Array(0);
  private lo = new Uint32Array(0);
  private present = new Uint8Array(0);
  /** Per query, the stamp marks slots already verified (a slot can match in several chunks). */
  private seen = new Uint32Array(0);
  private stamp = 0;
  private count = 0;
  private layout = SMALL;
  private heads: Int32Array[] = [];
  private nexts: Int32Array[] = [];
  private readonly parts = new Int32Array(4);

  /** @param largeFrom entries from which the three-chunk layout is used (lower in tests). */
  constructor(private readonly largeFrom = LARGE_FROM) {
    this.relayout(SMALL);
  }

  /** Chunks per value in the current layout. */
  get chunks(): number {
    return this.heads.length;
  }

  get size(): number {
    return this.count;
  }

  set(slot: number, hi: number, lo: number): void {
    this.ensure(slot + 1);
    if (this.present[slot]) {
      if (this.hi[slot] === hi >>> 0 && this.lo[slot] === lo >>> 0) return;
      this.remove(slot);
    }
    this.hi[slot] = hi;
    this.lo[slot] = lo;
    this.present[slot] = 1;
    this.count++;
    if (this.layout === SMALL && this.count >= this.largeFrom) this.relayout(LARGE);
    else this.link(slot);
  }

  /** A copy of every entry, for a join (`pairsWithin`) that must not see the index change under it. */
  snapshot(): Values64 {
    const slots = new Int32Array(this.count);
    let n = 0;
    for (let slot = 0; slot < this.present.length; slot++) if (this.present[slot]) slots[n++] = slot;
    return { slots, hi: Uint32Array.from(slots, (s) => this.hi[s]!), lo: Uint32Array.from(slots, (s) => this.lo[s]!) };
  }

  /** The slot's value as [hi, lo], or undefined. */
  get(slot: number): Uint32Array | undefined {
    return this.present[slot] ? Uint32Array.of(this.hi[slot]!, this.lo[slot]!) : undefined;
  }

  remove(slot: number): void {
    if (!this.present[slot]) return;
    this.layout.split(this.hi[slot]!, this.lo[slot]!, this.parts);
    for (let c = 0; c < this.heads.length; c++) {
      const head = this.heads[c]!;
      const next = this.nexts[c]!;
      const b = this.parts[c]!;
      if (head[b] === slot) head[b] = next[slot]!;
      else {
        let at = head[b]!;
        while (next[at] !== slot) at = next[at]!;
        next[at] = next[slot]!;
      }
    }
    this.present[slot] = 0;
    this.count--;
  }

  /** Calls visit for every slot within maxDistance (inclusive), in no particular order. */
  search(hi: number, lo: number, maxDistance: number, visit: Visit): void {
    const m = this.heads.length;
    const radius = Math.floor(maxDistance / m);
    // A probe costs about what verifying an entry does: scan when there are more probes than entries.
    const probes = this.layout.widths.reduce((n, w) => n + probeCount(w, radius), 0);
    if (probes > this.count) return this.scan(hi, lo, maxDistance, visit);
    const stamp = this.nextStamp();
    const parts = new Int32Array(m);
    this.layout.split(hi, lo, parts);
    for (let c = 0; c < m; c++) {
      const head = this.heads[c]!;
      const next = this.nexts[c]!;
      const probe = masks(this.layout.widths[c]!, radius);
      const v = parts[c]!;
      for (let k = 0; k < probe.length; k++) {
        for (let slot = head[v ^ probe[k]!]!; slot !== -1; slot = next[slot]!) {
          if (this.seen[slot] === stamp) continue;
          this.seen[slot] = stamp;
          const d = popcount32((this.hi[slot]! ^ hi) >>> 0) + popcount32((this.lo[slot]! ^ lo) >>> 0);
          if (d <= maxDistance) visit(slot, d);
        }
      }
    }
  }

  /** Brute force over every slot: the reference the index must equal, and the fallback for large distances. */
  scan(hi: number, lo: number, maxDistance: number, visit: Visit): void {
    const n = this.present.length;
    for (let slot = 0; slot < n; slot++) {
      if (!this.present[slot]) continue;
      const d = popcount32((this.hi[slot]! ^ hi) >>> 0) + popcount32((this.lo[slot]! ^ lo) >>> 0);
      if (d <= maxDistance) visit(slot, d);
    }
  }

  private link(slot: number): void {
    this.layout.split(this.hi[slot]!, this.lo[slot]!, this.parts);
    for (let c = 0; c < this.heads.length; c++) {
      const b = this.parts[c]!;
      this.nexts[c]![slot] = this.heads[c]![b]!;
      this.heads[c]![b] = slot;
    }
  }

  /** New tables for another layout, filled from the stored values. */
  private relayout(layout: Layout): void {
    this.layout = layout;
    this.heads = layout.widths.map((w) => new Int32Array(1 << w).fill(-1));
    this.nexts = layout.widths.map(() => new Int32Array(this.present.length));
    for (let slot = 0; slot < this.present.length; slot++) if (this.present[slot]) this.link(slot);
  }

  private nextStamp(): number {
    if (++this.stamp === 0xffffffff) {
      this.seen.fill(0);
      this.stamp = 1;
    }
    return this.stamp;
  }

  private ensure(capacity: number): void {
    if (capacity <= this.present.length) return;
    const next = Math.max(capacity, this.present.length * 2, 1024);
    this.hi = grow(this.hi, next);
    this.lo = grow(this.lo, next);
    this.seen = grow(this.seen, next);
    this.nexts = this.nexts.map((a) => grow(a, next));
    this.present = grow(this.present, next);
  }
}

/** A copy of a typed array at a new length (the index's arrays grow by doubling). */
export function grow<T extends Uint8Array | Uint32Array | Int32Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}
