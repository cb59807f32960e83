/**
 * Deletions the catalog owes dedup (DESIGN.md "One writer per store"): the catalog deletes its
 * record, and dedup, the owner of the claims and the library folder, tombstones the md5 and
 * disposes of the file. Each deletion is first written to an outbox in the catalog's own store,
 * then relayed to the bus until the bus has it (JetStream: stored in the stream; in one process:
 * acked by dedup), so a deletion survives a crash, a bus outage and a dedup that is down.
 */
import { ingestV1 } from "@booru/proto";
import type { Logger, MongoHandle, SqliteDb, WorkQueue } from "@booru/runtime";
import type { Binary, Collection, Db } from "mongodb";

/** Deletions not yet handed to the bus, one per md5 (a later deletion of the same md5 replaces it). */
export interface DeletionOutbox {
  add(event: ingestV1.ImageDeleted): Promise<void>;
  /** The oldest pending deletions. */
  pending(limit: number): Promise<ingestV1.ImageDeleted[]>;
  /** Drops a relayed deletion, unless a newer one of the same md5 replaced it meanwhile. */
  remove(md5: string, atUnixMs: number): Promise<void>;
}

export class SqliteDeletionOutbox implements DeletionOutbox {
  constructor(private readonly db: SqliteDb) {
    db.exec("CREATE TABLE IF NOT EXISTS deletion_outbox (md5 TEXT PRIMARY KEY, at INTEGER NOT NULL, data BLOB NOT NULL)");
  }

  async add(event: ingestV1.ImageDeleted): Promise<void> {
    this.db.prepare("INSERT OR REPLACE INTO deletion_outbox (md5, at, data) VALUES (?, ?, ?)").run(event.md5, event.atUnixMs, Buffer.from(ingestV1.ImageDeleted.encode(event).finish()));
  }

  async pending(limit: number): Promise<ingestV1.ImageDeleted[]> {
    const rows = this.db.prepare("SELECT data FROM deletion_outbox ORDER BY at LIMIT ?").all(limit) as { data: Buffer }[];
    return rows.map((r) => ingestV1.ImageDeleted.decode(r.data));
  }

  async remove(md5: string, atUnixMs: number): Promise<void> {
    this.db.prepare("DELETE FROM deletion_outbox WHERE md5 = ? AND at = ?").run(md5, atUnixMs);
  }
}

export class MongoDeletionOutbox implements DeletionOutbox {
  private readonly col: Collection<{ _id: string; at: number; data: Binary | Uint8Array }>;

  constructor(db: Db) {
    this.col = db.collection("deletion_outbox");
  }

  async add(event: ingestV1.ImageDeleted): Promise<void> {
    await this.col.replaceOne({ _id: event.md5 }, { at: event.atUnixMs, data: ingestV1.ImageDeleted.encode(event).finish() }, { upsert: true });
  }

  async pending(limit: number): Promise<ingestV1.ImageDeleted[]> {
    const docs = await this.col.find().sort({ at: 1 }).limit(limit).toArray();
    return docs.map((d) => ingestV1.ImageDeleted.decode(d.data instanceof Uint8Array ? d.data : d.data.buffer));
  }

  async remove(md5: string, atUnixMs: number): Promise<void> {
    await this.col.deleteOne({ _id: md5, at: atUnixMs });
  }
}

export function openDeletionOutbox(mongo: MongoHandle | undefined, sqlite: () => SqliteDb): DeletionOutbox {
  return mongo ? new MongoDeletionOutbox(mongo.db) : new SqliteDeletionOutbox(sqlite());
}

/**
 * Hands the outbox to the bus: at start, after each deletion and every `everyMs` (for what a
 * failed publish or a crash left). Every replica relays; dedup's handling is idempotent, so a
 * deletion relayed twice costs nothing.
 */
export class DeletionRelay {
  private readonly inFlight = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly outbox: DeletionOutbox,
    private readonly queue: WorkQueue,
    private readonly log: Logger,
    private readonly everyMs = 10_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.everyMs);
    this.timer.unref();
    this.kick();
  }

  /** Records a deletion durably, then relays it. */
  async add(event: ingestV1.ImageDeleted): Promise<void> {
    await this.outbox.add(event);
    this.kick();
  }

  kick(): void {
    this.relay().catch((err: unknown) => this.log.warn({ err }, "deletion outbox not read; trying again later"));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async relay(): Promise<void> {
    for (const event of await this.outbox.pending(100)) {
      const key = `${event.md5}@${event.atUnixMs}`;
      if (this.inFlight.has(key)) continue;
      this.inFlight.add(key);
      // Not awaited: in one process the publish resolves only when dedup acks, which may be much later.
      this.queue
        .publish(ingestV1.ImageDeleted.encode(event).finish())
        .then(() => this.outbox.remove(event.md5, event.atUnixMs))
        .catch((err: unknown) => this.log.warn({ err, md5: event.md5 }, "deletion not relayed yet; trying again later"))
        .finally(() => this.inFlight.delete(key));
    }
  }
}
