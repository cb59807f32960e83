import { grow } from "./hash64-index.js";

/**
 * md5 <-> slot for the similarity index, in typed arrays: 16 bytes per md5 plus a 4-byte cell
 * of an open-addressing table (at most half full), about 24 MB per million images, where a Map
 * of md5 strings and an array of them took about 120 MB (a V8 string and a map entry each).
 * Linear probing; removal shifts later cells back, so there are no tombstones to slow lookups
 * down after many deletions. The cell comes from all 16 bytes mixed with a per-process seed, not
 * from the md5's first bytes: md5s that share a prefix (made up in tests and benchmarks, or
 * files crafted to collide) would otherwise pile up in one run and make every lookup linear.
 */
const EMPTY = -1;
const SEED = (Math.random() * 0x100000000) >>> 0;

export class Md5Slots {
  private bytes = new Uint8Array(0);
  private used = new Uint8Array(0);
  private table = new Int32Array(0);
  private mask = 0;
  private count = 0;
  private readonly free: number[] = [];
  private readonly key = new Uint8Array(16);

  constructor() {
    this.resizeTable(1024);
  }

  get size(): number {
    return this.count;
  }

  /** One past the largest slot ever handed out: slots are below it. */
  get capacity(): number {
    return this.used.length;
  }

  /** The md5's slot, or -1. */
  get(md5: string): number {
    if (!this.parse(md5)) return EMPTY;
    for (let i = this.home(this.key); ; i = (i + 1) & this.mask) {
      const slot = this.table[i]!;
      if (slot === EMPTY || this.equals(slot, this.key)) return slot;
    }
  }

  /** The md5's slot, a new one if it had none; `isNew` says which. */
  add(md5: string): { slot: number; isNew: boolean } {
    const have = this.get(md5);
    if (have !== EMPTY) return { slot: have, isNew: false };
    if (!this.parse(md5)) throw new Error(`not an md5: ${md5.slice(0, 40)}`);
    if ((this.count + 1) * 2 > this.table.length) this.resizeTable(this.table.length * 2);
    const slot = this.free.pop() ?? this.nextSlot();
    this.bytes.set(this.key, slot * 16);
    this.used[slot] = 1;
    this.place(slot);
    this.count++;
    return { slot, isNew: true };
  }

  /** Frees the md5's slot; returns it, or -1 when it had none. */
  delete(md5: string): number {
    const slot = this.get(md5);
    if (slot === EMPTY) return EMPTY;
    let i = this.home(this.bytes.subarray(slot * 16, slot * 16 + 16));
    while (this.table[i] !== slot) i = (i + 1) & this.mask;
    this.table[i] = EMPTY;
    // Backward shift: a later cell of the same run moves into the hole if its home allows it.
    for (let j = (i + 1) & this.mask; this.table[j] !== EMPTY; j = (j + 1) & this.mask) {
      const other = this.table[j]!;
      const home = this.home(this.bytes.subarray(other * 16, other * 16 + 16));
      if (((j - home) & this.mask) >= ((j - i) & this.mask)) {
        this.table[i] = other;
        this.table[j] = EMPTY;
        i = j;
      }
    }
    this.used[slot] = 0;
    this.free.push(slot);
    this.count--;
    return slot;
  }

  /** The md5 in a slot, or undefined for a free one. */
  md5Of(slot: number): string | undefined {
    if (!this.used[slot]) return undefined;
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + slot * 16, 16).toString("hex");
  }

  /** Slots in use, in slot order. */
  *slots(): Generator<number> {
    for (let s = 0; s < this.used.length; s++) if (this.used[s]) yield s;
  }

  private nextSlot(): number {
    const slot = this.count + this.free.length;
    if (slot >= this.used.length) {
      const size = Math.max(1024, this.used.length * 2);
      this.bytes = grow(this.bytes, size * 16);
      this.used = grow(this.used, size);
    }
    return slot;
  }

  private place(slot: number): void {
    let i = this.home(this.bytes.subarray(slot * 16, slot * 16 + 16));
    while (this.table[i] !== EMPTY) i = (i + 1) & this.mask;
    this.table[i] = slot;
  }

  private resizeTable(size: number): void {
    this.table = new Int32Array(size).fill(EMPTY);
    this.mask = size - 1;
    for (let s = 0; s < this.used.length; s++) if (this.used[s]) this.place(s);
  }

  private home(b: Uint8Array): number {
    let h = SEED;
    for (let i = 0; i < 16; i += 4) {
      const w = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
      h = Math.imul(h ^ w, 0x9e3779b1);
      h = (h << 13) | (h >>> 19);
    }
    // murmur3's finaliser: every input bit reaches the low bits the mask keeps.
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h & this.mask;
  }

  private equals(slot: number, key: Uint8Array): boolean {
    const at = slot * 16;
    for (let i = 0; i < 16; i++) if (this.bytes[at + i] !== key[i]) return false;
    return true;
  }

  /** Into `key`; false for anything but 32 lower-case hex digits. */
  private parse(md5: string): boolean {
    if (md5.length !== 32) return false;
    for (let i = 0; i < 16; i++) {
      const hi = hexDigit(md5.charCodeAt(2 * i));
      const lo = hexDigit(md5.charCodeAt(2 * i + 1));
      if (hi < 0 || lo < 0) return false;
      this.key[i] = (hi << 4) | lo;
    }
    return true;
  }
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return -1; // upper case too: md5s are stored lower case, so it could only miss
}
