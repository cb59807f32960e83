import { status } from "@grpc/grpc-js";
import { catalogV1, ingestV1 } from "@booru/proto";
import { AppError, badRequest, notFound, type Logger, type QueueDepth } from "@booru/runtime";
import { algorithmOf, FIELD, MAX_DISTANCE, parseValue } from "./hashes.js";
import type { CatalogMetrics } from "./metrics.js";
import { kindName, MINUTE_MS, similarityHashes, type Repos } from "./repos/types.js";
import type { SimilarityIndex } from "./similarity.js";
import { checkEventId, checkImage, decodeToken, defaultDistance, encodeToken, limitArg, md5Arg, reasonArg, sha256Arg } from "./validate.js";

export interface CatalogDeps {
  repos: Repos;
  index: SimilarityIndex;
  publish(event: catalogV1.Event): void;
  /** Hands a deletion to dedup, durably (the outbox relay). */
  deletions: { add(event: ingestV1.ImageDeleted): Promise<void> };
  /** The files queue as dedup's consumer sees it. */
  queueDepth(): Promise<QueueDepth>;
  /** Hands dedup a decision about a rejected file; resolves once the bus holds it. */
  rejectedFiles: { publish(data: Uint8Array): Promise<unknown> };
  metrics: CatalogMetrics;
  maxThumbnailBytes: number;
  log: Logger;
  now?: () => number;
  /** Near-duplicate detection hears of each stored and each deleted image. */
  near?: {
    onIngested(md5: string): Promise<void>;
    onDeleted(md5: string): Promise<void>;
    /** New images found to look like earlier ones, per minute in [from, to). */
    foundPerMinute(from: number, to: number): Promise<Map<number, number>>;
  };
}

const MAX_PAGE = 1000;
/** In one process the bus answers when dedup acked: a dedup that is not running answers never. */
const REJECTED_ACTION_TIMEOUT_MS = 10_000;
/** Watchers report every minute; an inbox not heard of for this long is left out of the stats. */
export const REPORT_FRESH_MS = 5 * 60_000;

/** The catalog's use cases; the gRPC handlers only adapt requests to these. */
export class CatalogService {
  private readonly now: () => number;

  constructor(private readonly deps: CatalogDeps) {
    this.now = deps.now ?? Date.now;
  }

  async putImage(req: catalogV1.PutImageRequest): Promise<catalogV1.PutImageResponse> {
    const image = checkImage(req.image, this.now());
    if (req.thumbnail.length > this.deps.maxThumbnailBytes) throw badRequest(`thumbnail is ${req.thumbnail.length} bytes, more than ${this.deps.maxThumbnailBytes}`);
    const thumbnail = req.thumbnail.length > 0 ? { data: req.thumbnail, mime: image.thumbnailMime, width: image.thumbnailWidth, height: image.thumbnailHeight } : undefined;
    const { created, image: stored } = await this.deps.repos.images.put(image, thumbnail);
    this.deps.metrics.writes.inc({ op: "put", result: created ? "created" : "exists" });
    if (created) {
      // Updated here as well as from the event, so this replica answers at once even if the bus lags.
      this.deps.index.upsert(stored.md5, similarityHashes(stored));
      this.deps.publish({ atUnixMs: this.now(), ingested: stored });
    }
    // Also on a retry: the first attempt may have stopped before queueing it.
    await this.deps.near?.onIngested(stored.md5);
    return { image: stored, created };
  }

  async recordDuplicate(req: catalogV1.RecordDuplicateRequest): Promise<catalogV1.RecordDuplicateResponse> {
    const dup = req.duplicate;
    if (!dup) throw badRequest("duplicate is required");
    checkEventId(dup.id, "duplicate");
    const record = { ...dup, md5: md5Arg(dup.md5, "duplicate.md5"), atUnixMs: dup.atUnixMs || this.now() };
    const created = await this.deps.repos.duplicates.put(record);
    this.deps.metrics.writes.inc({ op: "duplicate", result: created ? "created" : "exists" });
    if (created) this.deps.publish({ atUnixMs: this.now(), duplicate: record });
    return {};
  }

  async recordRejection(req: catalogV1.RecordRejectionRequest): Promise<catalogV1.RecordRejectionResponse> {
    const rej = req.rejection;
    if (!rej) throw badRequest("rejection is required");
    checkEventId(rej.id, "rejection");
    reasonArg(rej.reason, "rejection.reason");
    const record = { ...rej, md5: rej.md5 ? md5Arg(rej.md5, "rejection.md5") : "", atUnixMs: rej.atUnixMs || this.now() };
    const created = await this.deps.repos.rejections.put(record);
    this.deps.metrics.writes.inc({ op: "rejection", result: created ? "created" : "exists" });
    if (created) this.deps.publish({ atUnixMs: this.now(), rejected: record });
    return {};
  }

  async getImage(req: catalogV1.GetImageRequest): Promise<catalogV1.GetImageResponse> {
    const image = req.sha256 !== undefined ? await this.deps.repos.images.getBySha256(sha256Arg(req.sha256)) : await this.deps.repos.images.get(md5Arg(req.md5));
    if (!image) throw notFound(`no image ${req.sha256 ?? req.md5}`);
    return { image };
  }

