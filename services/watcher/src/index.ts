import { createHash } from "node:crypto";
import { realpath } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { Counter, Gauge, Histogram } from "prom-client";
import { ingestV1 } from "@booru/proto";
import { defineModule, FileClock, isInside, SpanKind, traceHeaders, withTrace, type Bus, type DataPaths, type Logger } from "@booru/runtime";
import { createEntryFilter, type EntryFilter } from "./filters.js";
import { IgnoredEntries } from "./ignored.js";
import { scanInbox } from "./scan.js";
import { Settler, type FileFacts } from "./settle.js";
import { watcherSettings } from "./settings.js";
import { DirWatcher } from "./dir-watch.js";

export { createEntryFilter, globToRegExp } from "./filters.js";
export { scanInbox } from "./scan.js";
export { Settler } from "./settle.js";

export { DEFAULT_EXTENSIONS, watcherSettings } from "./settings.js";

/**
 * Same inbox, path, size and mtime => same id, so rescans and replicas publish a file once per
 * window. Not the ctime: dedup's own hard link (moving a file to duplicates/ or rejected/)
 * changes it, and the watcher would publish the file again while it is being moved.
 */
export function messageId(inbox: string, rel: string, facts: FileFacts): string {
  return createHash("sha256").update(`${inbox}\0${rel}\0${facts.size}\0${facts.mtimeMs}`).digest("hex").slice(0, 40);
}

/** Inbox reports are sent this often even when nothing changed (the catalog drops stale ones). */
const REPORT_EVERY_MS = 60_000;
/** After a change, the report waits this long for more (a batch of temporary files). */
const REPORT_DEBOUNCE_MS = 1_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function watcherMetrics(registry: import("prom-client").Registry) {
  return {
    discovered: new Counter({ name: "booru_files_discovered_total", help: "files that settled and were published (or dropped as a repeat)", registers: [registry] }),
    published: new Counter({ name: "booru_files_published_total", help: "JetStream publish outcome", labelNames: ["result"], registers: [registry] }),
    scans: new Histogram({ name: "booru_watcher_scan_duration_seconds", help: "full inbox scans", labelNames: ["kind"], buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300], registers: [registry] }),
    ignored: new Gauge({ name: "booru_watcher_ignored_entries", help: "entries in the inboxes that are not published, by why: name (temporary, partial, hidden) or extension", labelNames: ["why"], registers: [registry] }),
  };
}

/**
 * The pipeline's own folders and files, as the watcher will meet them under each inbox: as
 * configured, with symlinks resolved, and as seen through the inbox's own path when that path
 * goes through a symlink. A path that does not exist yet is resolved through its nearest
 * existing parent, so a folder created later inside an inbox is still recognised.
 */
export async function ownPaths(paths: DataPaths, inboxes: string[]): Promise<string[]> {
  const sqlite = paths.sqlite;
  const own = [paths.library, paths.duplicates, paths.rejected, sqlite, `${sqlite}-wal`, `${sqlite}-shm`, `${sqlite}-journal`];
  const real = await Promise.all(own.map(realPathOf));
  const out = new Set([...own, ...real]);
  for (const inbox of inboxes) {
    const realInbox = await realPathOf(inbox);
    for (const r of real) if (isInside(realInbox, r)) out.add(path.join(inbox, path.relative(realInbox, r)));
  }
  return [...out];
}

async function realPathOf(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    const parent = path.dirname(p);
    return parent === p ? p : path.join(await realPathOf(parent), path.basename(p));
  }
}

interface Publisher {
  (inbox: string, file: string, facts: FileFacts): Promise<void>;
}

