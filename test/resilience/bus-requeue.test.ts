/**
 * A consumer that republishes a message with the headers it received (dedup's requeue after
 * waiting out an outage) must get a fresh message, not a copy JetStream drops as a repeat of
 * the original's Nats-Msg-Id. Found by the hasher-outage scenario: requeued files sat in the
 * inbox until the duplicate window had passed and a reconcile scan found them again.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { connectNatsBus, createLogger, type Bus, type WorkMessage } from "@booru/runtime";
import { startLocalNats, uniqueName } from "../harness/index.js";
import { BUS } from "@booru/app";

let nats: Awaited<ReturnType<typeof startLocalNats>>;
let bus: Bus;

beforeAll(async () => {
  nats = await startLocalNats();
  bus = await connectNatsBus({ url: nats.url, topology: BUS, prefix: uniqueName(), name: "requeue-test", duplicateWindowMs: 120_000, log: createLogger("test", "silent") });
});

afterAll(async () => {
  await bus?.close();
  await nats?.stop();
  rmSync(nats.dir, { recursive: true, force: true });
});

it("a message republished with its received headers is delivered again", async () => {
  const seen: WorkMessage[] = [];
  let requeued = false;
  const twice = new Promise<void>((resolve) => {
    void bus.queue("files").consume({ durable: "requeue", maxInFlight: 1, ackWaitMs: 30_000, maxDeliver: 5 }, async (msg) => {
      seen.push(msg);
      if (!requeued) {
        requeued = true;
        const res = await bus.queue("files").publish(msg.data, { headers: { ...msg.headers, "booru-requeued": "1" } });
        expect(res.duplicate).toBe(false);
      } else resolve();
      await msg.ack();
    });
  });
  await bus.queue("files").publish(new TextEncoder().encode("file"), { msgId: "the-original-id", headers: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" } });
  await Promise.race([twice, new Promise((_, reject) => setTimeout(() => reject(new Error("the requeued copy never came")), 10_000))]);
  expect(seen).toHaveLength(2);
  // Payload headers survive the requeue; the server's id does not make it a duplicate.
  expect(seen[1].headers.traceparent).toBe(seen[0].headers.traceparent);
  expect(seen[1].headers["booru-requeued"]).toBe("1");
});
