import { signatureDistance } from "@booru/hasher/signature";
import { ALGORITHMS, parseValue, type Algorithm, type BitHash } from "./hashes.js";
import { grow, Hash64Index, type Visit } from "./hash64-index.js";
import { pairsWithin, type Values64 } from "./hash64-join.js";
import { Hash256Index } from "./hash256-index.js";
import { Md5Slots } from "./md5-slots.js";

/** Hex strings as records hold them, or already parsed words. */
export type HashValues = Partial<Record<Algorithm, string | Uint32Array>>;

/** The fixed-size similarity hashes in the order of a packed record: 20 words. */
export const PACKED: readonly (readonly [BitHash, number])[] = [["phash64", 2], ["dhash64", 2], ["phash256", 8], ["blockhash256", 8]];
export const PACKED_WORDS = 20;

/**
 * Records' similarity values in bulk, as a store reads them to build the index: 20 words a
 * record in PACKED order, a bit per PACKED hash the record has (bit i for PACKED[i]), and the
 * frame signature of animations and videos. No object per record: a million are read at start.
 */
export interface HashBatch {
  md5s: string[];
  words: Uint32Array;
  present: Uint8Array;
  frames: (string | undefined)[];
}

/** An empty batch with room for `n` records. */
export function newBatch(n: number): HashBatch {
  return { md5s: [], words: new Uint32Array(n * PACKED_WORDS), present: new Uint8Array(n), frames: [] };
}

/** Appends one record given by hex values (or words) to a batch made for enough records. */
export function addToBatch(batch: HashBatch, md5: string, hashes: HashValues): void {
  const i = batch.md5s.length;
  batch.md5s.push(md5);
  const f = hashes.frames;
  batch.frames.push(typeof f === "string" ? f || undefined : undefined);
  let at = i * PACKED_WORDS;
  PACKED.forEach(([algo, n], k) => {
    const v = hashes[algo];
    const words = typeof v === "string" ? (v ? parseValue(algo, v) : undefined) : v;
    if (words) {
      batch.words.set(words, at);
      batch.present[i]! |= 1 << k;
    }
    at += n;
  });
}

/** A batch's records one by one, values as words (for tests and tools; the index reads batches). */
export function* batchRecords(batch: HashBatch): Generator<{ md5: string; hashes: HashValues }> {
  for (let i = 0; i < batch.md5s.length; i++) {
    const hashes: HashValues = {};
    let at = i * PACKED_WORDS;
    PACKED.forEach(([algo, n], k) => {
      if (batch.present[i]! & (1 << k)) hashes[algo] = batch.words.slice(at, at + n);
      at += n;
    });
    if (batch.frames[i]) hashes.frames = batch.frames[i];
    yield { md5: batch.md5s[i]!, hashes };
  }
}

export interface Match {
  md5: string;
  distance: number;
}

interface AlgoIndex {
  /** The value is `words` from `at` (its own length for frames). */
  set(slot: number, words: Uint32Array, at?: number): void;
  /** The slot's value as words, or undefined. */
  get(slot: number): Uint32Array | undefined;
  remove(slot: number): void;
  search(q: Uint32Array, maxDistance: number, visit: Visit): void;
  /** Compares every entry (no pruning): what `search` must equal, for the brute-force option. */
  bruteForce(q: Uint32Array, maxDistance: number, visit: Visit): void;
  readonly size: number;
}

function index64(): AlgoIndex & { snapshot(): Values64 } {
  const idx = new Hash64Index();
  return {
    snapshot: () => idx.snapshot(),
    set: (slot, w, at = 0) => idx.set(slot, w[at]!, w[at + 1]!),
    get: (slot) => idx.get(slot),
    remove: (slot) => idx.remove(slot),
    search: (q, d, visit) => idx.search(q[0]!, q[1]!, d, visit),
    bruteForce: (q, d, visit) => idx.scan(q[0]!, q[1]!, d, visit),
    get size() {
      return idx.size;
    },
  };
}

function index256(): AlgoIndex {
  const idx = new Hash256Index();
  return {
    set: (slot, w, at = 0) => idx.set(slot, w, at),
    get: (slot) => idx.get(slot),
    remove: (slot) => idx.remove(slot),
    search: (q, d, visit) => idx.search(q, d, visit),
    // The 256-bit index has no pruning: its search already compares every entry.
    bruteForce: (q, d, visit) => idx.search(q, d, visit),
    get size() {
      return idx.size;
    },
  };
}

