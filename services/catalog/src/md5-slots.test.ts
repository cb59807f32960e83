import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Md5Slots } from "./md5-slots.js";
import { SimilarityIndex } from "./similarity.js";

const md5 = (i: number) => createHash("md5").update(String(i)).digest("hex");
/** md5s that share their first 4 bytes: they all want the same table cell. */
const colliding = (i: number) => `abcdef01${i.toString(16).padStart(24, "0")}`;

describe("md5 slots", () => {
  it("agree with a Map through adds, deletes and re-adds, also when md5s share a home cell", () => {
    const slots = new Md5Slots();
    const ref = new Map<string, number>();
    let seed = 1;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let step = 0; step < 40_000; step++) {
      const key = rand() < 0.2 ? colliding(Math.floor(rand() * 300)) : md5(Math.floor(rand() * 5000));
      if (rand() < 0.35) {
        expect(slots.delete(key)).toBe(ref.get(key) ?? -1);
        ref.delete(key);
      } else {
        const { slot, isNew } = slots.add(key);
        expect(isNew).toBe(!ref.has(key));
        if (!isNew) expect(slot).toBe(ref.get(key));
        ref.set(key, slot);
      }
    }
    expect(slots.size).toBe(ref.size);
    for (const [key, slot] of ref) {
      expect(slots.get(key)).toBe(slot);
      expect(slots.md5Of(slot)).toBe(key);
    }
    expect(new Set(ref.values()).size).toBe(ref.size);
    expect([...slots.slots()].map((s) => slots.md5Of(s)).sort()).toEqual([...ref.keys()].sort());
    expect(slots.get(md5(999_999))).toBe(-1);
  });

  it("refuse what is not an md5 instead of filing it under another one", () => {
    const slots = new Md5Slots();
    expect(() => slots.add("not-an-md5")).toThrow(/not an md5/);
    expect(() => slots.add(md5(1).toUpperCase())).toThrow(/not an md5/);
    expect(slots.get("zz".repeat(16))).toBe(-1);
    expect(slots.size).toBe(0);
  });
});

describe("similarity index reconciliation", () => {
  it("sweeps exactly the entries not upserted since mark()", () => {
    const index = new SimilarityIndex();
    for (let i = 0; i < 100; i++) index.upsert(md5(i), { phash64: "00000000000000ff" });
    index.mark();
    for (let i = 0; i < 100; i += 2) index.upsert(md5(i), { phash64: "00000000000000ff" });
    index.upsert(md5(500), { phash64: "00000000000000ff" }); // new during the scan
    expect(index.sweep()).toBe(50);
    expect(index.size).toBe(51);
    expect(index.has(md5(1))).toBe(false);
    expect(index.has(md5(2))).toBe(true);
    expect(index.has(md5(500))).toBe(true);
    expect(index.query("phash64", Uint32Array.of(0, 0xff), 0, 1000)).toHaveLength(51);
    // Nothing marked any more: a second sweep removes nothing.
    expect(index.sweep()).toBe(0);
  });
});
