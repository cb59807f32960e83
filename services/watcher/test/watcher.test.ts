/** The watcher against real NATS: what it publishes, and what it reports it ignores, in inotify and in polling mode. */
import { mkdtempSync, renameSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { connectNatsBus, createLogger, startApp, type ModuleDef } from "@booru/runtime";
import { ingestV1 } from "@booru/proto";
import { watcherModule } from "../src/index.js";
import { natsUrl, uniqueName } from "../../../test/harness/index.js";

async function watched(poll: boolean) {
  const data = mkdtempSync(path.join(tmpdir(), "watcher-it-"));
  const prefix = uniqueName();
  const env = {
    BOORU_DATA: data,
    NATS_URL: natsUrl(),
    BOORU_NATS_PREFIX: prefix,
    BOORU_LISTEN: "127.0.0.1:0",
    BOORU_METRICS_LISTEN: "127.0.0.1:0", BOORU_WEB_LISTEN: "127.0.0.1:0",
    BOORU_LOG_LEVEL: "warn",
    BOORU_SETTLE_TIME: "500ms",
    BOORU_WATCH_POLL: String(poll),
    BOORU_WATCH_POLL_INTERVAL: "200ms",
  };
  const bus = await connectNatsBus({ url: natsUrl(), prefix, name: "test", duplicateWindowMs: 60_000, log: createLogger("t", "silent") });
  const reports: ingestV1.InboxReport[] = [];
  const unsubscribe = bus.reports.subscribe((d) => reports.push(ingestV1.InboxReport.decode(d)));
  const app = await startApp([watcherModule] as ModuleDef[], { env, targets: ["watcher"] });
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
    // Both published, and the watcher's own account of what it left alone: the hidden file and
    // the text file (the .part is gone). What it counts as ignored it never publishes.
    await vi.waitFor(() => expect(got.map((e) => e.path).sort()).toEqual(["a.jpg", "b.jpg"]), { timeout: 15_000, interval: 100 });
    await vi.waitFor(() => expect(reports.at(-1)?.ignoredByReason).toEqual({ name: 1, extension: 1 }), { timeout: 15_000, interval: 100 });
    return { got, inbox, report: reports.at(-1)! };
  } finally {
    unsubscribe();
    await sub.stop();
    await bus.close();
    await app.stop();
  }
}

describe("watcher on real NATS", () => {
  for (const poll of [false, true]) {
    it(`publishes settled files once with their facts, and reports the temp, hidden and unlisted names it skips (${poll ? "polling" : "inotify"})`, async () => {
      const { got, inbox, report } = await watched(poll);
      expect(got.map((e) => e.path).sort()).toEqual(["a.jpg", "b.jpg"]);
      const a = got.find((e) => e.path === "a.jpg")!;
      const st = statSync(path.join(inbox, "a.jpg"));
      expect(a).toMatchObject({ inbox, size: 1, mtimeUnixMs: Math.floor(st.mtimeMs), ctimeUnixMs: Math.floor(st.ctimeMs) });
      expect(a.watcherId).not.toBe("");
      expect(report).toMatchObject({ inbox, watcherId: a.watcherId });
    });
  }
});
