import { insertManyOnce, isDuplicateKey } from "@booru/runtime";
import type { Collection, Db } from "mongodb";
import type { AdoptedImage, Claim, ClaimResult, ClaimsStore } from "./types.js";

/**
 * A claim as stored: the md5 is the `_id` (its uniqueness is the lock); the library path keeps
 * the field name it was first stored under (`imageId`), so existing claims read the same.
 */
type Doc = Omit<Claim, "md5" | "libraryPath"> & { _id: string; imageId?: string };

const toClaim = ({ _id, entry, imageId, ...rest }: Doc): Claim => ({ md5: _id, ...rest, ...(entry ? { entry } : {}), ...(imageId ? { libraryPath: imageId } : {}) });

/** A takeover marker older than this belongs to a run that crashed between its two steps. */
const STALE_TAKEOVER_MS = 24 * 3_600_000;

/**
 * Claims in MongoDB: `_id` = md5, and the duplicate-key error (11000) is the lock. Every change
 * is one conditional updateOne (no transactions), so it works on FerretDB too.
 */
export class MongoClaimsStore implements ClaimsStore {
  private readonly col: Collection<Doc>;
  private readonly takeovers: Collection<{ _id: string; owner: string; at: number }>;

  constructor(db: Db, collection = "claims") {
    this.col = db.collection<Doc>(collection);
    this.takeovers = db.collection(`${collection}_takeovers`);
  }

  async tryClaim(c: Omit<Claim, "state" | "attempts" | "updatedAt">): Promise<ClaimResult> {
    const claim: Claim = { ...c, state: "claimed", attempts: 1, updatedAt: Date.now() };
    const { md5, libraryPath, entry, ...rest } = claim;
    try {
      await this.col.insertOne({ _id: md5, ...rest, ...(libraryPath ? { imageId: libraryPath } : {}), ...(entry ? { entry } : {}) });
      return { won: true, claim };
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const existing = await this.get(md5);
    return existing ? { won: false, existing } : this.tryClaim(c);
  }

  async get(md5: string): Promise<Claim | undefined> {
    const doc = await this.col.findOne({ _id: md5 });
    return doc ? toClaim(doc) : undefined;
  }

  async heartbeat(md5: string, owner: string, leaseUntil: number): Promise<boolean> {
    return this.change({ _id: md5, owner, state: "claimed" }, { $set: { leaseUntil, updatedAt: Date.now() } });
  }

  /**
   * FerretDB runs a conditional updateOne as read-then-write, so two racing takeovers could
   * both match. The only atomic step every MongoDB-compatible server has is a unique `_id`
   * insert, so the right to take over one lease generation is itself an insert. The marker is
   * removed once the update is done: a racer inserting it again afterwards reads the new lease
   * and matches nothing. Markers a crash left behind are swept after a day.
   */
  async takeover(md5: string, seenLeaseUntil: number, owner: string, leaseUntil: number, source: string, entry = ""): Promise<boolean> {
    if (seenLeaseUntil >= Date.now()) return false;
    const current = await this.col.findOne({ _id: md5, state: { $in: ["claimed", "failed"] }, leaseUntil: seenLeaseUntil });
    if (!current) return false;
    const marker = `${md5}@${seenLeaseUntil}@${current.attempts}`;
    try {
      await this.takeovers.insertOne({ _id: marker, owner, at: Date.now() });
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
    try {
      return await this.change(
        { _id: md5, state: { $in: ["claimed", "failed"] }, leaseUntil: seenLeaseUntil },
        { $set: { state: "claimed", owner, leaseUntil, source, entry, updatedAt: Date.now() }, $inc: { attempts: 1 } },
      );
    } finally {
      await this.takeovers.deleteMany({ $or: [{ _id: marker }, { at: { $lt: Date.now() - STALE_TAKEOVER_MS } }] }).catch(() => undefined);
    }
  }

  async resume(md5: string, owner: string, leaseUntil: number, source: string, entry = ""): Promise<boolean> {
    return this.change({ _id: md5, owner, state: "claimed" }, { $set: { leaseUntil, source, entry, updatedAt: Date.now() }, $inc: { attempts: 1 } });
  }

  async markDone(md5: string, owner: string, libraryPath: string): Promise<boolean> {
    return this.change({ _id: md5, owner, state: "claimed" }, { $set: { state: "done", imageId: libraryPath, updatedAt: Date.now() } });
  }

  async markFailed(md5: string, owner: string): Promise<boolean> {
    return this.change({ _id: md5, owner, state: "claimed" }, { $set: { state: "failed", leaseUntil: 0, updatedAt: Date.now() } });
  }

  async tombstone(md5: string, sha256?: string): Promise<void> {
    await this.col.updateOne(
      { _id: md5 },
      {
        $set: { state: "tombstoned", leaseUntil: 0, updatedAt: Date.now(), ...(sha256 ? { sha256 } : {}) },
        $setOnInsert: { owner: "", source: "", attempts: 0, ...(sha256 ? {} : { sha256: "" }) },
      },
      { upsert: true },
    );
  }

  async readmit(md5: string): Promise<boolean> {
    const res = await this.col.deleteOne({ _id: md5, state: "tombstoned" });
    return res.deletedCount === 1;
  }

  async adoptDone(images: AdoptedImage[]): Promise<number> {
    // Only what is new: FerretDB answers a duplicate key slowly.
    const have = new Set((await this.col.find({ _id: { $in: images.map((i) => i.md5) } }, { projection: { _id: 1 } }).toArray()).map((d) => d._id));
    images = images.filter((i) => !have.has(i.md5));
    if (images.length === 0) return 0;
    const now = Date.now();
    const docs: Doc[] = images.map((i) => ({ _id: i.md5, sha256: i.sha256, state: "done", owner: "import", leaseUntil: 0, source: i.source, attempts: 1, imageId: i.libraryPath, updatedAt: now }));
    return (await insertManyOnce(this.col, docs)).length;
  }

  private async change(filter: object, update: object): Promise<boolean> {
    const res = await this.col.updateOne(filter as never, update as never);
    return res.matchedCount === 1;
  }
}