/**
 * Frame signatures, compared one by one: animations and videos are few next to images, and
 * the signature distance (best alignment of 16 frames) is no Hamming distance a bit index
 * could prune. A candidate filter for large collections belongs with near-duplicate detection.
 */
function frameIndex(): AlgoIndex {
  const values = new Map<number, Uint32Array>();
  const compareAll = (q: Uint32Array, maxDistance: number, visit: Visit) => {
    for (const [slot, v] of values) {
      const d = signatureDistance(q, v);
      if (d <= maxDistance) visit(slot, d);
    }
  };
  return {
    set: (slot, w) => void values.set(slot, w),
    get: (slot) => values.get(slot),
    remove: (slot) => void values.delete(slot),
    search: compareAll,
    bruteForce: compareAll,
    get size() {
      return values.size;
    },
  };
}

/**
 * The in-memory similarity index of one catalog replica: every image's md5 gets a slot, and
 * each algorithm indexes its value by slot. Updates are idempotent, so applying the same
 * event twice (own write, then its echo from the bus) is harmless.
 */
export class SimilarityIndex {
  private readonly slots = new Md5Slots();
  private readonly phash64 = index64();
  private readonly dhash64 = index64();
  private readonly byAlgo: Record<Algorithm, AlgoIndex> = { phash64: this.phash64, dhash64: this.dhash64, phash256: index256(), blockhash256: index256(), frames: frameIndex() };
  /** While reconciling with the store: the slots upserted since `mark()` (see `sweep`). */
  private marks?: Uint8Array;

  get size(): number {
    return this.slots.size;
  }

  entries(algorithm: Algorithm): number {
    return this.byAlgo[algorithm].size;
  }

  has(md5: string): boolean {
    return this.slots.get(md5) !== -1;
  }

  /** Every md5 in the index, read as the walk reaches its slot (changes meanwhile are seen or not). */
  *md5s(): Generator<string> {
    for (let slot = 0; slot < this.slots.capacity; slot++) {
      const md5 = this.slots.md5Of(slot);
      if (md5 !== undefined) yield md5;
    }
  }

  /** The values held for an md5, as words (for comparing two entries without their records). */
  valuesOf(md5: string): Partial<Record<Algorithm, Uint32Array>> | undefined {
    const slot = this.slots.get(md5);
    if (slot === -1) return undefined;
    const out: Partial<Record<Algorithm, Uint32Array>> = {};
    for (const algo of ALGORITHMS) {
      const v = this.byAlgo[algo].get(slot);
      if (v) out[algo] = v;
    }
    return out;
  }

  upsert(md5: string, hashes: HashValues): void {
    const slot = this.place(md5);
    for (const algo of ALGORITHMS) {
      const v = hashes[algo];
      const words = typeof v === "string" ? (v ? parseValue(algo, v) : undefined) : v;
      if (words) this.byAlgo[algo].set(slot, words);
      else this.byAlgo[algo].remove(slot);
    }
  }

  /** Upserts a store's batch; `skip` leaves some out. Returns how many md5s were new. */
  upsertBatch(batch: HashBatch, skip?: (md5: string) => boolean): number {
    let added = 0;
    for (let i = 0; i < batch.md5s.length; i++) {
      const md5 = batch.md5s[i]!;
      if (skip?.(md5)) continue;
      if (!this.has(md5)) added++;
      const slot = this.place(md5);
      let at = i * PACKED_WORDS;
      for (let k = 0; k < PACKED.length; k++) {
        const [algo, n] = PACKED[k]!;
        if (batch.present[i]! & (1 << k)) this.byAlgo[algo].set(slot, batch.words, at);
        else this.byAlgo[algo].remove(slot);
        at += n;
      }
      const frames = batch.frames[i] ? parseValue("frames", batch.frames[i]!) : undefined;
      if (frames) this.byAlgo.frames.set(slot, frames);
      else this.byAlgo.frames.remove(slot);
    }
    return added;
  }

