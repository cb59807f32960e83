/**
 * One writer per store: DeleteImage removes the catalog's record and owes dedup the rest (tombstone
 * the md5, dispose of the library file) through the catalog's outbox and a durable bus queue. The
 * same bytes dropped again after a delete are refused as deleted, in both modes, also when dedup
 * was down at the time of the delete and comes back later.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MongoClient } from "mongodb";
import { startApp, type App, type ModuleDef } from "@booru/runtime";
import { catalogV1 } from "@booru/proto";
import { createCatalogClient } from "@booru/catalog";
import { allModules } from "../../packages/cli/src/modules.js";
import { listFiles, makeImage, md5 } from "../../services/dedup/test/corpus.js";
import { mongoUrl, uniqueName } from "../harness/index.js";
import { catalogSources, pipelineEnv, until } from "./pipeline-support.js";

const modules = allModules as ModuleDef[];

function embeddedEnv(data: string): Record<string, string> {
  return { BOORU_DATA: data, BOORU_LISTEN: "127.0.0.1:0", BOORU_METRICS_LISTEN: "127.0.0.1:0", BOORU_WEB_LISTEN: "127.0.0.1:0", BOORU_LOG_LEVEL: "warn", BOORU_SETTLE_TIME: "1500ms", BOORU_SETTLE_MAX: "2s" };
}

async function deleteImage(target: string, hash: string): Promise<boolean> {
  const client = createCatalogClient(target);
  try {
    const res = await new Promise<catalogV1.DeleteImageResponse>((resolve, reject) => client.deleteImage({ md5: hash }, (err, r) => (err ? reject(err) : resolve(r))));
    return res.deleted;
  } finally {
    client.close();
  }
}

/** Drops `bytes` as `name` and waits until the pipeline took it out of the inbox. */
async function drop(app: App, name: string, bytes: Buffer): Promise<void> {
  const inbox = app.paths.inboxes[0]!;
  writeFileSync(path.join(inbox, name), bytes);
  await until(() => listFiles(inbox).length === 0, 60_000, `${name} out of the inbox`);
}

function expectRefusedAsDeleted(app: App, name: string): void {
  expect(listFiles(app.paths.rejected)).toEqual([name, `${name}.reason.json`]);
  expect(JSON.parse(readFileSync(path.join(app.paths.rejected, `${name}.reason.json`), "utf8")).reason).toBe("deleted");
}

describe("deleting an image: the catalog deletes its record, dedup tombstones the md5 and removes the file", () => {
  it("embedded (in-process bus, SQLite): delete, then the same bytes again are refused as deleted", async () => {
    const data = mkdtempSync(path.join(tmpdir(), "delete-embedded-"));
    const app = await startApp(modules, { env: embeddedEnv(data), targets: ["all"] });
    try {
      const bytes = await makeImage(31);
      await drop(app, "first.png", bytes);
      const [libraryFile] = listFiles(app.paths.library);
      expect(await deleteImage(`127.0.0.1:${app.grpcPort}`, md5(bytes))).toBe(true);
      await until(() => !existsSync(path.join(app.paths.library, libraryFile!)), 30_000, "dedup to remove the library file");
      await drop(app, "again.png", bytes);
      expectRefusedAsDeleted(app, "again.png");
      expect((await catalogSources(`127.0.0.1:${app.grpcPort}`)).size).toBe(0);
    } finally {
      await app.stop();
    }
  });

  it("embedded: a delete made while dedup was not running is applied when it runs again", async () => {
    const data = mkdtempSync(path.join(tmpdir(), "delete-embedded-later-"));
    const env = embeddedEnv(data);
    const bytes = await makeImage(32);
    let app = await startApp(modules, { env, targets: ["all"] });
    let libraryFile: string;
    try {
      await drop(app, "first.png", bytes);
      libraryFile = path.join(app.paths.library, listFiles(app.paths.library)[0]!);
    } finally {
      await app.stop();
    }
    // The catalog alone: the deletion waits in its outbox (SQLite), the file stays.
    app = await startApp(modules, { env, targets: ["catalog"] });
    try {
      expect(await deleteImage(`127.0.0.1:${app.grpcPort}`, md5(bytes))).toBe(true);
    } finally {
      await app.stop();
    }
    expect(existsSync(libraryFile)).toBe(true);
    app = await startApp(modules, { env, targets: ["all"] });
    try {
      await until(() => !existsSync(libraryFile), 30_000, "dedup to apply the deletion made while it was down");
      await drop(app, "again.png", bytes);
      expectRefusedAsDeleted(app, "again.png");
    } finally {
      await app.stop();
    }
  });

  it("distributed (NATS, MongoDB protocol): a delete made while dedup was down is applied when it comes back", async () => {
    const data = mkdtempSync(path.join(tmpdir(), "delete-distributed-"));
    const db = uniqueName("db");
    const env = pipelineEnv(data, uniqueName(), db);
    // Hasher, catalog and watcher in one process; dedup in another one that goes down and comes back.
    const rest = await startApp(modules, { env, targets: ["hasher", "catalog", "watcher"] });
    const target = `127.0.0.1:${rest.grpcPort}`;
    const dedupEnv = { ...env, BOORU_HASHER_ADDR: target, BOORU_CATALOG_ADDR: target };
    let dedup = await startApp(modules, { env: dedupEnv, targets: ["dedup"] });
    const mongo = new MongoClient(mongoUrl());
    try {
      const bytes = await makeImage(33);
      await drop(rest, "first.png", bytes);
      const libraryFile = path.join(rest.paths.library, listFiles(rest.paths.library)[0]!);
      await dedup.stop();

      expect(await deleteImage(target, md5(bytes))).toBe(true);
      // The outbox empties once JetStream holds the deletion; dedup is down, so the file stays.
      await mongo.connect();
      await until(async () => (await mongo.db(db).collection("deletion_outbox").countDocuments()) === 0, 30_000, "the outbox relayed to JetStream");
      expect(existsSync(libraryFile)).toBe(true);

      dedup = await startApp(modules, { env: dedupEnv, targets: ["dedup"] });
      await until(() => !existsSync(libraryFile), 30_000, "dedup to apply the deletion made while it was down");
      expect(await mongo.db(db).collection("claims").findOne({ _id: md5(bytes) as never })).toMatchObject({ state: "tombstoned" });
      await drop(rest, "again.png", bytes);
      expectRefusedAsDeleted(rest, "again.png");
      expect((await catalogSources(target)).size).toBe(0);
    } finally {
      await mongo.close();
      await dedup.stop();
      await rest.stop();
    }
  });
});