  async listImages(req: catalogV1.ListImagesRequest): Promise<catalogV1.ListImagesResponse> {
    const limit = limitArg(req.pageSize, 100, MAX_PAGE, "page_size");
    const filter = {
      kind: req.kind ? kindName(req.kind) : undefined,
      format: req.format || undefined,
      minBytes: req.minBytes || undefined,
      maxBytes: req.maxBytes || undefined,
      ingestedAfter: req.ingestedAfterUnixMs || undefined,
      ingestedBefore: req.ingestedBeforeUnixMs || undefined,
      oldestFirst: req.oldestFirst || undefined,
    };
    const page = await this.deps.repos.images.list(filter, limit, decodeToken(req.pageToken));
    return { images: page.items, nextPageToken: encodeToken(page.next) };
  }

  async getThumbnail(req: catalogV1.GetThumbnailRequest): Promise<catalogV1.GetThumbnailResponse> {
    const md5 = md5Arg(req.md5);
    const thumb = await this.deps.repos.images.thumbnail(md5);
    if (!thumb) throw notFound(`no thumbnail for ${md5}`);
    return thumb;
  }

  async findSimilar(req: catalogV1.FindSimilarRequest): Promise<catalogV1.FindSimilarResponse> {
    const algorithm = algorithmOf(req.algorithm);
    if (!algorithm) throw badRequest(`unknown algorithm ${req.algorithm}`);
    const maxDistance = req.maxDistance ?? defaultDistance(algorithm);
    if (maxDistance > MAX_DISTANCE[algorithm]) throw badRequest(`max_distance must be 0..${MAX_DISTANCE[algorithm]} for ${algorithm}`);
    const limit = limitArg(req.limit, 50, MAX_PAGE, "limit");
    let hex = req.hash?.toLowerCase();
    let self: string | undefined;
    if (req.md5 !== undefined) {
      const image = await this.deps.repos.images.get(md5Arg(req.md5));
      if (!image) throw notFound(`no image ${req.md5}`);
      hex = image.hashes?.[FIELD[algorithm]] as string | undefined;
      self = image.md5;
      if (!hex) throw new AppError(status.FAILED_PRECONDITION, `image ${image.md5} has no ${algorithm === "frames" ? "frame signature (not an animation or video)" : algorithm}`);
    }
    const value = parseValue(algorithm, hex ?? "");
    if (!value) throw badRequest(algorithm === "frames" ? "hash must be a frame signature (256 hex digits)" : `hash must be ${MAX_DISTANCE[algorithm] / 4} hex digits for ${algorithm}`);

    const end = this.deps.metrics.similarSeconds.startTimer({ algorithm });
    // One extra when asking by md5: the image itself is not a result.
    const matches = this.deps.index.query(algorithm, value, maxDistance, limit + (self ? 1 : 0)).filter((m) => m.md5 !== self).slice(0, limit);
    end();
    const records = new Map((await this.deps.repos.images.getMany(matches.map((m) => m.md5))).map((i) => [i.md5, i]));
    // An entry whose record is gone was deleted by a replica whose event we missed.
    for (const m of matches) if (!records.has(m.md5)) this.deps.index.remove(m.md5);
    return { matches: matches.filter((m) => records.has(m.md5)).map((m) => ({ image: records.get(m.md5), distance: m.distance })) };
  }

  async listDuplicates(req: catalogV1.ListDuplicatesRequest): Promise<catalogV1.ListDuplicatesResponse> {
    const limit = limitArg(req.pageSize, 100, MAX_PAGE, "page_size");
    const page = await this.deps.repos.duplicates.list(req.md5 ? md5Arg(req.md5) : undefined, limit, decodeToken(req.pageToken));
    return { duplicates: page.items, nextPageToken: encodeToken(page.next) };
  }

  async listRejections(req: catalogV1.ListRejectionsRequest): Promise<catalogV1.ListRejectionsResponse> {
    const limit = limitArg(req.pageSize, 100, MAX_PAGE, "page_size");
    const page = await this.deps.repos.rejections.list(req.reason ? reasonArg(req.reason, "reason") : undefined, limit, decodeToken(req.pageToken));
    return { rejections: page.items, nextPageToken: encodeToken(page.next) };
  }

  async deleteImage(req: catalogV1.DeleteImageRequest): Promise<catalogV1.DeleteImageResponse> {
    return this.dropImage(md5Arg(req.md5), ingestV1.DeletionReason.USER);
  }

