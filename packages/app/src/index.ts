/**
 * The composition root: booru's modules, what each depends on and why, the bus queues and feeds
 * they share, and where each finds the others. The kit (@booru/runtime) knows none of this;
 * `booru up` / `booru run --target=...` hand it this table, and a process loads only the
 * modules it runs (a dedup alone never loads the hasher's sharp and worker pool).
 */
import { settings, type AppDef, type BusTopology, type ModuleDef, type ModuleEntry } from "@booru/runtime";
import { catalogSettings } from "@booru/catalog/settings";
import { consoleSettings } from "@booru/console/settings";
import { dedupSettings } from "@booru/dedup/settings";
import { hasherSettings } from "@booru/hasher/settings";
import { watcherSettings } from "@booru/watcher/settings";

const load = <T>(m: Promise<T>, pick: (m: T) => unknown) => m.then((x) => pick(x) as ModuleDef);

export const MODULES: readonly ModuleEntry[] = [
  // Stateless decoding: depends on nobody.
  { name: "hasher", deps: [], settings: hasherSettings, load: () => load(import("@booru/hasher"), (m) => m.hasherModule) },
  // Records and the client API: depends on nobody (dedup writes to it; deletions leave through its outbox).
  { name: "catalog", deps: [], settings: catalogSettings, load: () => load(import("@booru/catalog"), (m) => m.catalogModule) },
  // Sends every file's bytes to the hasher and its record to the catalog: both must answer
  // (and accept its token) before it takes the first file.
  { name: "dedup", deps: ["hasher", "catalog"], settings: dedupSettings, load: () => load(import("@booru/dedup"), (m) => m.dedupModule) },
  // Publishes the files dedup consumes: in one process the queue is in memory, so dedup is
  // consuming before the first scan publishes.
  { name: "watcher", deps: ["dedup"], settings: watcherSettings, load: () => load(import("@booru/watcher"), (m) => m.watcherModule) },
  // The web console: a client of the catalog (records, decisions), the hasher (a dropped
  // picture's hashes for "find similar") and dedup's Library (the originals); in one process
  // all three answer before its first page.
  { name: "console", deps: ["catalog", "hasher", "dedup"], settings: consoleSettings, load: () => load(import("@booru/console"), (m) => m.consoleModule) },
];

/** Where dedup finds the hasher and the catalog, and the console the library; unset means the one in this process. */
export const appSettings = {
  hasherAddr: settings.optional("BOORU_HASHER_ADDR", "hasher target, e.g. dns:///hasher-headless:50051 (unset: this process)"),
  catalogAddr: settings.optional("BOORU_CATALOG_ADDR", "catalog target (unset: this process)"),
  libraryAddr: settings.optional("BOORU_LIBRARY_ADDR", "where the web console reads originals: dedup's Library API, e.g. dedup:50051 (unset: this process)"),
};

export const BUS: BusTopology = {
  queues: {
    // watcher -> dedup: discovered files. The stream name is public (KEDA's scaler, dashboards).
    files: { stream: "INGEST", subject: "ingest.files" },
    // catalog (its outbox) -> dedup: deleted images. In process, publish completes on dedup's
    // ack, so the outbox keeps each deletion until dedup has applied it.
    deletions: { stream: "DELETIONS", subject: "booru.deletions", publishResolvesOnAck: true },
    // catalog -> dedup: people's decisions about rejected files (retry, delete); dedup owns
    // rejected/. In process, publish completes on dedup's ack, as for deletions.
    rejectedFiles: { stream: "REJECTED", subject: "booru.rejected", publishResolvesOnAck: true },
  },
  feeds: {
    // catalog -> every catalog replica and WatchEvents stream: ingested, duplicate, rejected, deleted.
    events: "booru.events",
    // watcher -> catalog: what each inbox skips (latest wins), for GetStats.
    reports: "booru.reports",
  },
};

/** The application `booru` runs. */
export const booru: AppDef = {
  modules: MODULES,
  settings: appSettings,
  bus: BUS,
  peers: { hasher: "hasherAddr", catalog: "catalogAddr", library: "libraryAddr" },
  // Inboxes apart from every folder the pipeline writes: the watcher would take its own output as new input.
  separate: (paths, common) => ({
    watched: paths.inboxes.map((p) => ({ role: "inbox", path: p, write: false })),
    others: [
      { role: "library", path: paths.library, write: true },
      { role: "duplicates folder", path: paths.duplicates, write: true },
      { role: "rejected folder", path: paths.rejected, write: true },
      ...(common.mongoUrl ? [] : [{ role: "SQLite file", path: paths.sqlite, write: true, file: true }]),
    ],
  }),
};
