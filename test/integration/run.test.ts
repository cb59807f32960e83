import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkHealth } from "@booru/runtime";
import { runBooru, startBooru } from "../harness/index.js";

const SERVICES = ["", "booru.hasher.v1.Hasher", "booru.catalog.v1.Catalog", "hasher", "catalog", "dedup", "watcher"];

async function waitServing(target: string, service: string, ms = 30_000): Promise<string> {
  const until = Date.now() + ms;
  let last = "";
  while (Date.now() < until) {
    last = await checkHealth(target, service);
    if (last === "SERVING") return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}

const childrenOf = (pid: number): string => {
  try {
    return execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
};

describe("booru run --target=all", () => {
  it("serves health for every service and /metrics, and SIGTERM exits 0 leaving no children", async () => {
    const data = mkdtempSync(path.join(os.tmpdir(), "booru-run-"));
    const app = await startBooru("run", ["--target=all"], { BOORU_DATA: data, BOORU_SHUTDOWN_TIMEOUT: "10s" });
    for (const s of SERVICES) expect(await waitServing(app.target, s), `health of ${JSON.stringify(s)}\n${app.output()}`).toBe("SERVING");
    const metrics = await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^process_resident_memory_bytes \d+/m);
    const pid = app.proc.pid!;
    const started = Date.now();
    app.kill("SIGTERM");
    expect(await app.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(childrenOf(pid)).toBe("");
  });

  it("runs a single target", async () => {
    const data = mkdtempSync(path.join(os.tmpdir(), "booru-run-"));
    const app = await startBooru("run", ["--target=hasher"], { BOORU_DATA: data });
    expect(await waitServing(app.target, "booru.hasher.v1.Hasher")).toBe("SERVING");
    expect(await checkHealth(app.target, "booru.catalog.v1.Catalog")).toBe("SERVICE_UNKNOWN");
    app.kill("SIGINT");
    expect(await app.exited).toBe(0);
  });

  it("fails fast on a bad config value, naming the variable and what is allowed", async () => {
    const r = await runBooru(["run"], { BOORU_SHUTDOWN_TIMEOUT: "soon" });
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe('booru run: invalid BOORU_SHUTDOWN_TIMEOUT="soon": expected a duration such as 500ms, 30s, 5m or 1h');
    const f = await runBooru(["run", "--target=hashr"]);
    expect(f.code).toBe(3);
    expect(f.stderr).toMatch(/unknown module "hashr" \(allowed: all, hasher, catalog, dedup, watcher, console\)/);
  });
});
