import { describe, expect, it } from "vitest";
import { BufferPool } from "./buffers.js";

describe("BufferPool", () => {
  const pool = () => {
    let allocated = 0;
    const p = new BufferPool((n) => {
      allocated++;
      return new Uint8Array(n);
    }, 1 << 20);
    return { p, allocated: () => allocated };
  };

  it("leases views of exactly the size asked for", () => {
    const { p } = pool();
    expect(p.lease(1000).view.length).toBe(1000);
    expect(p.lease(0).view.length).toBe(0);
  });

  it("reuses a released buffer for a request it fits, and never one still leased", () => {
    const { p, allocated } = pool();
    const a = p.lease(5000);
    const b = p.lease(3000);
    expect(allocated()).toBe(2);
    expect(b.view.buffer).not.toBe(a.view.buffer);
    a.release();
    a.release();
    const c = p.lease(4000);
    expect(c.view.buffer).toBe(a.view.buffer);
    expect(allocated()).toBe(2);
    // A request larger than any idle buffer gets a new one.
    c.release();
    p.lease(600_000);
    expect(allocated()).toBe(3);
  });

  it("gives the smallest idle buffer that fits", () => {
    const { p } = pool();
    const big = p.lease(600_000);
    const small = p.lease(100);
    big.release();
    small.release();
    expect(p.lease(50).view.buffer).toBe(small.view.buffer);
  });

  it("keeps at most its idle budget, dropping the oldest first", () => {
    const { p } = pool();
    const leases = [p.lease(300_000), p.lease(300_000), p.lease(300_000), p.lease(300_000), p.lease(300_000)];
    for (const l of leases) l.release();
    expect(p.idleSize).toBeLessThanOrEqual(1 << 20);
    expect(p.lease(300_000).view.buffer).not.toBe(leases[0]!.view.buffer);
    // Larger than the whole budget: never kept.
    const huge = p.lease(2 << 20);
    const before = p.idleSize;
    huge.release();
    expect(p.idleSize).toBe(before);
  });
});
