import { AckPolicy } from "nats";
import { connect } from "nats";
import { expect, it } from "vitest";
import { connectNatsBus, createLogger } from "@booru/runtime";
import { busContract, CONTRACT_TOPOLOGY } from "../src/bus/bus.contract.js";
import { natsUrl, uniqueName } from "../../../test/harness/index.js";

busContract("NATS JetStream", (log) => connectNatsBus({ url: natsUrl(), topology: CONTRACT_TOPOLOGY, prefix: uniqueName(), name: "contract", duplicateWindowMs: 60_000, log }));

it("fails to consume with the server's reason when the consumer cannot be made, instead of consuming nothing", async () => {
  const prefix = uniqueName();
  const bus = await connectNatsBus({ url: natsUrl(), topology: CONTRACT_TOPOLOGY, prefix, name: "consumer-test", duplicateWindowMs: 60_000, log: createLogger("test", "silent") });
  const nc = await connect({ servers: natsUrl() });
  try {
    await bus.queue("files").publish(new Uint8Array([1]));
    // A work-queue stream allows one consumer per subject: another one already holds it.
    const jsm = await nc.jetstreamManager();
    await jsm.consumers.add(`${prefix}_INGEST`, { durable_name: "someone-else", ack_policy: AckPolicy.Explicit, filter_subject: `${prefix}.ingest.files` });
    const failed = bus.queue("files").consume({ durable: "dedup", maxInFlight: 1, ackWaitMs: 1000, maxDeliver: 3 }, async (m) => m.ack());
    await expect(failed).rejects.toThrow(/cannot create the JetStream consumer "dedup" on stream .*_INGEST: .*(unique|workqueue)/i);
  } finally {
    await nc.close();
    await bus.close();
  }
});
