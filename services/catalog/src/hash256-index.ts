import { popcount32 } from "./hashes.js";
import type { Visit } from "./hash64-index.js";

const WORDS = 8;

/** 256-bit values scanned linearly (the issue allows it); words packed in one typed array. */
export class Hash256Index {
  private words = new Uint32Array(0);
  private present = new Uint8Array(0);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The value is `value`'s 8 words from `at`. */
  set(slot: number, value: Uint32Array, at = 0): void {
    this.ensure(slot + 1);
    for (let i = 0; i < WORDS; i++) this.words[slot * WORDS + i] = value[at + i]!;
    if (!this.present[slot]) this.count++;
    this.present[slot] = 1;
  }

  /** A copy of the slot's value, or undefined. */
  get(slot: number): Uint32Array | undefined {
    return this.present[slot] ? this.words.slice(slot * WORDS, slot * WORDS + WORDS) : undefined;
  }

  remove(slot: number): void {
    if (!this.present[slot]) return;
    this.present[slot] = 0;
    this.count--;
  }

  search(q: Uint32Array, maxDistance: number, visit: Visit): void {
    const n = this.present.length;
    const w = this.words;
    for (let slot = 0; slot < n; slot++) {
      if (!this.present[slot]) continue;
      const base = slot * WORDS;
      let d = 0;
      // Stop early once the distance is already too large (most entries, for small distances).
      for (let i = 0; i < WORDS && d <= maxDistance; i++) d += popcount32((w[base + i]! ^ q[i]!) >>> 0);
      if (d <= maxDistance) visit(slot, d);
    }
  }

  private ensure(capacity: number): void {
    if (capacity <= this.present.length) return;
    const next = Math.max(capacity, this.present.length * 2, 1024);
    const words = new Uint32Array(next * WORDS);
    words.set(this.words);
    this.words = words;
    const present = new Uint8Array(next);
    present.set(this.present);
    this.present = present;
  }
}
