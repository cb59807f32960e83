/**
 * The MD5 lock (DESIGN.md "The MD5 lock"): one claim per md5, `_id` uniqueness is the lock.
 * dedup is its only writer (a deleted image reaches it as an ImageDeleted message).
 */
export type ClaimState = "claimed" | "done" | "failed" | "tombstoned";

export interface Claim {
  md5: string;
  sha256: string;
  state: ClaimState;
  /** Replica id holding the lease. */
  owner: string;
  /** Unix ms; a claimed lease past this may be taken over. */
  leaseUntil: number;
  /** Source path (relative to its inbox) that won the claim. */
  source: string;
  /**
   * Identity of the inbox file that won the claim (dedup's fingerprint of inbox, path, inode,
   * size and file times). A redelivery that finds this very file only has its removal left;
   * absent on claims written before it existed.
   */
  entry?: string;
  attempts: number;
  /** Where the bytes were filed, relative to the library root, once done. */
  libraryPath?: string;
  updatedAt: number;
}

export interface AdoptedImage {
  md5: string;
  sha256: string;
  libraryPath: string;
  source: string;
}

export type ClaimResult = { won: true; claim: Claim } | { won: false; existing: Claim };

export interface ClaimsStore {
  /** Inserts a `claimed` claim; on a duplicate key returns the existing one. */
  tryClaim(claim: Omit<Claim, "state" | "attempts" | "updatedAt">): Promise<ClaimResult>;
  get(md5: string): Promise<Claim | undefined>;
  /** Extends the lease; false when this owner no longer holds it. */
  heartbeat(md5: string, owner: string, leaseUntil: number): Promise<boolean>;
  /**
   * Takes over an expired lease (or a failed claim), conditional on the leaseUntil that was
   * read, so of two replicas racing only one wins.
   */
  takeover(md5: string, seenLeaseUntil: number, owner: string, leaseUntil: number, source: string, entry?: string): Promise<boolean>;
  /**
   * Resumes a claim this owner left `claimed` when it crashed (owner ids are stable across a
   * restart), whatever its lease: no other replica can hold it.
   */
  resume(md5: string, owner: string, leaseUntil: number, source: string, entry?: string): Promise<boolean>;
  markDone(md5: string, owner: string, libraryPath: string): Promise<boolean>;
  /** Gives the claim up (leaseUntil 0), so the next copy of the bytes takes it over at once. */
  markFailed(md5: string, owner: string): Promise<boolean>;
  /** Marks the md5 deleted so the same bytes are not ingested again (any state). */
  tombstone(md5: string, sha256?: string): Promise<void>;
  /** Lifts a tombstone so the bytes may be ingested again (removes the claim). */
  readmit(md5: string): Promise<boolean>;
  /**
   * Records imported images (`booru import`) as `done` claims, so the same bytes arriving later
   * are duplicates; an md5 that already has a claim keeps it. Returns how many were added.
   */
  adoptDone(images: AdoptedImage[]): Promise<number>;
  close?(): Promise<void>;
}
