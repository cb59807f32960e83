import { defineModule } from "@booru/runtime";

// Placeholder module: being built (see the open issue for this service).
export const watcherModule = defineModule({
  name: "watcher",
  deps: ["dedup"],
  settings: {},
  async start(ctx) {
    ctx.log.warn("watcher is not built yet");
    return { stop: async () => {} };
  },
});
