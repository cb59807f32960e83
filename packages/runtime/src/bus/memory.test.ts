import { describe, expect, it } from "vitest";
import { MemoryQueue } from "./memory.js";
import type { WorkMessage } from "./types.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const opts = { durable: "d", maxInFlight: 2, ackWaitMs: 200, maxDeliver: 3 };

describe("in-process work queue", () => {
  it("drops a repeated msgId inside the window", async () => {
    const q = new MemoryQueue("s");
    expect(await q.publish(enc("a"), { msgId: "1" })).toEqual({ duplicate: false });
    expect(await q.publish(enc("a"), { msgId: "1" })).toEqual({ duplicate: true });
    expect(await q.depth()).toEqual({ pending: 1, ackPending: 0 });
  });

  it("never runs more than maxInFlight handlers at once", async () => {
    const q = new MemoryQueue("s");
    for (let i = 0; i < 10; i++) await q.publish(enc(String(i)));
    let running = 0;
    let peak = 0;
    let done = 0;
    const finished = new Promise<void>((resolve) => {
      void q.consume(opts, async (m) => {
        peak = Math.max(peak, ++running);
        await new Promise((r) => setTimeout(r, 10));
        running--;
        await m.ack();
        if (++done === 10) resolve();
      });
    });
    await finished;
    expect(peak).toBe(2);
  });

  it("redelivers after nak and after the ack wait, up to maxDeliver", async () => {
    const q = new MemoryQueue("s");
    await q.publish(enc("x"));
    const seen: number[] = [];
    const sub = await q.consume(opts, async (m: WorkMessage) => {
      seen.push(m.deliveryCount);
      if (m.deliveryCount === 1) m.nak(10);
      // second delivery: neither ack nor nak -> redelivered after ackWaitMs
    });
    await new Promise((r) => setTimeout(r, 800));
    await sub.stop();
    expect(seen).toEqual([1, 2, 3]);
  });

  it("keeps an acked message acked and stop() waits for running handlers", async () => {
    const q = new MemoryQueue("s");
    await q.publish(enc("y"));
    const got: string[] = [];
    let finished = false;
    const sub = await q.consume(opts, async (m) => {
      got.push(dec(m.data));
      await new Promise((r) => setTimeout(r, 100));
      await m.ack();
      finished = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    await sub.stop();
    expect(finished).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toEqual(["y"]);
    expect(await q.depth()).toEqual({ pending: 0, ackPending: 0 });
  });
});
