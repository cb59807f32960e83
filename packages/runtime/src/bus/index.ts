export * from "./types.js";
export { createMemoryBus, MemoryQueue, MemoryFeed } from "./memory.js";
export { connectNatsBus } from "./nats.js";
