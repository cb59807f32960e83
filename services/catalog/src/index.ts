import { catalogV1, ingestV1 } from "@booru/proto";
import { defineModule, FILES_CONSUMER, type ModuleContext } from "@booru/runtime";
import { DeletionRelay, openDeletionOutbox } from "./deletions.js";
import { EventHub } from "./events.js";
import { CATALOG_SCOPES, catalogHandlers } from "./handlers.js";
import { IndexSync } from "./index-sync.js";
import { catalogMetrics } from "./metrics.js";
import { mongoRepos } from "./repos/mongo.js";
import { sqliteRepos } from "./repos/sqlite.js";
import type { Repos } from "./repos/types.js";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { NearDetector, type GroupChange } from "./near/detector.js";
import { parseKeeper } from "./near/keeper.js";
import { mongoNearRepo } from "./near/mongo.js";
import { NearService } from "./near/service.js";
import { sqliteNearRepo } from "./near/sqlite.js";
import type { NearRepo } from "./near/types.js";
import { CatalogService } from "./service.js";
import { catalogSettings } from "./settings.js";
import { SimilarityIndex } from "./similarity.js";

export { catalogSettings };

export * from "./client.js";

export const CATALOG_SERVICE = "booru.catalog.v1.Catalog";

export { importRecords, recordLine, type ImportProgress } from "./transfer.js";
export type { StoredImage } from "./repos/types.js";

/** The catalog's repositories on this process's store (also for `booru export` / `booru import`). */
export async function openRepos(ctx: Pick<ModuleContext, "mongo" | "sqlite">): Promise<Repos> {
  const mongo = await ctx.mongo();
  return mongo ? mongoRepos(mongo.db) : sqliteRepos(ctx.sqlite());
}

async function openNearRepo(ctx: Pick<ModuleContext, "mongo" | "sqlite">): Promise<NearRepo> {
  const mongo = await ctx.mongo();
  return mongo ? mongoNearRepo(mongo.db) : sqliteNearRepo(ctx.sqlite());
}

export const catalogModule = defineModule({
  name: "catalog",
  deps: [],
  settings: catalogSettings,
  servesApi: true,
  // No library: dedup owns it (a deletion reaches it as an ImageDeleted message).
  folders: (paths, common) => (common.mongoUrl ? [] : [{ role: "SQLite file", path: paths.sqlite, write: true, file: true }]),
  async start(ctx, config) {
    const repos = await openRepos(ctx);
    const nearRepo = await openNearRepo(ctx);
    const index = new SimilarityIndex();
    const sync = new IndexSync(repos.images, index, ctx.log);
    const hub = new EventHub((await ctx.bus()).feed("events"), ctx.log);
    // Listen before the first build, so nothing written meanwhile is missed.
    hub.listen((event) => sync.apply(event));
    hub.start();
    await sync.refresh();
    const timer = setInterval(() => sync.refresh().catch((err: unknown) => ctx.log.error({ err }, "similarity index refresh failed")), config.indexRefresh);
    timer.unref();

    const keeper = parseKeeper(config.nearKeeper.join(","));
    const rule = { phash64: config.nearPhash64, dhash64: config.nearDhash64, frames: config.nearFrames };
    let near: NearService | undefined = undefined;
    const groupChanged = (change: GroupChange) => publishGroupChange(change, near!, (event) => hub.publish(event), ctx.log);
    const detector = new NearDetector({
      repo: nearRepo,
      images: repos.images,
      index,
      refreshIndex: () => sync.refresh(),
      catchUpIndex: () => sync.catchUp(),
      rule,
      mode: config.nearDuplicates,
      keeper,
      drop: (dropped, best) => near!.drop(dropped, best.md5),
      changed: groupChanged,
      owner: `${hostname()}/${process.pid}/${randomBytes(3).toString("hex")}`,
      log: ctx.log,
    });

    const deletions = new DeletionRelay(openDeletionOutbox(await ctx.mongo(), () => ctx.sqlite()), (await ctx.bus()).queue("deletions"), ctx.log);
    deletions.start();
    const service = new CatalogService({
      repos,
      index,
      publish: (event) => hub.publish(event),
      deletions,
      queueDepth: async () => (await ctx.bus()).queue("files").depth(FILES_CONSUMER),
      rejectedFiles: { publish: async (data) => (await ctx.bus()).queue("rejectedFiles").publish(data) },
      metrics: catalogMetrics(ctx.metrics, index),
      maxThumbnailBytes: config.maxThumbnailBytes,
      log: ctx.log,
      near: { onIngested: (md5) => near!.onIngested(md5), onDeleted: (md5) => near!.onDeleted(md5), foundPerMinute: (from, to) => nearRepo.foundPerMinute(from, to) },
    });
    near = new NearService({ repo: nearRepo, images: repos.images, detector, mode: config.nearDuplicates, keeper, deleteImage: (md5, keeperMd5) => dropThroughDeletion(service, md5, keeperMd5) });
    // Another replica's ingest may be this replica's work (when it holds the detector lease).
    hub.listen((event) => {
      if (event.ingested || event.deletedMd5) void detector.poke();
    });
    const nearTimer = setInterval(() => void detector.poke(), config.nearPoll);
    nearTimer.unref();
    void detector.poke();
    ctx.grpc.addService(CATALOG_SERVICE, catalogV1.CatalogService, catalogHandlers(service, near, hub), { scopes: CATALOG_SCOPES });
    const stopReports = (await ctx.bus()).feed("reports").subscribe((data) => {
      let report: ingestV1.InboxReport;
      try {
        report = ingestV1.InboxReport.decode(data);
      } catch (err) {
        ctx.log.warn({ err }, "undecodable inbox report dropped");
        return;
      }
      service.recordInboxReport(report).catch((err: unknown) => ctx.log.warn({ err, inbox: report.inbox }, "inbox report not stored"));
    });
    return {
      async stop(deadlineMs) {
        stopReports();
        clearInterval(timer);
        clearInterval(nearTimer);
        await detector.stop();
        // Live streams end first; they would otherwise keep the drain waiting to the deadline.
        hub.close();
        await ctx.grpc.drain(CATALOG_SERVICE, deadlineMs);
        deletions.stop();
      },
    };
  },
});

/** A dropped near-duplicate leaves through the deletion path: dedup tombstones it and moves its file under the duplicates policy. */
async function dropThroughDeletion(service: CatalogService, md5: string, keeperMd5: string): Promise<void> {
  await service.dropImage(md5, ingestV1.DeletionReason.NEAR_DUPLICATE, keeperMd5);
}

/** Group changes as WatchEvents events; a group is described as ListNearDuplicates shows it. */
function publishGroupChange(change: GroupChange, near: NearService, publish: (event: catalogV1.Event) => void, log: ModuleContext["log"]): void {
  const at = Date.now();
  if (change.kind === "resolved") return publish({ atUnixMs: at, nearGroupResolved: change.group.id });
  near
    .describe(change.group)
    .then((group) => publish(change.kind === "created" ? { atUnixMs: at, nearGroupCreated: group } : { atUnixMs: at, nearGroupChanged: group }))
    .catch((err: unknown) => log.warn({ err, group: change.group.id }, "near-duplicate group event not published"));
}
