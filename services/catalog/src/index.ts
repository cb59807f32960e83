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

export const catalogModule = defineModule({
  name: "catalog",
  deps: [],
  settings: {
    indexRefresh: settings.duration("BOORU_CATALOG_INDEX_REFRESH", 300_000, "how often the similarity index is reconciled with the store, healing missed events"),
    maxThumbnailBytes: settings.bytes("BOORU_CATALOG_MAX_THUMBNAIL_BYTES", 2 * 1024 * 1024, "largest thumbnail PutImage accepts"),
  },
  servesApi: true,
  // No library: dedup owns it (a deletion reaches it as an ImageDeleted message).
  folders: (paths, common) => (common.mongoUrl ? [] : [{ role: "SQLite file", path: paths.sqlite, write: true, file: true }]),
  async start(ctx, config) {
    const repos = await openRepos(ctx);
    const index = new SimilarityIndex();
    const sync = new IndexSync(repos.images, index, ctx.log);
    const hub = new EventHub((await ctx.bus()).events, ctx.log);
    // Listen before the first build, so nothing written meanwhile is missed.
    hub.listen((event) => sync.apply(event));
    hub.start();
    await sync.refresh();
    const timer = setInterval(() => sync.refresh().catch((err: unknown) => ctx.log.error({ err }, "similarity index refresh failed")), config.indexRefresh);
    timer.unref();

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
    });
    ctx.grpc.addService(CATALOG_SERVICE, catalogV1.CatalogService, catalogHandlers(service, hub), { scopes: CATALOG_SCOPES });
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
        // Live streams end first; they would otherwise keep the drain waiting to the deadline.
        hub.close();
        await ctx.grpc.drain(CATALOG_SERVICE, deadlineMs);
        deletions.stop();
      },
    };
  },
});
