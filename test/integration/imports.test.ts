/**
 * Clients apart from servers: importing a client entry point loads neither sharp nor a database
 * driver nor the bus, and dedup (a hasher client) does not load sharp. Checked in a fresh Node
 * process on the compiled code, by the modules it resolves and the native libraries it maps.
 */
import { describe, expect, it } from "vitest";
import { loadedBy, packagesIn } from "../harness/loaded.js";

const SERVER_ONLY = ["sharp", "@img/sharp-linux-x64", "piscina", "better-sqlite3", "mongodb", "nats"];

describe("client entry points load no server code", () => {
  for (const entry of ["@booru/catalog/client", "@booru/hasher/client", "@booru/dedup/client", "@booru/runtime/client"]) {
    it(`${entry} loads neither sharp, the worker pool, a database driver nor the bus`, async () => {
      const loaded = await loadedBy(entry);
      const packages = packagesIn(loaded);
      expect(packages.has("packages/proto")).toBe(true); // the probe sees what it should
      for (const name of SERVER_ONLY) expect(packages.has(name), `${entry} loads ${name}`).toBe(false);
      expect(loaded.sharedObjects.filter((o) => /vips|sharp|better_sqlite3/.test(o))).toEqual([]);
    });
  }

  it("the CLI's client commands load only client entry points", async () => {
    for (const command of ["ls", "show", "similar", "dupes", "rejected", "stats", "rm", "near", "watch", "hash"]) {
      const packages = packagesIn(await loadedBy(`./packages/cli/dist/commands/${command}.js`));
      expect(packages.has("services/catalog") || command === "hash", `booru ${command} reaches the catalog`).toBe(true);
      for (const name of SERVER_ONLY) expect(packages.has(name), `booru ${command} loads ${name}`).toBe(false);
    }
  });

  it("dedup's module does not load sharp or the hasher's worker pool", async () => {
    const loaded = await loadedBy("@booru/dedup");
    const packages = packagesIn(loaded);
    expect(packages.has("services/dedup")).toBe(true);
    expect(packages.has("sharp")).toBe(false);
    expect(packages.has("piscina")).toBe(false);
    expect(loaded.sharedObjects.filter((o) => /vips|sharp/.test(o))).toEqual([]);
  });
});
