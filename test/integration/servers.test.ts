import { describe, expect, it } from "vitest";
import { MongoClient } from "mongodb";
import { connectNatsBus, createLogger, isDuplicateKey } from "@booru/runtime";
import { mongoUrl, natsUrl, uniqueName } from "../harness/index.js";
import { BUS } from "@booru/app";

const log = createLogger("test", "silent");

describe("real servers from the harness", () => {
  it("publishes to and consumes from JetStream, dropping a repeated msgId", async () => {
    const bus = await connectNatsBus({ url: natsUrl(), topology: BUS, prefix: uniqueName(), name: "test", duplicateWindowMs: 60_000, log });
    try {
      const enc = new TextEncoder();
      expect(await bus.queue("files").publish(enc.encode("a"), { msgId: "a" })).toEqual({ duplicate: false });
      expect(await bus.queue("files").publish(enc.encode("a"), { msgId: "a" })).toEqual({ duplicate: true });
      expect(await bus.queue("files").publish(enc.encode("b"), { msgId: "b" })).toEqual({ duplicate: false });
      const got: string[] = [];
      const done = new Promise<void>((resolve) => {
        void bus.queue("files").consume({ durable: "d", maxInFlight: 2, ackWaitMs: 5000, maxDeliver: 3 }, async (m) => {
          got.push(new TextDecoder().decode(m.data));
          await m.ack();
          if (got.length === 2) resolve();
        }).then((sub) => done.then(() => sub.stop()));
      });
      await done;
      expect(got.sort()).toEqual(["a", "b"]);
      expect(await bus.queue("files").depth("d")).toEqual({ pending: 0, ackPending: 0 });
    } finally {
      await bus.close();
    }
  });

  it("redelivers a nak'd message with a higher delivery count", async () => {
    const bus = await connectNatsBus({ url: natsUrl(), topology: BUS, prefix: uniqueName(), name: "test", duplicateWindowMs: 60_000, log });
    try {
      await bus.queue("files").publish(new Uint8Array([1]), { msgId: "x" });
      const counts: number[] = [];
      await new Promise<void>((resolve) => {
        void bus.queue("files").consume({ durable: "d", maxInFlight: 1, ackWaitMs: 5000, maxDeliver: 5 }, async (m) => {
          counts.push(m.deliveryCount);
          if (m.deliveryCount < 2) m.nak(50);
          else {
            await m.ack();
            resolve();
          }
        });
      });
      expect(counts).toEqual([1, 2]);
    } finally {
      await bus.close();
    }
  });

  it("reports error code 11000 for a duplicate _id on the MongoDB-protocol server", async () => {
    const client = new MongoClient(mongoUrl());
    await client.connect();
    try {
      const claims = client.db(uniqueName("db")).collection<{ _id: string; state: string }>("claims");
      await claims.insertOne({ _id: "d41d8cd98f00b204e9800998ecf8427e", state: "claimed" });
      const err = await claims.insertOne({ _id: "d41d8cd98f00b204e9800998ecf8427e", state: "claimed" }).catch((e) => e);
      expect(err.code).toBe(11000);
      expect(isDuplicateKey(err)).toBe(true);
    } finally {
      await client.close();
    }
  });
});