  /**
   * Deletes a record and owes dedup the rest (tombstone, library file) as an ImageDeleted with
   * the reason. The deletion is recorded before the record goes, so a retry after a failure
   * between the two still finds the library path; a repeat replaces the pending deletion.
   */
  async dropImage(md5: string, reason: ingestV1.DeletionReason, keeperMd5 = ""): Promise<catalogV1.DeleteImageResponse> {
    const image = await this.deps.repos.images.get(md5);
    if (!image) return { deleted: false };
    await this.deps.deletions.add({ md5, sha256: image.hashes?.sha256 ?? "", libraryPath: image.libraryPath, reason, keeperMd5, atUnixMs: this.now() });
    const deleted = await this.deps.repos.images.delete(md5);
    this.deps.index.remove(md5);
    this.deps.metrics.writes.inc({ op: "delete", result: deleted ? "created" : "exists" });
    if (deleted) this.deps.publish({ atUnixMs: this.now(), deletedMd5: md5 });
    await this.deps.near?.onDeleted(md5);
    return { deleted };
  }

  retryRejection(req: catalogV1.RetryRejectionRequest): Promise<catalogV1.RetryRejectionResponse> {
    return this.actOnRejection(req.id, ingestV1.RejectedFileActionKind.RETRY);
  }

  deleteRejection(req: catalogV1.DeleteRejectionRequest): Promise<catalogV1.DeleteRejectionResponse> {
    return this.actOnRejection(req.id, ingestV1.RejectedFileActionKind.DELETE);
  }

  /**
   * dedup owns rejected/: it gets the decision first; only once the bus holds it is the
   * rejection forgotten, so a failure in between leaves it listed for another try (dedup's
   * handling is idempotent).
   */
  private async actOnRejection(id: string, kind: ingestV1.RejectedFileActionKind): Promise<Record<string, never>> {
    checkEventId(id, "rejection");
    const r = await this.deps.repos.rejections.get(id);
    if (!r) throw notFound(`no rejection ${id} (already retried or deleted?)`);
    const action = ingestV1.RejectedFileAction.encode({ rejectionId: r.id, storedPath: r.storedPath, sourcePath: r.sourcePath, kind, atUnixMs: this.now() }).finish();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AppError(status.UNAVAILABLE, "dedup did not take the request in time; try again")), REJECTED_ACTION_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.deps.rejectedFiles.publish(action), timeout]);
    } finally {
      clearTimeout(timer);
    }
    await this.deps.repos.rejections.delete(id);
    this.deps.metrics.writes.inc({ op: kind === ingestV1.RejectedFileActionKind.RETRY ? "retry-rejection" : "delete-rejection", result: "created" });
    return {};
  }

  async getStats(): Promise<catalogV1.GetStatsResponse> {
    const [images, duplicates, rejectedByReason, reports] = await Promise.all([
      this.deps.repos.images.stats(this.now() - 60_000),
      this.deps.repos.duplicates.count(),
      this.deps.repos.rejections.countByReason(),
      this.deps.repos.inboxReports.list(this.now() - REPORT_FRESH_MS),
    ]);
    const ignoredByReason: Record<string, number> = {};
    for (const r of reports) for (const [why, n] of Object.entries(r.ignoredByReason)) ignoredByReason[why] = (ignoredByReason[why] ?? 0) + n;
    const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
    return { images: images.images, bytes: images.bytes, duplicates, rejectedByReason, ingestedLastMinute: images.ingestedSince, rejected: sum(rejectedByReason), ignored: sum(ignoredByReason), ignoredByReason };
  }

  async getActivity(req: catalogV1.GetActivityRequest): Promise<catalogV1.GetActivityResponse> {
    const span = limitArg(req.minutes, 60, 1440, "minutes");
    const first = (Math.floor(this.now() / MINUTE_MS) - span + 1) * MINUTE_MS;
    const [ingested, duplicates, rejected, near, depth] = await Promise.all([
      this.deps.repos.images.perMinute(first),
      this.deps.repos.duplicates.perMinute(first),
      this.deps.repos.rejections.perMinute(first),
      this.deps.near?.foundPerMinute(first, first + span * MINUTE_MS) ?? new Map<number, number>(),
      this.deps.queueDepth(),
    ]);
    const minutes = Array.from({ length: span }, (_, i) => {
      const start = first + i * MINUTE_MS;
      return { startUnixMs: start, ingested: ingested.get(start) ?? 0, duplicates: duplicates.get(start) ?? 0, rejected: rejected.get(start) ?? 0, nearDuplicates: near.get(start) ?? 0 };
    });
    return { minutes, backlog: depth.pending, inFlight: depth.ackPending };
  }

  /** A watcher's view of one inbox (over the bus, latest wins); malformed reports are dropped. */
  async recordInboxReport(report: ingestV1.InboxReport): Promise<void> {
    const counts = Object.entries(report.ignoredByReason);
    if (!report.inbox || report.inbox.length > 4096 || counts.length > 16 || counts.some(([why, n]) => !/^[a-z-]{1,32}$/.test(why) || !Number.isSafeInteger(n) || n < 0)) {
      this.deps.log.warn({ inbox: report.inbox.slice(0, 200), watcherId: report.watcherId.slice(0, 200) }, "malformed inbox report dropped");
      return;
    }
    await this.deps.repos.inboxReports.put({ inbox: report.inbox, watcherId: report.watcherId.slice(0, 256), ignoredByReason: Object.fromEntries(counts), receivedUnixMs: this.now() });
  }

}
