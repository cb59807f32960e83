/** Watcher + dedup against real NATS and MongoDB, with stand-ins for the hasher and catalog. */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNatsBus, createLogger, startApp, type App } from "@booru/runtime";
import { ingestV1 } from "@booru/proto";
import { natsUrl, uniqueName } from "../../../test/harness/index.js";
import { pipelineEnv, until } from "../../../test/integration/pipeline-support.js";
import { account, dropCorpus, listFiles, makeImage, md5 } from "../../../test/harness/corpus.js";
import { startFakes, type Fakes } from "./fakes.js";
import { BUS } from "@booru/app";
import { booru } from "@booru/app";

let fakes: Fakes;
beforeAll(async () => {
  fakes = await startFakes();
});
afterAll(async () => {
  await fakes.stop();
});

const env = (data: string, prefix: string, db: string, extra: Record<string, string> = {}) =>
  pipelineEnv(data, prefix, db, { BOORU_HASHER_ADDR: fakes.target, BOORU_CATALOG_ADDR: fakes.target, BOORU_LEASE: "5s", ...extra });

const clear = () => {
  fakes.images.clear();
  fakes.duplicates.clear();
  fakes.rejections.clear();
};

describe("watcher + dedup (fake hasher and catalog)", () => {
  it("accounts for every input of a mixed drop: unique, duplicates, slow writes and bad files", async () => {
    clear();
    const data = mkdtempSync(path.join(tmpdir(), "dedup-it-"));
    const app = await startApp(booru, { env: env(data, uniqueName(), uniqueName("db")), targets: ["dedup", "watcher"] });
    try {
      const corpus = await dropCorpus(app.paths.inboxes[0]!, { unique: 50, duplicates: 15, slow: 3, slowPauseMs: 250, outside: path.join(data, "outside") });
      await corpus.slow;
      await until(() => listFiles(app.paths.inboxes[0]!).length === 0, 60_000, "an empty inbox");
      const sources = new Map([...fakes.images.values()].map((i) => [i.md5, i.sourcePath]));
      const acc = account(app.paths, corpus, sources);
      expect(acc.inboxLeft).toEqual([]);
      expect(acc.libraryMd5s).toEqual(corpus.uniqueMd5s);
      expect(acc.libraryCount).toBe(corpus.uniqueMd5s.size);
      expect(acc.librarySizesOk).toBe(true);
      expect(acc.dupMd5sOk).toBe(true);
      expect(sources.size).toBe(corpus.uniqueMd5s.size);
      for (const input of corpus.inputs) {
        const where = acc.places.get(input.rel);
        expect(where, input.rel).toHaveLength(1);
        if (input.kind === "bad") expect([where![0], acc.reasons.get(input.rel)], input.rel).toEqual(["rejected", input.reason]);
        else expect(["library", "duplicates"]).toContain(where![0]);
      }
      expect(fakes.duplicates.size).toBe(15);
      expect(fakes.rejections.size).toBe(10);
      expect(readFileSync(path.join(data, "outside", "secret.jpg")).length).toBeGreaterThan(0);
    } finally {
      await app.stop();
    }
  });

  it("two dedup replicas given the same bytes under many names keep one record; the rest are duplicates", async () => {
    clear();
    fakes.hashDelayMs = 150;
    const data = mkdtempSync(path.join(tmpdir(), "dedup-race-"));
    const prefix = uniqueName();
    const db = uniqueName("db");
    const [a, b] = await Promise.all([0, 1].map(() => startApp(booru, { env: env(data, prefix, db, { BOORU_DEDUP_CONCURRENCY: "8" }), targets: ["dedup"] })));
    const bus = await connectNatsBus({ url: natsUrl(), topology: BUS, prefix, name: "test", duplicateWindowMs: 60_000, log: createLogger("t", "silent") });
    try {
      const inbox = a!.paths.inboxes[0]!;
      const bytes = await makeImage(1);
      const names = Array.from({ length: 30 }, (_, i) => `same-${i}.jpg`);
      for (const n of names) writeFileSync(path.join(inbox, n), bytes);
      await Promise.all(names.map((n) => bus.queue("files").publish(ingestV1.FileDiscovered.encode(ingestV1.FileDiscovered.fromPartial({ inbox, path: n, size: bytes.length, mtimeUnixMs: Math.floor(statSync(path.join(inbox, n)).mtimeMs) })).finish())));
      await until(() => listFiles(inbox).length === 0, 60_000, "an empty inbox");
      expect([...fakes.images.keys()]).toEqual([md5(bytes)]);
      expect(listFiles(a!.paths.library)).toHaveLength(1);
      expect(listFiles(a!.paths.duplicates)).toHaveLength(29);
      expect(fakes.duplicates.size).toBe(29);
    } finally {
      fakes.hashDelayMs = 0;
      await bus.close();
      await Promise.all([a!.stop(), b!.stop()]);
    }
  });

  it("keeps files while the hasher is unavailable and ingests them when it is back, without rejecting any", async () => {
    clear();
    fakes.hasherDown = true;
    const data = mkdtempSync(path.join(tmpdir(), "dedup-down-"));
    let app: App | undefined;
    try {
      app = await startApp(booru, { env: env(data, uniqueName(), uniqueName("db"), { BOORU_MAX_DELIVERIES: "2" }), targets: ["dedup", "watcher"] });
      const inbox = app.paths.inboxes[0]!;
      for (let i = 0; i < 4; i++) writeFileSync(path.join(inbox, `later-${i}.png`), await makeImage(i * 2));
      await until(() => fakes.hashCalls > 8, 30_000, "retries");
      expect(listFiles(inbox)).toHaveLength(4);
      expect(listFiles(app.paths.rejected)).toEqual([]);
      fakes.hasherDown = false;
      await until(() => listFiles(inbox).length === 0, 60_000, "an empty inbox");
      expect(fakes.images.size).toBe(4);
      expect(fakes.rejections.size).toBe(0);
    } finally {
      fakes.hasherDown = false;
      await app?.stop();
    }
  });

  it("gives up on a file that keeps failing after BOORU_MAX_DELIVERIES and moves it to rejected/ (max-deliveries) with the error", async () => {
    clear();
    fakes.putImageBroken = true;
    const data = mkdtempSync(path.join(tmpdir(), "dedup-poison-"));
    let app: App | undefined;
    try {
      app = await startApp(booru, { env: env(data, uniqueName(), uniqueName("db"), { BOORU_MAX_DELIVERIES: "2" }), targets: ["dedup", "watcher"] });
      const inbox = app.paths.inboxes[0]!;
      writeFileSync(path.join(inbox, "poison.png"), await makeImage(0));
      await until(() => listFiles(inbox).length === 0, 30_000, "an empty inbox");
      expect(listFiles(app.paths.rejected)).toEqual(["poison.png", "poison.png.reason.json"]);
      const reason = JSON.parse(readFileSync(path.join(app.paths.rejected, "poison.png.reason.json"), "utf8"));
      expect(reason).toMatchObject({ reason: "max-deliveries", attempts: 2, message: "failed 2 times: INTERNAL: internal error" });
      expect([...fakes.rejections.values()].map((r) => r.reason)).toEqual(["max-deliveries"]);
    } finally {
      fakes.putImageBroken = false;
      await app?.stop();
    }
  });
});
