export * from "./client.js";
import { defineModule } from "@booru/runtime";

// Placeholder module: being built (see the open issue for this service).
export const hasherModule = defineModule({
  name: "hasher",
  deps: [],
  settings: {},
  async start(ctx) {
    ctx.log.warn("hasher is not built yet");
    return { stop: async () => {} };
  },
});
