/** Starting a catalog in the test process and calling it like a client would. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ServiceError } from "@grpc/grpc-js";
import { connectMongo, startApp, type App } from "@booru/runtime";
import { createCatalogClient, type CatalogClient } from "../src/index.js";
import { booru } from "@booru/app";
import { mongoUrl, natsUrl, waitFor } from "../../../test/harness/index.js";

export const TOKENS = {
  read: "read-token-0123456789",
  write: "write-token-0123456789",
  admin: "admin-token-0123456789",
};

export interface Running {
  app: App;
  client: CatalogClient;
  target: string;
  data: string;
  stop(): Promise<void>;
}

/**
 * A catalog alone in this process on a free loopback port, with a temp BOORU_DATA and the test
 * tokens. With flags["--data"], that folder (a restart): it is left in place at stop.
 */
export async function startCatalog(env: Record<string, string> = {}, flags: Record<string, string> = {}): Promise<Running> {
  const given = flags["--data"];
  const data = given ?? (await mkdtemp(path.join(tmpdir(), "catalog-")));
  const tokensFile = path.join(data, "tokens");
  await writeFile(tokensFile, Object.entries(TOKENS).map(([scope, token]) => `${token} ${scope} ${scope}-user`).join("\n"));
  const app = await startApp(booru, {
    flags: new Map(Object.entries({ "--listen": "127.0.0.1:0", "--metrics-listen": "127.0.0.1:0", "--data": data, ...flags })),
    env: { BOORU_LOG_LEVEL: "silent", BOORU_TOKENS_FILE: tokensFile, ...env },
    targets: ["catalog"],
  });
  const target = `127.0.0.1:${app.grpcPort}`;
  const client = createCatalogClient(target);
  return {
    app,
    client,
    target,
    data,
    async stop() {
      client.close();
      await app.stop();
      if (!given) await rm(data, { recursive: true, force: true });
    },
  };
}

/** The gRPC status code a call failed with. */
export async function codeOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (err) {
    return (err as ServiceError).code;
  }
  throw new Error("expected the call to fail");
}

/** The first value of `fn` that is `ok` (the harness's polling helper); after the timeout the last one, for the assertion to show. */
export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  return waitFor("a value", async () => {
    const v = await fn();
    return ok(v) ? { v } : undefined;
  }, timeoutMs, 50).then((r) => r.v, () => fn());
}

/** Two catalog replicas sharing MongoDB and NATS (under a unique name), as in the distributed deployment; `stop` also drops the database. */
export async function startReplicas(name: string, env: Record<string, string> = {}): Promise<{ a: Running; b: Running; stop(): Promise<void> }> {
  const all = { NATS_URL: natsUrl(), BOORU_NATS_PREFIX: name, MONGO_URL: mongoUrl(), BOORU_MONGO_DB: name, ...env };
  const a = await startCatalog(all);
  const b = await startCatalog(all);
  return {
    a,
    b,
    async stop() {
      await Promise.all([a.stop(), b.stop()]);
      const mongo = await connectMongo(mongoUrl(), name, { appName: "cleanup" });
      await mongo.db.dropDatabase().catch(() => undefined);
      await mongo.close();
    },
  };
}
