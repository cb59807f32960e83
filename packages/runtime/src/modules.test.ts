import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { defineModule, startApp, startOrder, type AppDef, type ModuleDef } from "./modules.js";
import { checkHealth } from "./health-client.js";

function recorder() {
  const events: string[] = [];
  const mod = (name: string, deps: string[], fail = false): ModuleDef =>
    defineModule({
      name,
      deps,
      settings: {},
      async start() {
        if (fail) throw new Error(`${name} cannot start`);
        events.push(`start ${name}`);
        return { stop: async () => void events.push(`stop ${name}`) };
      },
    }) as ModuleDef;
  return { events, mod };
}

/** An application of test modules, with no bus names and no peers. */
const appOf = (modules: ModuleDef[]): AppDef => ({ modules: modules.map((m) => ({ ...m, load: async () => m })), settings: {}, bus: { queues: {}, feeds: {} }, peers: {} });

const env = () => ({ BOORU_DATA: mkdtempSync(path.join(os.tmpdir(), "booru-mod-")), BOORU_LISTEN: "127.0.0.1:0", BOORU_METRICS_LISTEN: "127.0.0.1:0", BOORU_LOG_LEVEL: "silent" });

describe("module runner", () => {
  it("orders selected modules by dependency and ignores deps that run elsewhere", () => {
    const { mod } = recorder();
    const all = [mod("watcher", ["dedup"]), mod("dedup", ["hasher", "catalog"]), mod("hasher", []), mod("catalog", [])];
    expect(startOrder(all, ["all"]).map((m) => m.name)).toEqual(["hasher", "catalog", "dedup", "watcher"]);
    expect(startOrder(all, ["watcher", "dedup"]).map((m) => m.name)).toEqual(["dedup", "watcher"]);
    expect(() => startOrder(all, ["hashr"])).toThrow(/unknown module "hashr"/);
  });

  it("starts in dependency order, reports SERVING, stops in reverse", async () => {
    const { events, mod } = recorder();
    const app = await startApp(appOf([mod("b", ["a"]), mod("a", [])]), { env: env() });
    expect(await checkHealth(`127.0.0.1:${app.grpcPort}`, "")).toBe("SERVING");
    expect(await checkHealth(`127.0.0.1:${app.grpcPort}`, "a")).toBe("SERVING");
    const metrics = await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`).then((r) => r.text());
    expect(metrics).toContain("process_resident_memory_bytes");
    await app.stop();
    expect(events).toEqual(["start a", "start b", "stop b", "stop a"]);
  });

  it("stops what started when a module fails to start", async () => {
    const { events, mod } = recorder();
    await expect(startApp(appOf([mod("a", []), mod("b", ["a"], true)]), { env: env() })).rejects.toThrow("b cannot start");
    expect(events).toEqual(["start a", "stop a"]);
  });
});
