import type { SqliteDb } from "@booru/runtime";
import type { AdoptedImage, Claim, ClaimResult, ClaimState, ClaimsStore } from "./types.js";

interface Row {
  md5: string;
  sha256: string;
  state: ClaimState;
  owner: string;
  lease_until: number;
  source: string;
  entry: string | null;
  attempts: number;
  image_id: string | null;
  updated_at: number;
}

const toClaim = (r: Row): Claim => ({
  md5: r.md5,
  sha256: r.sha256,
  state: r.state,
  owner: r.owner,
  leaseUntil: r.lease_until,
  source: r.source,
  ...(r.entry ? { entry: r.entry } : {}),
  attempts: r.attempts,
  ...(r.image_id ? { libraryPath: r.image_id } : {}),
  updatedAt: r.updated_at,
});

/** Claims in the embedded SQLite file: the primary key is the lock, as `_id` is in MongoDB (column image_id holds the library path). */
export class SqliteClaimsStore implements ClaimsStore {
  constructor(private readonly db: SqliteDb) {
    db.exec(`CREATE TABLE IF NOT EXISTS claims (
      md5 TEXT PRIMARY KEY, sha256 TEXT NOT NULL, state TEXT NOT NULL, owner TEXT NOT NULL,
      lease_until INTEGER NOT NULL, source TEXT NOT NULL, attempts INTEGER NOT NULL,
      image_id TEXT, updated_at INTEGER NOT NULL, entry TEXT)`);
    // Files made before the entry column: add it (old claims have none).
    const columns = db.prepare("SELECT name FROM pragma_table_info('claims')").all() as { name: string }[];
    if (!columns.some((c) => c.name === "entry")) db.exec("ALTER TABLE claims ADD COLUMN entry TEXT");
  }

  async tryClaim(c: Omit<Claim, "state" | "attempts" | "updatedAt">): Promise<ClaimResult> {
    const claim: Claim = { ...c, state: "claimed", attempts: 1, updatedAt: Date.now() };
    const res = this.db
      .prepare(
        `INSERT INTO claims (md5, sha256, state, owner, lease_until, source, entry, attempts, image_id, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(md5) DO NOTHING`,
      )
      .run(claim.md5, claim.sha256, claim.state, claim.owner, claim.leaseUntil, claim.source, claim.entry ?? null, claim.attempts, claim.libraryPath ?? null, claim.updatedAt);
    if (res.changes === 1) return { won: true, claim };
    const existing = await this.get(c.md5);
    // Removed between insert and read (a readmit): try again.
    return existing ? { won: false, existing } : this.tryClaim(c);
  }

  async get(md5: string): Promise<Claim | undefined> {
    const row = this.db.prepare("SELECT * FROM claims WHERE md5 = ?").get(md5) as Row | undefined;
    return row && toClaim(row);
  }

  async heartbeat(md5: string, owner: string, leaseUntil: number): Promise<boolean> {
    return this.change("UPDATE claims SET lease_until = ?, updated_at = ? WHERE md5 = ? AND owner = ? AND state = 'claimed'", leaseUntil, Date.now(), md5, owner);
  }

  async takeover(md5: string, seenLeaseUntil: number, owner: string, leaseUntil: number, source: string, entry?: string): Promise<boolean> {
    if (seenLeaseUntil >= Date.now()) return false;
    return this.change(
      `UPDATE claims SET state = 'claimed', owner = ?, lease_until = ?, source = ?, entry = ?, attempts = attempts + 1, updated_at = ?
       WHERE md5 = ? AND state IN ('claimed', 'failed') AND lease_until = ?`,
      owner, leaseUntil, source, entry ?? null, Date.now(), md5, seenLeaseUntil,
    );
  }

  async resume(md5: string, owner: string, leaseUntil: number, source: string, entry?: string): Promise<boolean> {
    return this.change(
      "UPDATE claims SET lease_until = ?, source = ?, entry = ?, attempts = attempts + 1, updated_at = ? WHERE md5 = ? AND owner = ? AND state = 'claimed'",
      leaseUntil, source, entry ?? null, Date.now(), md5, owner,
    );
  }

  async markDone(md5: string, owner: string, libraryPath: string): Promise<boolean> {
    return this.change("UPDATE claims SET state = 'done', image_id = ?, updated_at = ? WHERE md5 = ? AND owner = ? AND state = 'claimed'", libraryPath, Date.now(), md5, owner);
  }

  async markFailed(md5: string, owner: string): Promise<boolean> {
    return this.change("UPDATE claims SET state = 'failed', lease_until = 0, updated_at = ? WHERE md5 = ? AND owner = ? AND state = 'claimed'", Date.now(), md5, owner);
  }

  async tombstone(md5: string, sha256?: string): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO claims (md5, sha256, state, owner, lease_until, source, attempts, image_id, updated_at)
         VALUES (?, ?, 'tombstoned', '', 0, '', 0, NULL, ?)
         ON CONFLICT(md5) DO UPDATE SET state = 'tombstoned', sha256 = COALESCE(?, sha256), lease_until = 0, updated_at = excluded.updated_at`,
      )
      .run(md5, sha256 ?? "", Date.now(), sha256 ?? null);
  }

  async readmit(md5: string): Promise<boolean> {
    return this.change("DELETE FROM claims WHERE md5 = ? AND state = 'tombstoned'", md5);
  }

  async adoptDone(images: AdoptedImage[]): Promise<number> {
    const insert = this.db.prepare(
      `INSERT INTO claims (md5, sha256, state, owner, lease_until, source, attempts, image_id, updated_at)
       VALUES (?, ?, 'done', 'import', 0, ?, 1, ?, ?) ON CONFLICT(md5) DO NOTHING`,
    );
    const now = Date.now();
    return this.db.transaction(() => images.filter((i) => insert.run(i.md5, i.sha256, i.source, i.libraryPath, now).changes === 1).length)();
  }

  private change(sql: string, ...args: unknown[]): boolean {
    return this.db.prepare(sql).run(...args).changes === 1;
  }
}
