import { catalogV1, ingestV1 } from "@booru/proto";
import { defineModule, FILES_CONSUMER, settings, type ModuleContext } from "@booru/runtime";
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
import { parseKeeper, DEFAULT_KEEPER } from "./near/keeper.js";
import { mongoNearRepo } from "./near/mongo.js";
import { DEFAULT_NEAR_RULE } from "./near/rule.js";
import { NearService } from "./near/service.js";
import { sqliteNearRepo } from "./near/sqlite.js";
import type { NearRepo } from "./near/types.js";
import { CatalogService } from "./service.js";
import { SimilarityIndex } from "./similarity.js";

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
  settings: {
    indexRefresh: settings.duration("BOORU_CATALOG_INDEX_REFRESH", 300_000, "how often the similarity index is reconciled with the store, healing missed events"),
    maxThumbnailBytes: settings.bytes("BOORU_CATALOG_MAX_THUMBNAIL_BYTES", 2 * 1024 * 1024, "largest thumbnail PutImage accepts"),
    nearDuplicates: settings.oneOf("BOORU_NEAR_DUPLICATES", ["review", "keep-best", "off"], "review", "near-duplicates at ingest: recorded as groups for review, resolved by the keeper rule (the worse copy dropped), or not looked for"),
    nearPhash64: settings.int("BOORU_NEAR_PHASH64", DEFAULT_NEAR_RULE.phash64, "near-duplicate pair: largest phash64 distance", 0, 64),
    nearDhash64: settings.int("BOORU_NEAR_DHASH64", DEFAULT_NEAR_RULE.dhash64, "near-duplicate pair: largest dhash64 distance", 0, 64),
    nearFrames: settings.int("BOORU_NEAR_FRAMES", DEFAULT_NEAR_RULE.frames, "near-duplicate pair of animations or videos: largest frame-signature distance", 0, 64),
    nearKeeper: settings.list("BOORU_NEAR_KEEPER", DEFAULT_KEEPER, "the suggested keeper of a group: criteria in order (pixels, lossless, bytes, earliest)"),
    nearPoll: settings.duration("BOORU_NEAR_POLL", 2000, "how often a replica looks for near-duplicate work (and the detector lease) besides being told"),
  },
  servesApi: true,
  // No library: dedup owns it (a deletion reaches it as an ImageDeleted message).
  folders: (paths, common) => (common.mongoUrl ? [] : [{ role: "SQLite file", path: paths.sqlite, write: true, file: true }]),
  async start(ctx, config) {
    const repos = await openRepos(ctx);
    const nearRepo = await openNearRepo(ctx);
    const index = new SimilarityIndex();
    const sync = new IndexSync(repos.images, index, ctx.log);
    const hub = new EventHub((await ctx.bus()).events, ctx.log);
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
      rule,
      mode: config.nearDuplicates,
      keeper,
      drop: (dropped, best) => near!.drop(dropped, best.md5),
      changed: groupChanged,
      owner: `${hostname()}/${process.pid}/${randomBytes(3).toString("hex")}`,
      log: ctx.log,
    });

    const deletions = new DeletionRelay(openDeletionOutbox(await ctx.mongo(), () => ctx.sqlite()), (await ctx.bus()).deletions, ctx.log);
    deletions.start();
    const service = new CatalogService({
      repos,
      index,
      publish: (event) => hub.publish(event),
      deletions,
      queueDepth: async () => (await ctx.bus()).files.depth(FILES_CONSUMER),
      rejectedFiles: { publish: async (data) => (await ctx.bus()).rejectedFiles.publish(data) },
      metrics: catalogMetrics(ctx.metrics, index),
      maxThumbnailBytes: config.maxThumbnailBytes,
      log: ctx.log,
      near: { onIngested: (md5) => near!.onIngested(md5), onDeleted: (md5) => near!.onDeleted(md5) },
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
    const stopReports = (await ctx.bus()).reports.subscribe((data) => {
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
