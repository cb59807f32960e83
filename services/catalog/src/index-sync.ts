import { catalogV1 } from "@booru/proto";
import type { Logger } from "@booru/runtime";
import { similarityHashes, type Cursor, type ImagesRepo } from "./repos/types.js";
import type { SimilarityIndex } from "./similarity.js";

/** Clock difference between replicas tolerated by `catchUp` (records are stamped by the writer). */
const CLOCK_MARGIN_MS = 5 * 60_000;

/**
 * Keeps the in-memory index equal to the store: built from the store at start, updated by
 * every event (this replica's writes and the other replicas'), and reconciled with the store
 * periodically because the event feed is at most once.
 */
export class IndexSync {
  /** While a refresh runs, what events deleted, so the scan does not bring it back. */
  private deletedDuring?: Set<string>;
  private running?: Promise<void>;
  /** When the last complete reconciliation began: the index holds every record stored before it. */
  private builtFrom?: number;

  constructor(
    private readonly images: ImagesRepo,
    private readonly index: SimilarityIndex,
    private readonly log: Logger,
  ) {}

  apply(event: catalogV1.Event): void {
    if (event.ingested) {
      this.index.upsert(event.ingested.md5, similarityHashes(event.ingested));
      this.deletedDuring?.delete(event.ingested.md5);
    } else if (event.deletedMd5) {
      this.index.remove(event.deletedMd5);
      this.deletedDuring?.add(event.deletedMd5);
    }
  }

  /** Adds what the store has and the index lacks, removes what the store no longer has. */
  refresh(): Promise<void> {
    this.running ??= this.reconcile().finally(() => {
      this.running = undefined;
      this.deletedDuring = undefined;
    });
    return this.running;
  }

  /**
   * Adds what was stored since the last reconciliation began (less a margin for the clocks of
   * other replicas): the records of the last minutes, read by the ingest-time index, instead of
   * the whole store. For the near-duplicate detector taking over, whose index must hold what the
   * previous holder processed even if an event was missed. A full refresh when there was none.
   */
  async catchUp(): Promise<void> {
    if (this.running) return this.running;
    if (this.builtFrom === undefined) return this.refresh();
    let cursor: Cursor | undefined;
    let added = 0;
    do {
      const page = await this.images.list({ ingestedAfter: this.builtFrom - CLOCK_MARGIN_MS }, 500, cursor);
      for (const image of page.items) if (!this.deletedDuring?.has(image.md5)) this.index.upsert(image.md5, similarityHashes(image));
      added += page.items.length;
      cursor = page.next;
    } while (cursor);
    this.log.debug({ records: added }, "similarity index caught up with recent records");
  }

  private async reconcile(): Promise<void> {
    const started = Date.now();
    const deleted = (this.deletedDuring = new Set<string>());
    // The first build (an empty index) has nothing to remove, so nothing to mark.
    const sweep = this.index.size > 0;
    if (sweep) this.index.mark();
    let added = 0;
    for await (const batch of this.images.hashBatches()) {
      added += this.index.upsertBatch(batch, (md5) => deleted.has(md5));
      // A million records take seconds: let requests through between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Entries the scan did not upsert are gone from the store (events' upserts mark too).
    const removed = sweep ? this.index.sweep() : 0;
    this.builtFrom = started;
    this.log.info({ entries: this.index.size, added, removed, ms: Date.now() - started }, "similarity index reconciled with the store");
  }
}
