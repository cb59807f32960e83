import { popcount32 } from "./hashes.js";

/** One 64-bit value per entry: its slot and its two words. */
export interface Values64 {
  slots: Int32Array;
  hi: Uint32Array;
  lo: Uint32Array;
}

const CHUNKS = 4;
const BUCKETS = 1 << 16;
/** Queries between two yields: a slice of tens of milliseconds at a million entries. */
const SLICE = 2_000;

const chunkOf = (hi: number, lo: number, c: number) => (c < 2 ? hi >>> (16 * (1 - c)) : lo >>> (16 * (3 - c))) & 0xffff;

function masks16(radius: number): Int32Array {
  const out: number[] = [0];
  const extend = (mask: number, from: number, left: number) => {
    for (let b = from; b < 16 && left > 0; b++) {
      out.push(mask | (1 << b));
      extend(mask | (1 << b), b + 1, left - 1);
    }
  };
  extend(0, 0, radius);
  return Int32Array.from(out);
}

/**
 * Every pair of entries within `maxDistance`, each pair once (a, b, distance, with a's slot
 * below b's), yielded in slices so a caller can let other work through. For a rescan: where
 * one index search per entry costs a cache miss per probe of 8 MB tables (about 2 ms an entry
 * at a million, half an hour in all), this joins a sorted copy chunk by chunk. Values are cut
 * into four 16-bit chunks; a pair within d differs in at most floor(d/4) bits in some chunk
 * (pigeonhole), so for each chunk the entries are sorted by it and each entry probes the
 * buckets within that radius: the bucket offsets (256 KB) stay in cache, and a bucket's
 * entries are read in one run. A pair is reported at the first chunk that can find it.
 */
export function* pairsWithin(values: Values64, maxDistance: number): Generator<number[]> {
  const n = values.slots.length;
  const radius = Math.floor(maxDistance / CHUNKS);
  const probes = masks16(radius);
  const sorted = { slots: new Int32Array(n), hi: new Uint32Array(n), lo: new Uint32Array(n) };
  const keys = new Uint16Array(n);
  const starts = new Int32Array(BUCKETS + 1);
  for (let c = 0; c < CHUNKS; c++) {
    sortByChunk(values, c, sorted, keys, starts);
    let out: number[] = [];
    for (let i = 0; i < n; i++) {
      const slot = sorted.slots[i]!;
      const hi = sorted.hi[i]!;
      const lo = sorted.lo[i]!;
      const key = keys[i]!;
      for (let k = 0; k < probes.length; k++) {
        const bucket = key ^ probes[k]!;
        for (let j = starts[bucket]!, end = starts[bucket + 1]!; j < end; j++) {
          if (sorted.slots[j]! <= slot) continue;
          const ohi = sorted.hi[j]!;
          const olo = sorted.lo[j]!;
          const d = popcount32((ohi ^ hi) >>> 0) + popcount32((olo ^ lo) >>> 0);
          if (d > maxDistance || foundEarlier(hi, lo, ohi, olo, c, radius)) continue;
          out.push(slot, sorted.slots[j]!, d);
        }
      }
      if ((i + 1) % SLICE === 0) {
        yield out;
        out = [];
      }
    }
    yield out;
  }
}

/** True when an earlier chunk is within the radius: that chunk's pass reported the pair. */
function foundEarlier(hi: number, lo: number, ohi: number, olo: number, chunk: number, radius: number): boolean {
  for (let c = 0; c < chunk; c++) if (popcount32(chunkOf(hi, lo, c) ^ chunkOf(ohi, olo, c)) <= radius) return true;
  return false;
}

/** Counting sort of the entries by one chunk into `sorted`; `starts[v]` is where bucket v begins. */
function sortByChunk(values: Values64, c: number, sorted: Values64, keys: Uint16Array, starts: Int32Array): void {
  const n = values.slots.length;
  starts.fill(0);
  for (let i = 0; i < n; i++) starts[chunkOf(values.hi[i]!, values.lo[i]!, c) + 1]!++;
  for (let v = 0; v < BUCKETS; v++) starts[v + 1]! += starts[v]!;
  const at = starts.slice(0, BUCKETS);
  for (let i = 0; i < n; i++) {
    const key = chunkOf(values.hi[i]!, values.lo[i]!, c);
    const j = at[key]!++;
    sorted.slots[j] = values.slots[i]!;
    sorted.hi[j] = values.hi[i]!;
    sorted.lo[j] = values.lo[i]!;
    keys[j] = key;
  }
}
