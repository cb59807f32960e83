/**
 * The MongoDB store watchdog: a client whose server monitor stopped during a server restart
 * (seen with the real driver against FerretDB, about one restart in four) fails every operation
 * for good; the watchdog notices and reconnects it in place. The fault is reproduced by closing
 * the driver's monitors while the server is down, which leaves the client in the state seen.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRequire } from "node:module";
import path from "node:path";
import { MongoNetworkError, type MongoClient } from "mongodb";
import { connectMongo, type MongoHandle } from "@booru/runtime";
import { startLocalFerret } from "../harness/index.js";
import { sleep } from "./pipeline.js";

type Ferret = Awaited<ReturnType<typeof startLocalFerret>>;

let ferret: Ferret;

beforeAll(async () => {
  ferret = await startLocalFerret();
});

afterAll(async () => {
  await ferret?.dispose();
});

/**
 * Leaves the client as it was seen stuck (driver internals): its server marked unknown with the
 * error of the restart, and its monitors stopped, so nothing ever checks the server again.
 */
function makeStuck(client: MongoClient, url: string): void {
  const topology = (client as unknown as { topology: Topology }).topology;
  for (const server of topology.s.servers.values()) server.monitor?.close();
  const address = new URL(url).host;
  topology.serverUpdateHandler(new ServerDescription(address, undefined, { error: new MongoNetworkError(`connection 7 to ${address} closed`) }));
}

interface Topology {
  s: { servers: Map<string, { monitor?: { close(): void } }> };
  serverUpdateHandler(description: unknown): void;
}

// Not part of the driver's public exports.
const { ServerDescription } = createRequire(import.meta.url)(path.join(path.dirname(createRequire(import.meta.url).resolve("mongodb")), "sdam/server_description.js")) as {
  ServerDescription: new (address: string, hello: undefined, opts: { error: Error }) => unknown;
};

/** Restarts the server with the client's monitors stopped meanwhile. */
async function restartWithStuckClient(mongo: MongoHandle): Promise<void> {
  const things = mongo.db.collection("things");
  await things.insertOne({ n: 1 });
  await ferret.stop();
  await expect(things.insertOne({ n: 2 })).rejects.toThrow();
  makeStuck(mongo.client, ferret.url);
  await ferret.start();
}

/** Tries an insert every 250 ms for up to `ms`; true once one succeeds. */
async function recoversWithin(mongo: MongoHandle, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      await mongo.db.collection("things").insertOne({ n: 3 }, { timeoutMS: 1_000 });
      return true;
    } catch {
      await sleep(250);
    }
  }
  return false;
}

describe("MongoDB store watchdog", () => {
  it("the fault is real: without the watchdog the stuck client never recovers", async () => {
    const mongo = await connectMongo(ferret.url, "watchdog-off", { appName: "test", checkEveryMs: 0 });
    try {
      await restartWithStuckClient(mongo);
      expect(await recoversWithin(mongo, 8_000)).toBe(false);
    } finally {
      await mongo.close();
    }
  }, 60_000);

  it("with the watchdog the same client works again soon after the server is back", async () => {
    let reconnects = 0;
    const mongo = await connectMongo(ferret.url, "watchdog-on", { appName: "test", checkEveryMs: 200, stuckAfterMs: 1_000, onReconnect: () => reconnects++ });
    try {
      await restartWithStuckClient(mongo);
      expect(await recoversWithin(mongo, 15_000)).toBe(true);
      expect(reconnects).toBeGreaterThanOrEqual(1);
      expect(await mongo.db.collection("things").countDocuments({})).toBe(2);
    } finally {
      await mongo.close();
    }
  }, 60_000);

  it("does not reconnect a healthy client, nor one whose server is simply down", async () => {
    let reconnects = 0;
    const mongo = await connectMongo(ferret.url, "watchdog-calm", { appName: "test", checkEveryMs: 200, stuckAfterMs: 1_000, onReconnect: () => reconnects++ });
    try {
      await sleep(2_000);
      expect(reconnects).toBe(0);
      await ferret.stop();
      await sleep(4_000);
      expect(reconnects).toBe(0);
      await ferret.start();
      expect(await recoversWithin(mongo, 20_000)).toBe(true);
    } finally {
      await mongo.close();
    }
  }, 60_000);
});
