import { describe, expect, it } from "vitest";
import { distance, parseHash, type Algorithm } from "./hashes.js";
import { createHash } from "node:crypto";
import { gather, shardOf, SimilarityIndex, type Match } from "./similarity.js";

/** A seeded generator so a failure can be reproduced. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (bytes: number[]) => bytes.map((b) => b.toString(16).padStart(2, "0")).join("");

/** Random hashes in clusters: a base value and copies with a few bits flipped, so queries have neighbours at every distance. */
function randomHashes(rand: () => number, count: number, bits: number): string[] {
  const out: string[] = [];
  while (out.length < count) {
    const base = Array.from({ length: bits / 8 }, () => Math.floor(rand() * 256));
    for (let copies = 1 + Math.floor(rand() * 6); copies > 0 && out.length < count; copies--) {
      const v = [...base];
      for (let flips = Math.floor(rand() * 14); flips > 0; flips--) {
        const bit = Math.floor(rand() * bits);
        v[bit >> 3]! ^= 1 << (bit & 7);
      }
      out.push(hex(v));
    }
  }
  return out;
}

function bruteForce(values: Map<string, Uint32Array>, q: string, bits: 64 | 256, maxDistance: number, limit: number): Match[] {
  const qw = parseHash(q, bits)!;
  return [...values]
    .map(([md5, v]) => ({ md5, distance: distance(v, qw) }))
    .filter((m) => m.distance <= maxDistance)
    .sort((a, b) => a.distance - b.distance || (a.md5 < b.md5 ? -1 : 1))
    .slice(0, limit);
}

const md5Of = (i: number) => i.toString(16).padStart(32, "0");

describe("SimilarityIndex", () => {
  const cases: [Algorithm, 64 | 256][] = [["phash64", 64], ["dhash64", 64], ["phash256", 256], ["blockhash256", 256]];
  for (const [algo, bits] of cases) {
    it(`${algo}: equals brute force on random data, also after updates and removals`, () => {
      const rand = rng(bits + algo.length);
      const index = new SimilarityIndex();
      const values = new Map<string, string>();
      randomHashes(rand, 5000, bits).forEach((v, i) => {
        values.set(md5Of(i), v);
        index.upsert(md5Of(i), { [algo]: v });
      });
      // Change and remove some, so slots are reused and tables updated.
      const fresh = randomHashes(rand, 300, bits);
      for (let i = 0; i < 300; i++) {
        const md5 = md5Of(Math.floor(rand() * 5000));
        if (i % 2) {
          values.delete(md5);
          index.remove(md5);
        } else {
          values.set(md5, fresh[i]!);
          index.upsert(md5, { [algo]: fresh[i]! });
        }
      }
      for (let i = 5000; i < 5100; i++) {
        values.set(md5Of(i), fresh[i - 5000]!);
        index.upsert(md5Of(i), { [algo]: fresh[i - 5000]! });
      }
      expect(index.entries(algo)).toBe(values.size);
      const parsed = new Map([...values].map(([md5, v]) => [md5, parseHash(v, bits)!]));
      const queries = [...values.values()].filter(() => rand() < 0.05).concat(randomHashes(rand, 20, bits));
      let nonEmpty = 0;
      for (const q of queries) {
        for (const maxDistance of bits === 64 ? [0, 3, 8, 12, 20] : [10, 32]) {
          const got = index.query(algo, parseHash(q, bits)!, maxDistance, 1000);
          expect(got).toEqual(bruteForce(parsed, q, bits, maxDistance, 1000));
          if (got.length > 1) nonEmpty++;
        }
        expect(index.query(algo, parseHash(q, bits)!, 8, 3)).toEqual(bruteForce(parsed, q, bits, 8, 3));
      }
      // The data must exercise the comparison, not only empty results.
      expect(nonEmpty).toBeGreaterThan(queries.length / 2);
    });
  }

  it("keeps an md5 once and forgets removed ones", () => {
    const index = new SimilarityIndex();
    index.upsert(md5Of(1), { phash64: "ffff0000ffff0000" });
    index.upsert(md5Of(1), { phash64: "ffff0000ffff0000" });
    index.upsert(md5Of(2), { phash64: "ffff0000ffff0001" });
    expect(index.query("phash64", parseHash("ffff0000ffff0000", 64)!, 8, 10)).toEqual([
      { md5: md5Of(1), distance: 0 },
      { md5: md5Of(2), distance: 1 },
    ]);
    index.remove(md5Of(1));
    expect(index.size).toBe(1);
    expect(index.query("phash64", parseHash("ffff0000ffff0000", 64)!, 8, 10)).toEqual([{ md5: md5Of(2), distance: 1 }]);
  });
});

describe("a partitioned index (two replicas, each half the images)", () => {
  it("answers every query, gathered, exactly as one index holding everything", () => {
    const rand = rng(7);
    const whole = new SimilarityIndex();
    const halves = [new SimilarityIndex(), new SimilarityIndex()];
    const p64 = randomHashes(rand, 20_000, 64);
    const p256 = randomHashes(rand, 20_000, 256);
    const md5s = p64.map((_, i) => createHash("md5").update(String(i)).digest("hex"));
    md5s.forEach((md5, i) => {
      const hashes = { phash64: p64[i], phash256: p256[i] };
      whole.upsert(md5, hashes);
      halves[shardOf(md5, 2)]!.upsert(md5, hashes);
    });
    expect(halves.map((h) => h.size)).toEqual([expect.any(Number), expect.any(Number)]);
    expect(Math.min(...halves.map((h) => h.size))).toBeGreaterThan(9_000);
    let compared = 0;
    for (let q = 0; q < 300; q++) {
      const [algo, bits, values] = q % 2 ? (["phash64", 64, p64] as const) : (["phash256", 256, p256] as const);
      const value = parseHash(q % 3 ? values[Math.floor(rand() * values.length)]! : randomHashes(rand, 1, bits)[0]!, bits)!;
      const maxDistance = bits === 64 ? [4, 10, 16][q % 3]! : [20, 40, 64][q % 3]!;
      const limit = [1, 5, 50][q % 3]!;
      const one = whole.query(algo, value, maxDistance, limit);
      expect(gather(halves.map((h) => h.query(algo, value, maxDistance, limit)), limit)).toEqual(one);
      compared += one.length;
    }
    expect(compared).toBeGreaterThan(300);
  });
});
