/**
 * The whole ingest path with the real modules (hasher, catalog, dedup, watcher) on real NATS and
 * a MongoDB-protocol server, in one process: the 200-file drop, two dedup replicas racing
 * on the same bytes, and a watcher restart.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { connectNatsBus, createLogger, startApp, type ModuleDef } from "@booru/runtime";
import { catalogV1, ingestV1 } from "@booru/proto";
import { createCatalogClient } from "@booru/catalog";
import { allModules } from "../../packages/cli/src/modules.js";
import { account, dropCorpus, listFiles, makeImage, md5 } from "../../services/dedup/test/corpus.js";
import { natsUrl, uniqueName } from "../harness/index.js";
import { catalogSources, pipelineEnv, until } from "./pipeline-support.js";

const modules = allModules as ModuleDef[];

describe("ingest pipeline (all modules in one process)", () => {
  it("accounts for all 200 inputs: 150 unique, 40 duplicates under other names, 10 bad; one record per unique md5", async () => {
    const data = mkdtempSync(path.join(tmpdir(), "pipeline-"));
    const app = await startApp(modules, { env: pipelineEnv(data, uniqueName(), uniqueName("db")), targets: ["all"] });
    try {
      const inbox = app.paths.inboxes[0]!;
      const corpus = await dropCorpus(inbox, { unique: 150, duplicates: 40, slow: 5, slowPauseMs: 250, outside: path.join(data, "outside") });
      expect(corpus.inputs).toHaveLength(200);
      await corpus.slow;
      await until(() => listFiles(inbox).length === 0, 120_000, "an empty inbox");
      const sources = await catalogSources(`127.0.0.1:${app.grpcPort}`);
      const acc = account(app.paths, corpus, sources);
      expect(acc.inboxLeft).toEqual([]);
      expect(new Set(sources.keys())).toEqual(corpus.uniqueMd5s);
      expect(acc.libraryMd5s).toEqual(corpus.uniqueMd5s);
      expect(acc.libraryCount).toBe(150);
      expect(acc.librarySizesOk).toBe(true);
      expect(acc.dupMd5sOk).toBe(true);
      for (const input of corpus.inputs) {
        const where = acc.places.get(input.rel);
        expect(where, input.rel).toHaveLength(1);
        if (input.kind === "bad") expect([where![0], acc.reasons.get(input.rel)], input.rel).toEqual(["rejected", input.reason]);
        else expect(["library", "duplicates"], input.rel).toContain(where![0]);
      }
      expect(listFiles(app.paths.duplicates)).toHaveLength(40);
    } finally {
      await app.stop();
    }
  });

  it("two dedup replicas given the same bytes under many names at once keep one record; the rest are duplicates", async () => {
    const data = mkdtempSync(path.join(tmpdir(), "pipeline-race-"));
    const prefix = uniqueName();
    const db = uniqueName("db");
    const main = await startApp(modules, { env: pipelineEnv(data, prefix, db, { BOORU_DEDUP_CONCURRENCY: "8" }), targets: ["hasher", "catalog", "dedup"] });
    const target = `127.0.0.1:${main.grpcPort}`;
    const second = await startApp(modules, {
      env: pipelineEnv(data, prefix, db, { BOORU_DEDUP_CONCURRENCY: "8", BOORU_HASHER_ADDR: target, BOORU_CATALOG_ADDR: target }),
      targets: ["dedup"],
    });
    const bus = await connectNatsBus({ url: natsUrl(), prefix, name: "test", duplicateWindowMs: 60_000, log: createLogger("t", "silent") });
    try {
      const inbox = main.paths.inboxes[0]!;
      const bytes = await makeImage(3, 256);
      const names = Array.from({ length: 24 }, (_, i) => `same-${i}.jpg`);
      for (const n of names) writeFileSync(path.join(inbox, n), bytes);
      await Promise.all(
        names.map((n) => {
          const st = statSync(path.join(inbox, n));
          const ev = ingestV1.FileDiscovered.fromPartial({ inbox, path: n, size: st.size, mtimeUnixMs: Math.floor(st.mtimeMs) });
          return bus.files.publish(ingestV1.FileDiscovered.encode(ev).finish());
        }),
      );
      await until(() => listFiles(inbox).length === 0, 60_000, "an empty inbox");
      const sources = await catalogSources(target);
      expect([...sources.keys()]).toEqual([md5(bytes)]);
      expect(listFiles(main.paths.library)).toHaveLength(1);
      expect(listFiles(main.paths.duplicates)).toHaveLength(23);
    } finally {
      await bus.close();
      await second.stop();
      await main.stop();
    }
  });

  it("after a watcher restart, files dropped while it was down are ingested", async () => {
    const data = mkdtempSync(path.join(tmpdir(), "pipeline-restart-"));
    const env = pipelineEnv(data, uniqueName(), uniqueName("db"));
    const backends = await startApp(modules, { env, targets: ["hasher", "catalog", "dedup"] });
    const target = `127.0.0.1:${backends.grpcPort}`;
    const inbox = backends.paths.inboxes[0]!;
    try {
      let watcher = await startApp(modules, { env, targets: ["watcher"] });
      const before = await makeImage(0);
      writeFileSync(path.join(inbox, "before.png"), before);
      await until(async () => (await catalogSources(target)).size === 1, 60_000, "the first file");
      await watcher.stop();
      const later = await Promise.all([2, 4, 5].map((i) => makeImage(i)));
      later.forEach((b, i) => writeFileSync(path.join(inbox, `while-down-${i}.${i === 2 ? "jpg" : "png"}`), b));
      await new Promise((r) => setTimeout(r, 1000));
      expect(listFiles(inbox)).toHaveLength(3);
      watcher = await startApp(modules, { env, targets: ["watcher"] });
      try {
        await until(() => listFiles(inbox).length === 0, 60_000, "an empty inbox");
        const sources = await catalogSources(target);
        expect(new Set(sources.keys())).toEqual(new Set([before, ...later].map(md5)));
      } finally {
        await watcher.stop();
      }
    } finally {
      await backends.stop();
    }
  });

  it("embedded mode (in-process bus, SQLite) accounts for a mixed drop, and after a restart the claims remember every image", async () => {
    const data = mkdtempSync(path.join(tmpdir(), "pipeline-embedded-"));
    const env = { BOORU_DATA: data, BOORU_LISTEN: "127.0.0.1:0", BOORU_METRICS_LISTEN: "127.0.0.1:0", BOORU_WEB_LISTEN: "127.0.0.1:0", BOORU_LOG_LEVEL: "warn", BOORU_SETTLE_TIME: "1500ms", BOORU_SETTLE_MAX: "2s" };
    let app = await startApp(modules, { env, targets: ["all"] });
    const inbox = app.paths.inboxes[0]!;
    let corpus;
    try {
      corpus = await dropCorpus(inbox, { unique: 60, duplicates: 15, slow: 3, slowPauseMs: 250, outside: path.join(data, "outside") });
      await corpus.slow;
      await until(() => listFiles(inbox).length === 0, 120_000, "an empty inbox");
      const sources = await catalogSources(`127.0.0.1:${app.grpcPort}`);
      const acc = account(app.paths, corpus, sources);
      expect(new Set(sources.keys())).toEqual(corpus.uniqueMd5s);
      expect(acc.libraryCount).toBe(60);
      for (const input of corpus.inputs) expect(acc.places.get(input.rel), input.rel).toHaveLength(1);
      expect(listFiles(app.paths.duplicates)).toHaveLength(15);
    } finally {
      await app.stop();
    }
    app = await startApp(modules, { env, targets: ["all"] });
    try {
      const again = corpus.inputs.find((i) => i.kind === "unique")!;
      writeFileSync(path.join(inbox, "after-restart.png"), readFileSync(path.join(app.paths.library, [...listFiles(app.paths.library)].find((p) => p.includes(again.md5!))!)));
      await until(() => listFiles(inbox).length === 0, 60_000, "an empty inbox");
      expect(listFiles(app.paths.duplicates)).toContain("after-restart.png");
      expect((await catalogSources(`127.0.0.1:${app.grpcPort}`)).size).toBe(60);
    } finally {
      await app.stop();
    }
  });

  it("two watcher replicas on one inbox publish each file once (message ids) and every file is ingested once", async () => {
    const data = mkdtempSync(path.join(tmpdir(), "pipeline-2watchers-"));
    const env = pipelineEnv(data, uniqueName(), uniqueName("db"));
    const backends = await startApp(modules, { env, targets: ["hasher", "catalog", "dedup"] });
    const watchers = [await startApp(modules, { env, targets: ["watcher"] }), await startApp(modules, { env, targets: ["watcher"] })];
    const inbox = backends.paths.inboxes[0]!;
    try {
      const images = await Promise.all(Array.from({ length: 12 }, (_, i) => makeImage(i)));
      images.forEach((b, i) => writeFileSync(path.join(inbox, `w-${i}.${i % 2 ? "jpg" : "png"}`), b));
      await until(() => listFiles(inbox).length === 0, 60_000, "an empty inbox");
      const published = async (port: number, result: string) => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return Number(new RegExp(`booru_files_published_total\\{result="${result}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
      };
      const counts = await Promise.all(watchers.map((w) => published(w.metricsPort, "published")));
      expect(counts.reduce((a, b) => a + b, 0)).toBe(12);
      expect((await catalogSources(`127.0.0.1:${backends.grpcPort}`)).size).toBe(12);
      expect(listFiles(backends.paths.duplicates)).toEqual([]);
      const metrics = await (await fetch(`http://127.0.0.1:${backends.metricsPort}/metrics`)).text();
      expect(metrics).toMatch(/^booru_ingested_total 12$/m);
      expect(metrics).toMatch(/^booru_claims_total\{outcome="won"\} 12$/m);
      expect(metrics).toMatch(/^booru_jetstream_pending 0$/m);
      expect(metrics).toMatch(/^booru_ingest_duration_seconds_count\{outcome="ingested"\} 12$/m);
    } finally {
      for (const w of watchers) await w.stop();
      await backends.stop();
    }
  });

  it("bytes of a deleted image are rejected as deleted, or ingested again with the readmit policy", async () => {
    for (const policy of ["reject", "readmit"]) {
      const data = mkdtempSync(path.join(tmpdir(), `pipeline-tombstone-${policy}-`));
      const app = await startApp(modules, { env: pipelineEnv(data, uniqueName(), uniqueName("db"), { BOORU_TOMBSTONE_POLICY: policy }), targets: ["all"] });
      const target = `127.0.0.1:${app.grpcPort}`;
      const inbox = app.paths.inboxes[0]!;
      const client = createCatalogClient(target);
      try {
        const bytes = await makeImage(8);
        writeFileSync(path.join(inbox, "first.png"), bytes);
        await until(async () => (await catalogSources(target)).size === 1, 60_000, "the first ingest");
        const res = await new Promise<catalogV1.DeleteImageResponse>((resolve, reject) =>
          client.deleteImage({ md5: md5(bytes) }, (err, r) => (err ? reject(err) : resolve(r))),
        );
        expect(res.deleted).toBe(true);
        // dedup applies the deletion (tombstone, then the library file) from the bus.
        await until(() => listFiles(app.paths.library).length === 0, 30_000, "dedup to apply the deletion");
        writeFileSync(path.join(inbox, "again.png"), bytes);
        await until(() => listFiles(inbox).length === 0, 60_000, "an empty inbox");
        if (policy === "reject") {
          expect(listFiles(app.paths.rejected)).toEqual(["again.png", "again.png.reason.json"]);
          expect(JSON.parse(readFileSync(path.join(app.paths.rejected, "again.png.reason.json"), "utf8")).reason).toBe("deleted");
          expect((await catalogSources(target)).size).toBe(0);
        } else {
          expect([...(await catalogSources(target)).entries()]).toEqual([[md5(bytes), "again.png"]]);
          expect(listFiles(app.paths.rejected)).toEqual([]);
        }
      } finally {
        client.close();
        await app.stop();
      }
    }
  });
});
