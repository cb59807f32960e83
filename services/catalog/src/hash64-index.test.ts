import { describe, expect, it } from "vitest";
import { popcount32 } from "./hashes.js";
import { Hash64Index } from "./hash64-index.js";
import { pairsWithin } from "./hash64-join.js";

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

describe("Hash64Index", () => {
  it("equals brute force in both layouts, across the switch, after removals and changes", () => {
    const rand = rng(7);
    const index = new Hash64Index(3000);
    const values = new Map<number, [number, number]>();
    const flip = ([h, l]: [number, number], bits: number): [number, number] => {
      for (; bits > 0; bits--) {
        const b = rand() % 64;
        if (b < 32) h = (h ^ (1 << b)) >>> 0;
        else l = (l ^ (1 << (b - 32))) >>> 0;
      }
      return [h, l];
    };
    const check = () => {
      const keys = [...values.keys()];
      for (let q = 0; q < 60; q++) {
        const query = q % 3 ? flip(values.get(keys[rand() % keys.length]!)!, rand() % 10) : ([rand(), rand()] as [number, number]);
        for (const maxDistance of [0, 2, 5, 8, 11, 13, 20]) {
          const got: string[] = [];
          index.search(query[0], query[1], maxDistance, (slot, d) => got.push(`${slot}:${d}`));
          const want = [...values]
            .map(([slot, [h, l]]) => [slot, popcount32((h ^ query[0]) >>> 0) + popcount32((l ^ query[1]) >>> 0)] as const)
            .filter(([, d]) => d <= maxDistance)
            .map(([slot, d]) => `${slot}:${d}`);
          expect(got.sort()).toEqual(want.sort());
        }
      }
    };
    // Clusters, so queries have neighbours at small distances.
    for (let slot = 0; slot < 2500; slot++) values.set(slot, slot % 4 ? flip(values.get(slot - 1)!, rand() % 6) : [rand(), rand()]);
    for (const [slot, [h, l]] of values) index.set(slot, h, l);
    expect(index.chunks).toBe(4);
    check();
    for (let slot = 2500; slot < 5000; slot++) {
      values.set(slot, flip(values.get(slot - 1)!, rand() % 6));
      index.set(slot, ...values.get(slot)!);
    }
    expect(index.chunks).toBe(3);
    for (let i = 0; i < 800; i++) {
      const slot = rand() % 5000;
      if (i % 2) {
        values.delete(slot);
        index.remove(slot);
      } else {
        values.set(slot, flip(values.get(slot) ?? [rand(), rand()], 3));
        index.set(slot, ...values.get(slot)!);
      }
    }
    expect(index.size).toBe(values.size);
    check();
  });
});

describe("pairsWithin (the rescan's join)", () => {
  it("finds every pair a brute-force comparison finds, each once, at several distances", () => {
    const rand = rng(11);
    const index = new Hash64Index();
    const values: [number, number][] = [];
    for (let slot = 0; slot < 1500; slot++) {
      // Families of near values (up to 20 bits off a base), and some exact repeats.
      const base = slot % 5 === 0 || values.length === 0 ? [rand(), rand()] : values[rand() % values.length]!;
      let [h, l] = base;
      for (let bits = slot % 7 === 0 ? 0 : rand() % 21; bits > 0; bits--) {
        const b = rand() % 64;
        if (b < 32) h = (h ^ (1 << b)) >>> 0;
        else l = (l ^ (1 << (b - 32))) >>> 0;
      }
      values.push([h, l]);
      index.set(slot, h, l);
    }
    index.remove(3);
    for (const d of [0, 3, 14, 17]) {
      const expected: string[] = [];
      for (let a = 0; a < values.length; a++) {
        for (let b = a + 1; b < values.length; b++) {
          if (a === 3 || b === 3) continue;
          const dist = popcount32((values[a]![0] ^ values[b]![0]) >>> 0) + popcount32((values[a]![1] ^ values[b]![1]) >>> 0);
          if (dist <= d) expected.push(`${a}-${b}:${dist}`);
        }
      }
      const got: string[] = [];
      for (const slice of pairsWithin(index.snapshot(), d)) for (let i = 0; i < slice.length; i += 3) got.push(`${slice[i]}-${slice[i + 1]}:${slice[i + 2]}`);
      expect(got.sort()).toEqual(expected.sort());
      expect(expected.length).toBeGreaterThan(d === 0 ? 10 : 100);
    }
  });
});
