/**
 * Storage of near-duplicate detection: the similar pairs found, the pairs people declared
 * different (decisions, kept for good), the groups (connected components of the first minus the
 * second), the detector's job queue and its lease. SQLite and MongoDB adapters pass the same
 * contract (test/near-contract.ts).
 */
import type { Cursor, Page } from "../repos/types.js";

/** Two md5s, `a` < `b`. */
export interface Pair {
  a: string;
  b: string;
}

export interface SimilarPair extends Pair {
  /** phash64 distance (frame-signature distance for animations and videos). */
  distance: number;
}

export interface NearGroup {
  id: string;
  /** Sorted. */
  members: string[];
  updatedUnixMs: number;
}

/**
 * Work for the detector, done in queue order by the one replica holding the lease: `image` (a
 * new image: find its pairs), `regroup` (recompute the groups around these md5s after a
 * decision or a deletion), `rescan` (every pair again from the index).
 */
export interface NearJob {
  id: string;
  kind: "image" | "regroup" | "rescan";
  md5s: string[];
  at: number;
  /** A rescan's figures, set when done (the job is kept until read). */
  result?: Record<string, number>;
}

export interface NearRepo {
  /** Adds the job unless one with its id is queued. */
  enqueue(job: NearJob): Promise<void>;
  /** The oldest queued jobs not done. */
  nextJobs(limit: number): Promise<NearJob[]>;
  /** Removes a job, or keeps it marked done with its result (rescans, read by whoever asked). */
  finishJob(id: string, result?: Record<string, number>): Promise<void>;
  /** Undefined while queued; the result when done and kept; null when gone. */
  jobState(id: string): Promise<{ done: boolean; result?: Record<string, number> } | null>;

  /** Takes or renews the detector lease; false while another owner holds it unexpired. */
  lease(owner: string, now: number, ttlMs: number): Promise<boolean>;
  releaseLease(owner: string): Promise<void>;

  putPairs(pairs: SimilarPair[]): Promise<void>;
  /** Pairs with either side in md5s. */
  pairsOf(md5s: string[]): Promise<SimilarPair[]>;
  deletePairsOf(md5s: string[]): Promise<void>;
  clearPairs(): Promise<void>;
  countPairs(): Promise<number>;

  /**
   * Notes that a new image was found to look like an earlier one, in the minute of `at` (its
   * ingest time); again for the same md5 and minute changes nothing (a job run twice).
   */
  recordFound(md5: string, at: number): Promise<void>;
  /** Images found per minute in [from, to) (key: the minute's start); at most a day's minutes. */
  foundPerMinute(from: number, to: number): Promise<Map<number, number>>;

  putDifferent(pairs: Pair[], at: number): Promise<void>;
  /** Decided-different pairs with either side in md5s, as "a:b" keys. */
  differentAmong(md5s: string[]): Promise<Set<string>>;

  getGroup(id: string): Promise<NearGroup | undefined>;
  /** Groups holding any of md5s. */
  groupsOf(md5s: string[]): Promise<NearGroup[]>;
  /** Replaces the group and its member index. */
  putGroup(group: NearGroup, previous?: NearGroup): Promise<void>;
  deleteGroup(group: NearGroup): Promise<void>;
  /** Most recently changed first. */
  listGroups(limit: number, after?: Cursor): Promise<Page<NearGroup>>;
  allGroups(): AsyncIterable<NearGroup>;
  countGroups(): Promise<number>;
}

export const pairKey = (a: string, b: string) => (a < b ? `${a}:${b}` : `${b}:${a}`);
export const pairOf = (x: string, y: string): Pair => (x < y ? { a: x, b: y } : { a: y, b: x });
