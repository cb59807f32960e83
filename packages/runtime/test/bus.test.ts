import { connectNatsBus, createLogger } from "@booru/runtime";
import { busContract } from "../src/bus/bus.contract.js";
import { natsUrl, uniqueName } from "../../../test/harness/index.js";

busContract("NATS JetStream", () =>
  connectNatsBus({ url: natsUrl(), prefix: uniqueName(), name: "contract", duplicateWindowMs: 60_000, log: createLogger("test", "silent") }),
);