  /** The md5's slot, new if needed, marked while reconciling. */
  private place(md5: string): number {
    const { slot } = this.slots.add(md5);
    if (this.marks) {
      if (slot >= this.marks.length) this.marks = grow(this.marks, this.slots.capacity);
      this.marks[slot] = 1;
    }
    return slot;
  }

  /**
   * Every pair of images within maxDistance on a 64-bit hash, each once, in slices (md5, md5,
   * distance): what a rescan needs, far faster than one search per image (hash64-join.ts).
   * Works on a copy: images added meanwhile are not seen, removed ones are skipped.
   */
  *pairsWithin(algorithm: "phash64" | "dhash64", maxDistance: number): Generator<[string, string, number][]> {
    for (const found of pairsWithin(this[algorithm].snapshot(), maxDistance)) {
      const out: [string, string, number][] = [];
      for (let i = 0; i < found.length; i += 3) {
        const a = this.slots.md5Of(found[i]!);
        const b = this.slots.md5Of(found[i + 1]!);
        if (a !== undefined && b !== undefined) out.push([a, b, found[i + 2]!]);
      }
      yield out;
    }
  }

  /** The animations and videos (the images with a frame signature). */
  *framed(): Generator<string> {
    for (const md5 of this.md5s()) if (this.hasFrames(md5)) yield md5;
  }

  /** True for an animation or video (compared by frame signature). */
  hasFrames(md5: string): boolean {
    const slot = this.slots.get(md5);
    return slot !== -1 && this.byAlgo.frames.get(slot) !== undefined;
  }

  remove(md5: string): void {
    const slot = this.slots.delete(md5);
    if (slot === -1) return;
    for (const algo of ALGORITHMS) this.byAlgo[algo].remove(slot);
    if (this.marks && slot < this.marks.length) this.marks[slot] = 0;
  }

  /**
   * Reconciling with the store, mark and sweep: after `mark()`, every upsert marks its entry;
   * `sweep()` then removes every entry left unmarked (no longer in the store) and returns how
   * many. A bit per slot instead of a set of every md5 seen: no 100 MB spike per million.
   */
  mark(): void {
    this.marks = new Uint8Array(this.slots.capacity);
  }

  sweep(): number {
    const marks = this.marks;
    this.marks = undefined;
    if (!marks) return 0;
    let removed = 0;
    for (let slot = 0; slot < this.slots.capacity; slot++) {
      if (marks[slot]) continue;
      const md5 = this.slots.md5Of(slot);
      if (md5 === undefined) continue;
      this.remove(md5);
      removed++;
    }
    return removed;
  }

  /** Matches within maxDistance ordered by distance then md5, at most `limit`. */
  query(algorithm: Algorithm, value: Uint32Array, maxDistance: number, limit: number, bruteForce = false): Match[] {
    const byDistance: number[][] = Array.from({ length: maxDistance + 1 }, () => []);
    const visit: Visit = (slot, d) => byDistance[d]!.push(slot);
    const idx = this.byAlgo[algorithm];
    if (bruteForce) idx.bruteForce(value, maxDistance, visit);
    else idx.search(value, maxDistance, visit);
    // Only the distances needed to fill the limit are sorted by md5.
    const out: Match[] = [];
    for (let d = 0; d <= maxDistance && out.length < limit; d++) {
      const md5s = byDistance[d]!.map((slot) => this.slots.md5Of(slot)!).sort();
      for (const md5 of md5s) {
        if (out.length >= limit) break;
        out.push({ md5, distance: d });
      }
    }
    return out;
  }
}

/**
 * Partitioning the index across replicas (docs/scaling.md): an md5 belongs to one of `shards`
 * partitions by its first 8 hex digits, so every replica can tell which images it holds.
 */
export function shardOf(md5: string, shards: number): number {
  return parseInt(md5.slice(0, 8), 16) % shards;
}

/**
 * Scatter-gather: each partition answered the same query with its own best `limit`; the best
 * `limit` overall are among them, in the order one index gives (distance, then md5).
 */
export function gather(parts: Match[][], limit: number): Match[] {
  return parts
    .flat()
    .sort((a, b) => a.distance - b.distance || (a.md5 < b.md5 ? -1 : a.md5 > b.md5 ? 1 : 0))
    .slice(0, limit);
}
