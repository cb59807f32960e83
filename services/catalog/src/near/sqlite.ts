import { inBatches, type SqliteDb } from "@booru/runtime";
import { MINUTE_MS, toPage, type Cursor } from "../repos/types.js";
import type { NearGroup, NearJob, NearRepo, Pair, SimilarPair } from "./types.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS catalog_near_pairs (a TEXT NOT NULL, b TEXT NOT NULL, distance INTEGER NOT NULL, PRIMARY KEY (a, b));
CREATE INDEX IF NOT EXISTS catalog_near_pairs_b ON catalog_near_pairs (b);
CREATE TABLE IF NOT EXISTS catalog_near_different (a TEXT NOT NULL, b TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (a, b));
CREATE INDEX IF NOT EXISTS catalog_near_different_b ON catalog_near_different (b);
CREATE TABLE IF NOT EXISTS catalog_near_groups (id TEXT PRIMARY KEY, members TEXT NOT NULL, updated INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS catalog_near_groups_newest ON catalog_near_groups (updated DESC, id DESC);
CREATE TABLE IF NOT EXISTS catalog_near_members (md5 TEXT PRIMARY KEY, grp TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS catalog_near_jobs (id TEXT PRIMARY KEY, at INTEGER NOT NULL, record TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS catalog_near_jobs_queue ON catalog_near_jobs (done, at, id);
CREATE TABLE IF NOT EXISTS catalog_near_found (md5 TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (at, md5));
CREATE TABLE IF NOT EXISTS catalog_near_lease (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, until INTEGER NOT NULL);
`;

/** Runs `fn` over md5s in chunks: SQLite bounds the parameters of one statement. */
function chunked<T>(md5s: string[], fn: (chunk: string[], marks: string) => T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < md5s.length; i += 400) {
    const chunk = md5s.slice(i, i + 400);
    out.push(...fn(chunk, chunk.map(() => "?").join(",")));
  }
  return out;
}

interface GroupRow {
  id: string;
  members: string;
  updated: number;
}
const toGroup = (r: GroupRow): NearGroup => ({ id: r.id, members: JSON.parse(r.members) as string[], updatedUnixMs: r.updated });

class SqliteNear implements NearRepo {
  constructor(private readonly db: SqliteDb) {}

  async enqueue(job: NearJob) {
    this.db.prepare("INSERT OR IGNORE INTO catalog_near_jobs (id, at, record) VALUES (?, ?, ?)").run(job.id, job.at, JSON.stringify(job));
  }

  async nextJobs(limit: number) {
    const rows = this.db.prepare("SELECT record FROM catalog_near_jobs WHERE done = 0 ORDER BY at, id LIMIT ?").all(limit) as { record: string }[];
    return rows.map((r) => JSON.parse(r.record) as NearJob);
  }

  async finishJob(id: string, result?: Record<string, number>) {
    if (!result) this.db.prepare("DELETE FROM catalog_near_jobs WHERE id = ?").run(id);
    else {
      const row = this.db.prepare("SELECT record FROM catalog_near_jobs WHERE id = ?").get(id) as { record: string } | undefined;
      if (row) this.db.prepare("UPDATE catalog_near_jobs SET done = 1, record = ? WHERE id = ?").run(JSON.stringify({ ...JSON.parse(row.record), result }), id);
    }
  }

  async jobState(id: string) {
    const row = this.db.prepare("SELECT record, done FROM catalog_near_jobs WHERE id = ?").get(id) as { record: string; done: number } | undefined;
    if (!row) return null;
    return { done: row.done === 1, result: (JSON.parse(row.record) as NearJob).result };
  }

  async lease(owner: string, now: number, ttlMs: number) {
    this.db.prepare("INSERT OR IGNORE INTO catalog_near_lease (id, owner, until) VALUES (1, ?, ?)").run(owner, now + ttlMs);
    return this.db.prepare("UPDATE catalog_near_lease SET owner = ?, until = ? WHERE id = 1 AND (owner = ? OR until < ?)").run(owner, now + ttlMs, owner, now).changes === 1;
  }

  async releaseLease(owner: string) {
    this.db.prepare("UPDATE catalog_near_lease SET until = 0 WHERE id = 1 AND owner = ?").run(owner);
  }

  async putPairs(pairs: SimilarPair[]) {
    const put = this.db.prepare("INSERT OR REPLACE INTO catalog_near_pairs (a, b, distance) VALUES (?, ?, ?)");
    this.db.transaction(() => {
      for (const p of pairs) put.run(p.a, p.b, p.distance);
    })();
  }

  async pairsOf(md5s: string[]) {
    return chunked(md5s, (c, q) => this.db.prepare(`SELECT a, b, distance FROM catalog_near_pairs WHERE a IN (${q}) UNION SELECT a, b, distance FROM catalog_near_pairs WHERE b IN (${q})`).all(...c, ...c) as SimilarPair[]);
  }

  async deletePairsOf(md5s: string[]) {
    chunked(md5s, (c, q) => {
      this.db.prepare(`DELETE FROM catalog_near_pairs WHERE a IN (${q}) OR b IN (${q})`).run(...c, ...c);
      return [];
    });
  }

  async clearPairs() {
    this.db.prepare("DELETE FROM catalog_near_pairs").run();
  }

  async countPairs() {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM catalog_near_pairs").get() as { n: number }).n;
  }

  async recordFound(md5: string, at: number) {
    this.db.prepare("INSERT OR IGNORE INTO catalog_near_found (md5, at) VALUES (?, ?)").run(md5, Math.floor(at / MINUTE_MS) * MINUTE_MS);
  }

  async foundPerMinute(from: number, to: number) {
    const rows = this.db.prepare("SELECT at, COUNT(*) AS n FROM catalog_near_found WHERE at >= ? AND at < ? GROUP BY at").all(from, to) as { at: number; n: number }[];
    return new Map(rows.map((r) => [r.at, r.n]));
  }

  async putDifferent(pairs: Pair[], at: number) {
    const put = this.db.prepare("INSERT OR IGNORE INTO catalog_near_different (a, b, at) VALUES (?, ?, ?)");
    this.db.transaction(() => {
      for (const p of pairs) put.run(p.a, p.b, at);
    })();
  }

  async differentAmong(md5s: string[]) {
    const rows = chunked(md5s, (c, q) => this.db.prepare(`SELECT a, b FROM catalog_near_different WHERE a IN (${q}) UNION SELECT a, b FROM catalog_near_different WHERE b IN (${q})`).all(...c, ...c) as Pair[]);
    return new Set(rows.map((r) => `${r.a}:${r.b}`));
  }

  async getGroup(id: string) {
    const row = this.db.prepare("SELECT id, members, updated FROM catalog_near_groups WHERE id = ?").get(id) as GroupRow | undefined;
    return row ? toGroup(row) : undefined;
  }

  async groupsOf(md5s: string[]) {
    const ids = new Set(chunked(md5s, (c, q) => (this.db.prepare(`SELECT DISTINCT grp FROM catalog_near_members WHERE md5 IN (${q})`).all(...c) as { grp: string }[]).map((r) => r.grp)));
    return chunked([...ids], (c, q) => (this.db.prepare(`SELECT id, members, updated FROM catalog_near_groups WHERE id IN (${q})`).all(...c) as GroupRow[]).map(toGroup));
  }

  async putGroup(group: NearGroup, previous?: NearGroup) {
    this.db.transaction(() => {
      if (previous) this.unlink(previous);
      this.db.prepare("INSERT OR REPLACE INTO catalog_near_groups (id, members, updated) VALUES (?, ?, ?)").run(group.id, JSON.stringify(group.members), group.updatedUnixMs);
      const link = this.db.prepare("INSERT OR REPLACE INTO catalog_near_members (md5, grp) VALUES (?, ?)");
      for (const md5 of group.members) link.run(md5, group.id);
    })();
  }

  async deleteGroup(group: NearGroup) {
    this.db.transaction(() => {
      this.unlink(group);
      this.db.prepare("DELETE FROM catalog_near_groups WHERE id = ?").run(group.id);
    })();
  }

  async listGroups(limit: number, cursor?: Cursor) {
    const where = cursor ? "WHERE updated < ? OR (updated = ? AND id < ?)" : "";
    const params = cursor ? [cursor.at, cursor.at, cursor.key] : [];
    const rows = this.db.prepare(`SELECT id, members, updated FROM catalog_near_groups ${where} ORDER BY updated DESC, id DESC LIMIT ?`).all(...params, limit + 1) as GroupRow[];
    return toPage(rows.map(toGroup), limit, (g) => ({ at: g.updatedUnixMs, key: g.id }));
  }

  async *allGroups() {
    const page = this.db.prepare("SELECT id, members, updated FROM catalog_near_groups WHERE id > ? ORDER BY id LIMIT ?");
    for (const row of inBatches((after, size) => page.all(after, size) as GroupRow[], (r) => r.id)) yield toGroup(row);
  }

  async countGroups() {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM catalog_near_groups").get() as { n: number }).n;
  }

  /** Member rows that still point at this group (a member may have moved to another since). */
  private unlink(group: NearGroup) {
    const del = this.db.prepare("DELETE FROM catalog_near_members WHERE md5 = ? AND grp = ?");
    for (const md5 of group.members) del.run(md5, group.id);
  }
}

export function sqliteNearRepo(db: SqliteDb): NearRepo {
  db.exec(SCHEMA);
  return new SqliteNear(db);
}
