import { createHash } from "node:crypto";
import { hostname } from "node:os";
import path from "node:path";
import { Counter, Histogram } from "prom-client";
import { ingestV1 } from "@booru/proto";
import { defineModule, settings, SpanKind, traceHeaders, withTrace, type Bus, type Logger } from "@booru/runtime";
import { createNameFilter, type NameFilter } from "./filters.js";
import { scanInbox } from "./scan.js";
import { Settler, type FileFacts } from "./settle.js";
import { DirWatcher } from "./dir-watch.js";

export { createNameFilter, globToRegExp } from "./filters.js";
export { scanInbox } from "./scan.js";
export { Settler } from "./settle.js";

export const DEFAULT_EXTENSIONS = ["jpg", "jpeg", "jpe", "jfif", "png", "gif", "webp", "avif", "bmp", "tif", "tiff", "heic", "heif", "jxl"];

export const watcherSettings = {
  watchPoll: settings.bool("BOORU_WATCH_POLL", false, "poll instead of inotify (network shares)"),
  watchPollInterval: settings.duration("BOORU_WATCH_POLL_INTERVAL", 2000, "polling interval with --watch-poll"),
  settleTime: settings.duration("BOORU_SETTLE_TIME", 2000, "a file is published once its size and mtime have not changed for this long"),
  rescanInterval: settings.duration("BOORU_RESCAN_INTERVAL", 300_000, "full reconcile scan interval (0: only at start)"),
  ignore: settings.list("BOORU_IGNORE", ["*.part", "*.crdownload", "*.tmp", "*.partial", "*.download", ".*", "~*"], "name patterns never published (* and ?)"),
  extensions: settings.list("BOORU_EXTENSIONS", DEFAULT_EXTENSIONS, "file extensions that are published"),
  watcherId: settings.optional("BOORU_WATCHER_ID", "name on published events (default host:pid)"),
};

/** Same inbox, path, size and mtime => same id, so rescans and replicas publish a file once per window. */
export function messageId(inbox: string, rel: string, facts: FileFacts): string {
  return createHash("sha256").update(`${inbox}\0${rel}\0${facts.size}\0${facts.mtimeMs}`).digest("hex").slice(0, 40);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function watcherMetrics(registry: import("prom-client").Registry) {
  return {
    discovered: new Counter({ name: "booru_files_discovered_total", help: "files that settled and were published (or dropped as a repeat)", registers: [registry] }),
    published: new Counter({ name: "booru_files_published_total", help: "JetStream publish outcome", labelNames: ["result"], registers: [registry] }),
    scans: new Histogram({ name: "booru_watcher_scan_duration_seconds", help: "full inbox scans", labelNames: ["kind"], buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300], registers: [registry] }),
  };
}

interface Publisher {
  (inbox: string, file: string, facts: FileFacts): Promise<void>;
}

function createPublisher(bus: Bus, watcherId: string, metrics: ReturnType<typeof watcherMetrics>, log: Logger): Publisher {
  return async (inbox, file, facts) => {
    const rel = path.relative(inbox, file).split(path.sep).join("/");
    const ev = ingestV1.FileDiscovered.fromPartial({ inbox, path: rel, size: facts.size, mtimeUnixMs: facts.mtimeMs, discoveredUnixMs: Date.now(), watcherId });
    const data = ingestV1.FileDiscovered.encode(ev).finish();
    for (let attempt = 1; ; attempt++) {
      try {
        // One trace per file starts here (tracing on); its traceparent rides in the NATS headers to dedup.
        const publishOnce = () => bus.files.publish(data, { msgId: messageId(inbox, rel, facts), headers: traceHeaders() });
        const res = await withTrace("watcher.publish", {}, publishOnce, SpanKind.PRODUCER);
        metrics.discovered.inc();
        metrics.published.inc({ result: res.duplicate ? "duplicate" : "published" });
        log.debug({ path: rel, size: facts.size, duplicate: res.duplicate }, "file published");
        return;
      } catch (err) {
        // The bus is down: retry a while; a later scan finds the file anyway.
        if (attempt >= 5) throw err;
        await sleep(500 * 2 ** attempt);
      }
    }
  };
}

export const watcherModule = defineModule({
  name: "watcher",
  deps: ["dedup"],
  settings: watcherSettings,
  folders: (paths) => paths.inboxes.map((p) => ({ role: "inbox", path: p, write: false })),
  async start(ctx, cfg) {
    const bus = await ctx.bus();
    const metrics = watcherMetrics(ctx.metrics);
    const filter = createNameFilter(cfg.ignore, cfg.extensions);
    const publish = createPublisher(bus, cfg.watcherId ?? `${hostname()}:${process.pid}`, metrics, ctx.log);
    let stopped = false;
    const watchers: DirWatcher[] = [];
    const settlers: Settler[] = [];
    const scans: (() => Promise<void>)[] = [];
    for (const inbox of ctx.paths.inboxes) {
      const settler = new Settler(cfg.settleTime, (file, facts) => publish(inbox, file, facts), (file, err) => ctx.log.warn({ err, file }, "could not publish file; the next scan retries"));
      settlers.push(settler);
      if (!cfg.watchPoll) watchers.push(watchInbox(inbox, filter, settler, ctx.log));
      scans.push(() => scanOnce(inbox, filter, settler, () => stopped));
    }
    let scanning: Promise<void> = Promise.resolve();
    const runScans = (kind: "start" | "reconcile" | "poll") => {
      scanning = scanning.then(async () => {
        const end = metrics.scans.startTimer({ kind });
        try {
          for (const scan of scans) await scan();
        } catch (err) {
          ctx.log.error({ err, kind }, "inbox scan failed");
        } finally {
          const seconds = end();
          if (kind !== "poll") ctx.log.info({ kind, seconds }, "inbox scan finished");
        }
      });
      return scanning;
    };
    await Promise.all(watchers.map((w) => w.start()));
    void runScans("start");
    const rescan = cfg.rescanInterval > 0 ? setInterval(() => void runScans("reconcile"), cfg.rescanInterval) : undefined;
    // Network shares: inotify sees nothing there, so a streaming scan every poll interval finds new
    // files (skipped while the previous scan is still running).
    let polling = false;
    const poll = cfg.watchPoll
      ? setInterval(() => {
          if (polling) return;
          polling = true;
          void runScans("poll").finally(() => (polling = false));
        }, cfg.watchPollInterval)
      : undefined;
    ctx.log.info({ inboxes: ctx.paths.inboxes, poll: cfg.watchPoll, settleMs: cfg.settleTime, folders: watchers.reduce((n, w) => n + w.folderCount, 0) }, "watching");
    return {
      async stop() {
        stopped = true;
        clearInterval(rescan);
        clearInterval(poll);
        settlers.forEach((s) => s.close());
        watchers.forEach((w) => w.close());
        await scanning;
      },
    };
  },
});

async function scanOnce(inbox: string, filter: NameFilter, settler: Settler, stopped: () => boolean): Promise<void> {
  await scanInbox(inbox, filter, (file) => settler.touch(file), stopped);
}

function watchInbox(inbox: string, filter: NameFilter, settler: Settler, log: Logger): DirWatcher {
  return new DirWatcher(inbox, filter, {
    onFile: (file) => void settler.touch(file).catch((err) => log.warn({ err, file }, "settle check failed")),
    onError: (err, dir) => log.error({ err, dir }, "watch error; the periodic scan still runs"),
  });
}
