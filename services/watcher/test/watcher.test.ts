/** The watcher against real NATS: what it publishes, in inotify and in polling mode. */
import { mkdtempSync, renameSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { connectNatsBus, createLogger, startApp, type ModuleDef } from "@booru/runtime";
import { ingestV1 } from "@booru/proto";
import { watcherModule } from "../src/index.js";
import { natsUrl, uniqueName } from "../../../test/harness/index.js";

async function published(poll: boolean) {
  const data = mkdtempSync(path.join(tmpdir(), "watcher-it-"));
  const prefix = uniqueName();
  const env = {
    BOORU_DATA: data,
    NATS_URL: natsUrl(),
    BOORU_NATS_PREFIX: prefix,
    BOORU_LISTEN: "127.0.0.1:0",
    BOORU_METRICS_LISTEN: "127.0.0.1:0",
    BOORU_LOG_LEVEL: "warn",
    BOORU_SETTLE_TIME: "500ms",
    BOORU_WATCH_POLL: String(poll),
    BOORU_WATCH_POLL_INTERVAL: "200ms",
  };
  const app = await startApp([watcherModule] as ModuleDef[], { env, targets: ["watcher"] });
  const bus = await connectNatsBus({ url: natsUrl(), prefix, name: "test", duplicateWindowMs: 60_000, log: createLogger("t", "silent") });
  const got: ingestV1.FileDiscovered[] = [];
  const sub = await bus.files.consume({ durable: "probe", maxInFlight: 10, ackWaitMs: 10_000, maxDeliver: 1 }, async (m) => {
    got.push(ingestV1.FileDiscovered.decode(m.data));
    await m.ack();
  });
  try {
    const inbox = app.paths.inboxes[0]!;
    writeFileSync(path.join(inbox, "a.jpg"), "a");
    writeFileSync(path.join(inbox, "b.jpg.part"), "partial");
    writeFileSync(path.join(inbox, ".hidden.jpg"), "h");
    writeFileSync(path.join(inbox, "notes.txt"), "t");
    // A download finishing: the temp name is renamed to its real one.
    renameSync(path.join(inbox, "b.jpg.part"), path.join(inbox, "b.jpg"));
    const end = Date.now() + 15_000;
    while (got.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1000));
    return { got, inbox };
  } finally {
    await sub.stop();
    await bus.close();
    await app.stop();
  }
}

describe("watcher on real NATS", () => {
  for (const poll of [false, true]) {
    it(`publishes settled files once with their facts, skipping temp, hidden and unlisted names (${poll ? "polling" : "inotify"})`, async () => {
      const { got, inbox } = await published(poll);
      expect(got.map((e) => e.path).sort()).toEqual(["a.jpg", "b.jpg"]);
      const a = got.find((e) => e.path === "a.jpg")!;
      expect(a).toMatchObject({ inbox, size: 1, mtimeUnixMs: Math.floor(statSync(path.join(inbox, "a.jpg")).mtimeMs) });
      expect(a.watcherId).not.toBe("");
    });
  }
});
