import { isDuplicateKey } from "@booru/runtime";
import type { AnyBulkWriteOperation, Collection, Db } from "mongodb";
import { after } from "../repos/mongo.js";
import { MINUTE_MS, toPage, type Cursor } from "../repos/types.js";
import type { NearGroup, NearJob, NearRepo, Pair, SimilarPair } from "./types.js";

interface PairDoc {
  _id: string;
  a: string;
  b: string;
  distance: number;
}
interface DifferentDoc {
  _id: string;
  a: string;
  b: string;
  at: number;
}
interface GroupDoc {
  _id: string;
  members: string[];
  updated: number;
}
interface MemberDoc {
  _id: string;
  grp: string;
}
interface JobDoc {
  _id: string;
  at: number;
  done: boolean;
  record: NearJob;
}
/** The near-duplicates found in one minute: `_id` = the minute's start, as a string (FerretDB pushes down string ids, not numbers). */
interface FoundDoc {
  _id: string;
  md5s: string[];
}
interface LeaseDoc {
  _id: string;
  owner: string;
  until: number;
}

const toGroup = (d: GroupDoc): NearGroup => ({ id: d._id, members: d.members, updatedUnixMs: d.updated });
const CHUNK = 1000;
/** A day: the longest span GetActivity asks for. */
const MAX_MINUTES = 1440;

async function inChunks<T>(md5s: string[], fn: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < md5s.length; i += CHUNK) out.push(...(await fn(md5s.slice(i, i + CHUNK))));
  return out;
}

/** Only features FerretDB 1.24 has: no transactions; each write is idempotent, and the detector (the lease holder) is the only writer of pairs and groups. */
class MongoNear implements NearRepo {
  constructor(
    private readonly pairs: Collection<PairDoc>,
    private readonly different: Collection<DifferentDoc>,
    private readonly groups: Collection<GroupDoc>,
    private readonly members: Collection<MemberDoc>,
    private readonly jobs: Collection<JobDoc>,
    private readonly leases: Collection<LeaseDoc>,
    private readonly found: Collection<FoundDoc>,
  ) {}

