import { createMemoryBus } from "./memory.js";
import { busContract, CONTRACT_TOPOLOGY } from "./bus.contract.js";

busContract("in-process", async (log) => createMemoryBus(log, CONTRACT_TOPOLOGY));
