export * from "./client.js";
import { defineModule } from "@booru/runtime";

// Placeholder module: being built (see the open issue for this service).
export const catalogModule = defineModule({
  name: "catalog",
  deps: [],
  settings: {},
  async start(ctx) {
    ctx.log.warn("catalog is not built yet");
    return { stop: async () => {} };
  },
});