  async enqueue(job: NearJob) {
    try {
      await this.jobs.insertOne({ _id: job.id, at: job.at, done: false, record: job });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  async nextJobs(limit: number) {
    return (await this.jobs.find({ done: false }).sort({ at: 1, _id: 1 }).limit(limit).toArray()).map((d) => d.record);
  }

  async finishJob(id: string, result?: Record<string, number>) {
    if (!result) await this.jobs.deleteOne({ _id: id });
    else await this.jobs.updateOne({ _id: id }, { $set: { done: true, "record.result": result } });
  }

  async jobState(id: string) {
    const doc = await this.jobs.findOne({ _id: id });
    return doc ? { done: doc.done, result: doc.record.result } : null;
  }

  async lease(owner: string, now: number, ttlMs: number) {
    const res = await this.leases.updateOne({ _id: "detector", $or: [{ owner }, { until: { $lt: now } }] }, { $set: { owner, until: now + ttlMs } });
    if (res.matchedCount === 1) return true;
    try {
      await this.leases.insertOne({ _id: "detector", owner, until: now + ttlMs });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async releaseLease(owner: string) {
    await this.leases.updateOne({ _id: "detector", owner }, { $set: { until: 0 } });
  }

  async putPairs(pairs: SimilarPair[]) {
    if (pairs.length === 0) return;
    const ops: AnyBulkWriteOperation<PairDoc>[] = pairs.map((p) => ({ replaceOne: { filter: { _id: `${p.a}:${p.b}` }, replacement: { a: p.a, b: p.b, distance: p.distance }, upsert: true } }));
    for (let i = 0; i < ops.length; i += CHUNK) await this.pairs.bulkWrite(ops.slice(i, i + CHUNK), { ordered: false });
  }

  async pairsOf(md5s: string[]) {
    const docs = await inChunks(md5s, (c) => this.pairs.find({ $or: [{ a: { $in: c } }, { b: { $in: c } }] }).toArray());
    const seen = new Map(docs.map((d) => [d._id, { a: d.a, b: d.b, distance: d.distance }]));
    return [...seen.values()];
  }

  async deletePairsOf(md5s: string[]) {
    await inChunks(md5s, async (c) => {
      await this.pairs.deleteMany({ $or: [{ a: { $in: c } }, { b: { $in: c } }] });
      return [];
    });
  }

  async clearPairs() {
    await this.pairs.deleteMany({});
  }

  countPairs() {
    return this.pairs.countDocuments({});
  }

  /**
   * One document per minute, so the chart's hour is a lookup of 60 ids (FerretDB uses an index
   * for `_id` only). $addToSet keeps a job run twice from counting twice.
   */
  async recordFound(md5: string, at: number) {
    const add = () => this.found.updateOne({ _id: String(Math.floor(at / MINUTE_MS) * MINUTE_MS) }, { $addToSet: { md5s: md5 } }, { upsert: true });
    try {
      await add();
    } catch (err) {
      // A detector taking over the lease wrote the same new minute at once (FerretDB's upsert
      // is read-then-write): the document is there now, so this is an update.
      if (!isDuplicateKey(err)) throw err;
      await add();
    }
  }

  async foundPerMinute(from: number, to: number) {
    const minutes: string[] = [];
    for (let m = Math.ceil(from / MINUTE_MS) * MINUTE_MS; m < to && minutes.length < MAX_MINUTES; m += MINUTE_MS) minutes.push(String(m));
    const docs = await this.found.find({ _id: { $in: minutes } }).toArray();
    return new Map(docs.map((d) => [Number(d._id), d.md5s.length]));
  }

  async putDifferent(pairs: Pair[], at: number) {
    if (pairs.length === 0) return;
    await this.different.bulkWrite(
      pairs.map((p) => ({ updateOne: { filter: { _id: `${p.a}:${p.b}` }, update: { $setOnInsert: { a: p.a, b: p.b, at } }, upsert: true } })),
      { ordered: false },
    );
  }

  async differentAmong(md5s: string[]) {
    const docs = await inChunks(md5s, (c) => this.different.find({ $or: [{ a: { $in: c } }, { b: { $in: c } }] }).toArray());
    return new Set(docs.map((d) => d._id));
  }

  async getGroup(id: string) {
    const doc = await this.groups.findOne({ _id: id });
    return doc ? toGroup(doc) : undefined;
  }

  async groupsOf(md5s: string[]) {
    const links = await inChunks(md5s, (c) => this.members.find({ _id: { $in: c } }).toArray());
    const ids = [...new Set(links.map((l) => l.grp))];
    return (await inChunks(ids, (c) => this.groups.find({ _id: { $in: c } }).toArray())).map(toGroup);
  }

  /** Members first, then the group: a crash between leaves links the next regroup rewrites. */
  async putGroup(group: NearGroup, previous?: NearGroup) {
    if (previous) await this.unlink(previous, group.members);
    await this.members.bulkWrite(
      group.members.map((md5) => ({ replaceOne: { filter: { _id: md5 }, replacement: { grp: group.id }, upsert: true } })),
      { ordered: false },
    );
    await this.groups.replaceOne({ _id: group.id }, { members: group.members, updated: group.updatedUnixMs }, { upsert: true });
  }

  async deleteGroup(group: NearGroup) {
    await this.unlink(group, []);
    await this.groups.deleteOne({ _id: group.id });
  }

  async listGroups(limit: number, cursor?: Cursor) {
    const docs = await this.groups.find(after("updated", cursor)).sort({ updated: -1, _id: -1 }).limit(limit + 1).toArray();
    return toPage(docs.map(toGroup), limit, (g) => ({ at: g.updatedUnixMs, key: g.id }));
  }

  async *allGroups() {
    for await (const doc of this.groups.find({}).batchSize(10_000)) yield toGroup(doc);
  }

  countGroups() {
    return this.groups.countDocuments({});
  }

  /** Removes the links of members that left the group and still point at it. */
  private async unlink(group: NearGroup, keep: string[]) {
    const gone = group.members.filter((m) => !keep.includes(m));
    if (gone.length > 0) await this.members.deleteMany({ _id: { $in: gone }, grp: group.id });
  }
}

export async function mongoNearRepo(db: Db): Promise<NearRepo> {
  const pairs = db.collection<PairDoc>("near_pairs");
  const different = db.collection<DifferentDoc>("near_different");
  const groups = db.collection<GroupDoc>("near_groups");
  const jobs = db.collection<JobDoc>("near_jobs");
  await Promise.all([pairs.createIndex({ a: 1 }), pairs.createIndex({ b: 1 }), different.createIndex({ a: 1 }), different.createIndex({ b: 1 }), groups.createIndex({ updated: -1, _id: -1 }), jobs.createIndex({ done: 1, at: 1, _id: 1 })]);
  return new MongoNear(pairs, different, groups, db.collection<MemberDoc>("near_members"), jobs, db.collection<LeaseDoc>("near_lease"), db.collection<FoundDoc>("near_found"));
}
