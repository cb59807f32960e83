import { describe, expect, it } from "vitest";
import { popcount32 } from "./hashes.js";
import { Hash64Index } from "./hash64-index.js";

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
