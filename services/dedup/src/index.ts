import { defineModule } from "@booru/runtime";

// Placeholder module: being built (see the open issue for this service).
export const dedupModule = defineModule({
  name: "dedup",
  deps: ["hasher", "catalog"],
  settings: {},
  async start(ctx) {
    ctx.log.warn("dedup is not built yet");
    return { stop: async () => {} };
  },
});
