/**
 * The composition root (@booru/app): one table of modules; a process loads only the modules it
 * runs; each setting is declared once; a process creates only the folders its modules use.
 */
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { booru } from "@booru/app";
import { commonSettings, startApp, type Setting } from "@booru/runtime";
import { loadedBy, packagesIn } from "../harness/loaded.js";

describe("the module table", () => {
  it("names every dependency it has, and declares each setting once", () => {
    const names = booru.modules.map((m) => m.name);
    for (const m of booru.modules) for (const dep of m.deps) expect(names, `${m.name} depends on ${dep}`).toContain(dep);
    const byEnv = new Map<string, Set<Setting<unknown>>>();
    for (const spec of [commonSettings, booru.settings, ...booru.modules.map((m) => m.settings)]) {
      for (const s of Object.values(spec)) byEnv.set(s.env, (byEnv.get(s.env) ?? new Set()).add(s as Setting<unknown>));
    }
    const twice = [...byEnv].filter(([, declared]) => declared.size > 1).map(([env]) => env);
    expect(twice).toEqual([]);
    expect(byEnv.has("BOORU_HASHER_TIMEOUT")).toBe(true);
  });

  it("a process running dedup loads neither sharp nor the hasher's worker pool", async () => {
    const loaded = await loadedBy("@booru/app", `await m.booru.modules.find((e) => e.name === "dedup").load()`);
    const packages = packagesIn(loaded);
    expect(packages.has("services/dedup")).toBe(true);
    expect(packages.has("sharp")).toBe(false);
    expect(packages.has("piscina")).toBe(false);
    // The probe itself: loading the hasher's module does load sharp.
    expect(packagesIn(await loadedBy("@booru/app", `await m.booru.modules.find((e) => e.name === "hasher").load()`)).has("sharp")).toBe(true);
  });

  it("a hasher alone creates none of the pipeline's folders", async () => {
    const data = mkdtempSync(path.join(tmpdir(), "hasher-alone-"));
    const app = await startApp(booru, { env: { BOORU_DATA: data, BOORU_LISTEN: "127.0.0.1:0", BOORU_METRICS_LISTEN: "127.0.0.1:0", BOORU_LOG_LEVEL: "silent" }, targets: ["hasher"] });
    try {
      expect(readdirSync(data)).toEqual([]);
    } finally {
      await app.stop();
    }
  });
});
