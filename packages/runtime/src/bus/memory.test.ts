import { createMemoryBus } from "./memory.js";
import { busContract } from "./bus.contract.js";

busContract("in-process", async (log) => createMemoryBus(log));