function createPublisher(bus: Bus, watcherId: string, metrics: ReturnType<typeof watcherMetrics>, log: Logger): Publisher {
  return async (inbox, file, facts) => {
    const rel = path.relative(inbox, file).split(path.sep).join("/");
    const ev = ingestV1.FileDiscovered.fromPartial({ inbox, path: rel, size: facts.size, mtimeUnixMs: facts.mtimeMs, ctimeUnixMs: facts.ctimeMs, discoveredUnixMs: Date.now(), watcherId });
    const data = ingestV1.FileDiscovered.encode(ev).finish();
    for (let attempt = 1; ; attempt++) {
      try {
        // One trace per file starts here (tracing on); its traceparent rides in the NATS headers to dedup.
        const publishOnce = () => bus.queue("files").publish(data, { msgId: messageId(inbox, rel, facts), headers: traceHeaders() });
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
    const filter = createEntryFilter({ ignore: cfg.ignore, extensions: cfg.extensions, own: await ownPaths(ctx.paths, ctx.paths.inboxes) });
    const watcherId = cfg.watcherId ?? `${hostname()}:${process.pid}`;
    const publish = createPublisher(bus, watcherId, metrics, ctx.log);
    const clock = new FileClock(ctx.log);
    let stopped = false;
    const watchers: DirWatcher[] = [];
    const settlers: Settler[] = [];
    const scans: (() => Promise<void>)[] = [];
    const ignored = new Map(ctx.paths.inboxes.map((inbox) => [inbox, new IgnoredEntries(() => reporter.soon())]));
    const reporter = startReporting(bus, watcherId, ignored, metrics);
    for (const inbox of ctx.paths.inboxes) {
      const settler = new Settler({
        settleMs: cfg.settleTime,
        fileNow: () => clock.now(inbox),
        tempSiblings: filter.tempSiblings,
        onSettled: (file, facts) => publish(inbox, file, facts),
        onError: (file, err) => ctx.log.warn({ err, file }, "could not publish file; the next scan retries"),
      });
      settlers.push(settler);
      const skipped = ignored.get(inbox)!;
      if (!cfg.watchPoll) watchers.push(watchInbox(inbox, filter, settler, skipped, ctx.log));
      scans.push(() => scanOnce(inbox, filter, settler, skipped, () => stopped));
    }
    let scanning: Promise<void> = Promise.resolve();
    const runScans = (kind: "start" | "reconcile" | "poll") => {
      scanning = scanning.then(async () => {
        const end = metrics.scans.startTimer({ kind });
        try {
          for (const scan of scans) await scan();
          reporter.now();
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
        reporter.stop();
        clearInterval(rescan);
        clearInterval(poll);
        settlers.forEach((s) => s.close());
        watchers.forEach((w) => w.close());
        await scanning;
      },
    };
  },
});

async function scanOnce(inbox: string, filter: EntryFilter, settler: Settler, ignored: IgnoredEntries, stopped: () => boolean): Promise<void> {
  ignored.beginScan();
  await scanInbox(inbox, filter, { onFile: (file) => settler.touch(file), onSkip: (entry, why) => ignored.note(entry, why), stopped });
  // A scan that was stopped half-way saw only part of the inbox.
  if (!stopped()) ignored.endScan();
}

function watchInbox(inbox: string, filter: EntryFilter, settler: Settler, ignored: IgnoredEntries, log: Logger): DirWatcher {
  return new DirWatcher(inbox, filter, {
    onFile: (file) => void settler.touch(file).catch((err) => log.warn({ err, file }, "settle check failed")),
    onSkip: (entry, why) => ignored.note(entry, why),
    onGone: (entry) => ignored.gone(entry),
    onError: (err, dir) => log.error({ err, dir }, "watch error; the periodic scan still runs"),
  });
}

/**
 * Publishes each inbox's ignored entries (InboxReport) on the bus for the catalog's stats:
 * shortly after a change, and every minute regardless (reports are at most once, latest wins).
 */
function startReporting(bus: Bus, watcherId: string, inboxes: Map<string, IgnoredEntries>, metrics: ReturnType<typeof watcherMetrics>) {
  const sent = new Map<string, number>();
  const send = (all: boolean) => {
    const totals: Record<string, number> = { name: 0, extension: 0 };
    for (const [inbox, entries] of inboxes) {
      const counts = entries.counts();
      for (const [why, n] of Object.entries(counts)) totals[why] = (totals[why] ?? 0) + n;
      if (!all && sent.get(inbox) === entries.changes) continue;
      sent.set(inbox, entries.changes);
      const report = ingestV1.InboxReport.fromPartial({ inbox, watcherId, ignoredByReason: counts, atUnixMs: Date.now() });
      bus.feed("reports").publish(ingestV1.InboxReport.encode(report).finish());
    }
    for (const [why, n] of Object.entries(totals)) metrics.ignored.set({ why }, n);
  };
  let debounce: NodeJS.Timeout | undefined;
  const heartbeat = setInterval(() => send(true), REPORT_EVERY_MS);
  return {
    /** Something changed: report the inboxes that changed, after a short wait for more. */
    soon() {
      debounce ??= setTimeout(() => {
        debounce = undefined;
        send(false);
      }, REPORT_DEBOUNCE_MS);
    },
    /** Report the inboxes that changed now (after a scan). */
    now: () => send(false),
    stop() {
      clearInterval(heartbeat);
      clearTimeout(debounce);
    },
  };
}
