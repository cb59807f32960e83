/**
 * The bus contract: one suite, run against the in-process adapter (unit) and NATS JetStream
 * (integration), so code written against the port behaves the same on both.
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { Logger } from "../logger.js";
import type { Bus, BusTopology, WorkMessage } from "./types.js";

/** The queues and feeds the contract exercises (an application declares its own). */
export const CONTRACT_TOPOLOGY: BusTopology = {
  queues: { files: { stream: "INGEST", subject: "ingest.files" }, deletions: { stream: "DELETIONS", subject: "booru.deletions", publishResolvesOnAck: true } },
  feeds: { events: "booru.events", reports: "booru.reports" },
};

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A logger that keeps its records, so a test can see what an adapter reported. */
export function recordingLogger(): { log: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split("\n")) if (line) records.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: "debug" }, sink), records };
}

export function busContract(adapter: string, makeBus: (log: Logger) => Promise<Bus>): void {
  describe(`bus contract: ${adapter}`, () => {
    const logged = recordingLogger();
    const withBus = (fn: (bus: Bus) => Promise<void>) => async () => {
      const bus = await makeBus(logged.log);
      try {
        await fn(bus);
      } finally {
        await bus.close();
      }
    };

    it("drops a repeated msgId and delivers each message once when acked", withBus(async (bus) => {
      expect(await bus.queue("files").publish(enc("a"), { msgId: "a" })).toEqual({ duplicate: false });
      expect(await bus.queue("files").publish(enc("a"), { msgId: "a" })).toEqual({ duplicate: true });
      await bus.queue("files").publish(enc("b"), { msgId: "b", headers: { traceparent: "00-abc-def-01" } });
      const got: string[] = [];
      const headers: Record<string, string>[] = [];
      const sub = await bus.queue("files").consume({ durable: "c", maxInFlight: 4, ackWaitMs: 2000, maxDeliver: 3 }, async (m) => {
        got.push(dec(m.data));
        headers.push(m.headers);
        await m.ack();
      });
      await waitUntil(() => got.length >= 2);
      await sleep(300);
      await sub.stop();
      expect(got.sort()).toEqual(["a", "b"]);
      expect(headers.find((h) => h.traceparent)?.traceparent).toBe("00-abc-def-01");
      expect(await bus.queue("files").depth("c")).toEqual({ pending: 0, ackPending: 0 });
    }));

    it("counts what waits before its consumer exists (the catalog's overview while dedup starts)", withBus(async (bus) => {
      expect(await bus.queue("files").depth("c")).toEqual({ pending: 0, ackPending: 0 });
      for (const id of ["w1", "w2"]) await bus.queue("files").publish(enc(id), { msgId: id });
      expect(await bus.queue("files").depth("c")).toEqual({ pending: 2, ackPending: 0 });
    }));

    it("keeps a deletion published before any consumer, redelivers it after a nak without a limit, and settles the publish by the ack", withBus(async (bus) => {
      // Not awaited: in process the publish resolves only once a consumer acked the message.
      const published = bus.queue("deletions").publish(enc("d"));
      const counts: number[] = [];
      const sub = await bus.queue("deletions").consume({ durable: "d", maxInFlight: 1, ackWaitMs: 2000, maxDeliver: -1 }, async (m) => {
        counts.push(m.deliveryCount);
        if (m.deliveryCount < 3) m.nak(20);
        else await m.ack();
      });
      await expect(published).resolves.toEqual({ duplicate: false });
      await waitUntil(() => counts.length === 3);
      await sub.stop();
      expect(counts).toEqual([1, 2, 3]);
    }));

    it("bounds the handlers running at once", withBus(async (bus) => {
      for (let i = 0; i < 8; i++) await bus.queue("files").publish(enc(String(i)), { msgId: `m${i}` });
      let running = 0;
      let peak = 0;
      let done = 0;
      const sub = await bus.queue("files").consume({ durable: "c", maxInFlight: 3, ackWaitMs: 5000, maxDeliver: 3 }, async (m) => {
        peak = Math.max(peak, ++running);
        await sleep(30);
        running--;
        await m.ack();
        done++;
      });
      await waitUntil(() => done === 8);
      await sub.stop();
      expect(peak).toBeLessThanOrEqual(3);
      expect(peak).toBeGreaterThan(1);
    }));

    it("redelivers after nak and after the ack wait, counting deliveries, then gives up at maxDeliver", withBus(async (bus) => {
      await bus.queue("files").publish(enc("x"), { msgId: "x" });
      const counts: number[] = [];
      const sub = await bus.queue("files").consume({ durable: "c", maxInFlight: 1, ackWaitMs: 500, maxDeliver: 3 }, async (m: WorkMessage) => {
        counts.push(m.deliveryCount);
        if (m.deliveryCount === 1) m.nak(50);
        // later deliveries: no ack -> redelivered after the ack wait
      });
      await sleep(2500);
      await sub.stop();
      expect(counts).toEqual([1, 2, 3]);
    }));

    it("stop() waits for running handlers, and an acked message is not seen again", withBus(async (bus) => {
      await bus.queue("files").publish(enc("y"), { msgId: "y" });
      let finished = false;
      let seen = 0;
      const sub = await bus.queue("files").consume({ durable: "c", maxInFlight: 1, ackWaitMs: 1000, maxDeliver: 5 }, async (m) => {
        seen++;
        await sleep(200);
        await m.ack();
        finished = true;
      });
      await waitUntil(() => seen === 1);
      await sub.stop();
      expect(finished).toBe(true);
      const again = await bus.queue("files").consume({ durable: "c", maxInFlight: 1, ackWaitMs: 1000, maxDeliver: 5 }, async () => void seen++);
      await sleep(1500);
      await again.stop();
      expect(seen).toBe(1);
    }));

    it("logs a handler that throws (with its error) and redelivers the message after the ack wait", withBus(async (bus) => {
      await bus.queue("files").publish(enc("boom"), { msgId: "boom" });
      const counts: number[] = [];
      const sub = await bus.queue("files").consume({ durable: "c", maxInFlight: 1, ackWaitMs: 400, maxDeliver: 5 }, async (m) => {
        counts.push(m.deliveryCount);
        if (m.deliveryCount === 1) throw new Error("handler bug 1234");
        await m.ack();
      });
      await waitUntil(() => counts.length === 2);
      await sub.stop();
      expect(counts).toEqual([1, 2]);
      const record = logged.records.find((r) => (r.err as { message?: string } | undefined)?.message === "handler bug 1234");
      expect(record).toMatchObject({ level: 50, msg: expect.stringMatching(/handler failed/) });
    }));

    it("logs a failing event subscriber and still serves the others", withBus(async (bus) => {
      const got: string[] = [];
      const offBad = bus.feed("events").subscribe(() => {
        throw new Error("subscriber bug 5678");
      });
      const offGood = bus.feed("events").subscribe((d) => got.push(dec(d)));
      await sleep(100);
      bus.feed("events").publish(enc("e"));
      await waitUntil(() => got.length === 1);
      offBad();
      offGood();
      expect(logged.records.some((r) => (r.err as { message?: string } | undefined)?.message === "subscriber bug 5678")).toBe(true);
    }));

    it("fans events out to every subscriber", withBus(async (bus) => {
      const a: string[] = [];
      const b: string[] = [];
      const offA = bus.feed("events").subscribe((d) => a.push(dec(d)));
      const offB = bus.feed("events").subscribe((d) => b.push(dec(d)));
      await sleep(100);
      bus.feed("events").publish(enc("e1"));
      await waitUntil(() => a.length === 1 && b.length === 1);
      offA();
      offB();
      expect([a, b]).toEqual([["e1"], ["e1"]]);
    }));

    it("carries reports apart from catalog events", withBus(async (bus) => {
      const events: string[] = [];
      const reports: string[] = [];
      const offE = bus.feed("events").subscribe((d) => events.push(dec(d)));
      const offR = bus.feed("reports").subscribe((d) => reports.push(dec(d)));
      await sleep(100);
      bus.feed("reports").publish(enc("r1"));
      bus.feed("events").publish(enc("e1"));
      await waitUntil(() => events.length === 1 && reports.length === 1);
      offE();
      offR();
      expect([events, reports]).toEqual([["e1"], ["r1"]]);
    }));
  });
}

async function waitUntil(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await sleep(20);
  }
}
