import { catalogV1 } from "@booru/proto";
import type { Logger } from "@booru/runtime";
import { similarityHashes, type ImagesRepo } from "./repos/types.js";
import type { SimilarityIndex } from "./similarity.js";

/**
 * Keeps the in-memory index equal to the store: built from the store at start, updated by
 * every event (this replica's writes and the other replicas'), and reconciled with the store
 * periodically because the event feed is at most once.
 */
export class IndexSync {
  /** While a refresh runs, what events changed, so the scan does not undo them. */
  private during?: { added: Set<string>; deleted: Set<string> };
  private running?: Promise<void>;

  constructor(
    private readonly images: ImagesRepo,
    private readonly index: SimilarityIndex,
    private readonly log: Logger,
  ) {}

  apply(event: catalogV1.Event): void {
    if (event.ingested) {
      this.index.upsert(event.ingested.md5, similarityHashes(event.ingested));
      this.during?.added.add(event.ingested.md5);
      this.during?.deleted.delete(event.ingested.md5);
    } else if (event.deletedMd5) {
      this.index.remove(event.deletedMd5);
      this.during?.deleted.add(event.deletedMd5);
      this.during?.added.delete(event.deletedMd5);
    }
  }

  /** Adds what the store has and the index lacks, removes what the store no longer has. */
  refresh(): Promise<void> {
    this.running ??= this.reconcile().finally(() => {
      this.running = undefined;
      this.during = undefined;
    });
    return this.running;
  }

  private async reconcile(): Promise<void> {
    const started = Date.now();
    const during = (this.during = { added: new Set<string>(), deleted: new Set<string>() });
    // The first build (an empty index) has nothing to remove: no set of every md5 seen.
    const seen = this.index.size === 0 ? undefined : new Set<string>();
    let added = 0;
    for await (const { md5, hashes } of this.images.hashes()) {
      seen?.add(md5);
      if (during.deleted.has(md5)) continue;
      if (!this.index.has(md5)) added++;
      this.index.upsert(md5, hashes);
    }
    let removed = 0;
    for (const md5 of seen ? this.index.md5List() : []) {
      if (seen!.has(md5) || during.added.has(md5)) continue;
      this.index.remove(md5);
      removed++;
    }
    this.log.info({ entries: this.index.size, added, removed, ms: Date.now() - started }, "similarity index reconciled with the store");
  }
}
