/**
 * One file from event to outcome: validate the path, hash once, run the claim protocol
 * (DESIGN.md "The MD5 lock"), then hasher -> library -> catalog -> claim done -> inbox removal.
 * Every step after the claim is idempotent, so a redelivery after a crash finishes the work.
 */
import { createHash } from "node:crypto";
import { lstat, unlink } from "node:fs/promises";
import path from "node:path";
import { status } from "@grpc/grpc-js";
import { catalogV1, type hasherV1, type ingestV1 } from "@booru/proto";
import { OutsideRootError, Reason, isInside, reasonName, reasonOf, resolveInside, type FileClock, type Logger } from "@booru/runtime";
import type { Claim, ClaimsStore } from "./claims/index.js";
import { digestFile, fileChunks, fileIntoLibrary, isMissing, libraryExt, libraryRelPath, moveNoClobber, writeJsonDurably, type FileDigest } from "./files.js";
import type { CatalogPort, HasherPort, PutResult } from "./ports.js";
import type { DedupMetrics } from "./metrics.js";
import { formatDuration, type RetryWhy } from "./retry.js";

export type DuplicatesPolicy = "move" | "delete" | "keep";

export interface IngestOptions {
  inboxes: string[];
  library: string;
  duplicates: string;
  rejected: string;
  owner: string;
  leaseMs: number;
  duplicatesPolicy: DuplicatesPolicy;
  tombstonePolicy: "reject" | "readmit";
  maxDeliveries: number;
  /** Files up to this size are read into memory once and sent from there. */
  keepBytes: number;
  /** A file that ends early (or is empty) is waited for while modified within this long (BOORU_SETTLE_MAX). */
  settleMaxMs: number;
  /** The file servers' clocks: file times are compared with file times. */
  fileClock: FileClock;
}

/** One processing of one message. */
export interface Attempt {
  /** 1 for the first, counting every retry and requeued copy. */
  number: number;
  /** The bus's delivery count of this copy: past BOORU_MAX_DELIVERIES the process died on it each time. */
  delivery: number;
  /** When the first attempt started (this side's clock). */
  firstAt: number;
}

export type Outcome =
  | { kind: "ingested"; md5: string; finished?: boolean }
  | { kind: "duplicate"; md5: string; policy: DuplicatesPolicy }
  | { kind: "rejected"; reason: Reason; message: string; md5?: string }
  | { kind: "vanished"; md5?: string }
  /** The file changed after the event was published; a newer event follows. */
  | { kind: "stale" }
  /** Try again later (see retry.ts for how long, and when to stop). */
  | { kind: "retry"; why: RetryWhy; md5?: string; error?: unknown; deadline?: boolean };

interface Located {
  ev: ingestV1.FileDiscovered;
  inbox: string;
  rel: string;
  /** The entry in the inbox (a symlink stays a symlink): what is moved or removed. */
  entry: string;
  attempt: Attempt;
  /** mtime of the inbox entry when processing started (0 until read). */
  mtimeMs: number;
  /**
   * Identity of the inbox entry (inbox, path, inode, size, mtime, ctime), kept in the claim: a
   * redelivery finds the very file it filed, and anything else at that path is a new drop.
   */
  entryId: string;
  /** Stable id for catalog records of this event, so retries store them once. */
  eventId: string;
}

export class Ingestor {
  /** md5s this process holds claims on right now. */
  private readonly held = new Set<string>();

  constructor(
    private readonly opts: IngestOptions,
    private readonly claims: ClaimsStore,
    private readonly hasher: HasherPort,
    private readonly catalog: CatalogPort,
    private readonly metrics: DedupMetrics,
    private readonly log: Logger,
  ) {}

  async process(ev: ingestV1.FileDiscovered, attempt: Attempt, progress: () => void): Promise<Outcome> {
    const found = await this.locate(ev, attempt);
    if ("kind" in found) return found;
    const { at, real } = found;
    if (attempt.delivery > this.opts.maxDeliveries) {
      return this.reject(at, Reason.MAX_DELIVERIES, `delivered ${attempt.delivery} times without an answer (the process stopped or hung while handling it)`);
    }
    let digest: FileDigest;
    try {
      digest = await digestFile(real, this.opts.keepBytes);
    } catch (err) {
      if (isMissing(err)) return { kind: "vanished" };
      throw err;
    }
    // Often a file just created, its bytes still to come (a browser's placeholder, a slow copy).
    if (digest.size === 0) return this.whileWritten(at, Reason.CORRUPT, "empty file");
    return this.claim(at, real, digest, progress, true);
  }

  /** Gives a file up after its retries (gave-up, max-deliveries): to rejected/ with the reason and the last error. */
  async giveUp(ev: ingestV1.FileDiscovered, attempt: Attempt, reason: Reason, message: string): Promise<Outcome> {
    const found = await this.locate(ev, attempt);
    if ("kind" in found) return found;
    return this.reject(found.at, reason, message);
  }

  /** The event's file, resolved inside its inbox and unchanged since it settled; or why not. */
  private async locate(ev: ingestV1.FileDiscovered, attempt: Attempt): Promise<Outcome | { at: Located; real: string }> {
    const inbox = this.opts.inboxes.find((i) => i === path.resolve(ev.inbox || "/nonexistent"));
    const rel = ev.path.split("/").filter(Boolean).join(path.sep);
    const eventId = createHash("sha1").update(`${ev.inbox}\0${ev.path}\0${ev.size}\0${ev.mtimeUnixMs}\0${ev.ctimeUnixMs}`).digest("hex");
    const at: Located = { ev, inbox: inbox ?? ev.inbox, rel, entry: "", attempt, mtimeMs: 0, entryId: "", eventId };
    if (!inbox || !rel || !isInside(inbox, path.resolve(inbox, rel))) {
      // Not under a folder of ours: record it, touch nothing.
      return this.recordOnly(at, Reason.OUTSIDE_INBOX, `${ev.path} is not inside a configured inbox`);
    }
    at.entry = path.resolve(inbox, rel);
    let real: string;
    try {
      real = await resolveInside(inbox, rel);
    } catch (err) {
      if (isMissing(err)) return { kind: "vanished" };
      if (err instanceof OutsideRootError) return this.reject(at, Reason.OUTSIDE_INBOX, err.message);
      throw err;
    }
    const [st, entrySt] = await Promise.all([lstat(real), lstat(at.entry)]).catch((err) => (isMissing(err) ? [] : Promise.reject(err)));
    if (!st || !entrySt) return { kind: "vanished" };
    at.mtimeMs = entrySt.mtimeMs;
    at.entryId = createHash("sha1").update(`${inbox}\0${rel}\0${entrySt.ino}\0${entrySt.size}\0${entrySt.mtimeMs}\0${entrySt.ctimeMs}`).digest("hex");
    if (ev.size && (entrySt.size !== ev.size || Math.floor(entrySt.mtimeMs) !== ev.mtimeUnixMs)) {
      // Changed since it settled (still being written?): the watcher publishes it again once it settles.
      return { kind: "stale" };
    }
    if (!st.isFile()) return this.reject(at, Reason.UNSUPPORTED, "not a regular file");
    return { at, real };
  }

  /**
   * A file that ends early (or has no bytes yet) while it was modified within BOORU_SETTLE_MAX,
   * by the clock of the folder's own file server, and first seen less than that long ago: its
   * writer may only have paused, so it is waited for (a write that resumes makes this event
   * stale, and the watcher publishes the file again once it settles). Afterwards it is rejected.
   */
  private async whileWritten(at: Located, reason: Reason, message: string, md5?: string): Promise<Outcome> {
    const age = await this.opts.fileClock.age(at.inbox, at.mtimeMs);
    const waited = Date.now() - at.attempt.firstAt;
    if (Math.max(age, waited) < this.opts.settleMaxMs) return { kind: "retry", why: "truncated", md5 };
    return this.reject(at, reason, `${message}; unchanged for ${formatDuration(Math.max(age, waited))} (BOORU_SETTLE_MAX)`, md5);
  }

  private async claim(at: Located, real: string, d: FileDigest, progress: () => void, mayReadmit: boolean): Promise<Outcome> {
    const { md5, sha256 } = d;
    const res = await this.claims.tryClaim({ md5, sha256, owner: this.opts.owner, leaseUntil: Date.now() + this.opts.leaseMs, source: at.ev.path, entry: at.entryId });
    if (res.won) {
      this.metrics.claims.inc({ outcome: "won" });
      return this.run(at, real, d, progress);
    }
    const existing = res.existing;
    switch (existing.state) {
      case "done":
        if (existing.sha256 && existing.sha256 !== sha256) {
          this.metrics.claims.inc({ outcome: "collision" });
          return this.reject(at, Reason.MD5_COLLISION, `md5 ${md5} is already held by other bytes (sha256 ${existing.sha256})`, md5);
        }
        if (this.isRecordedFile(existing, at) && !this.held.has(md5)) {
          // The very file an earlier attempt filed and recorded, which stopped before removing
          // it: only the removal is left. Anything else at that path, whatever its times, is a
          // new drop of the same bytes, so a duplicate with its own record.
          await this.removeEntry(at.entry);
          return { kind: "ingested", md5, finished: true };
        }
        this.metrics.claims.inc({ outcome: "duplicate" });
        return this.disposeDuplicate(at, md5);
      case "tombstoned":
        this.metrics.claims.inc({ outcome: "tombstoned" });
        if (this.opts.tombstonePolicy === "readmit" && mayReadmit) {
          await this.claims.readmit(md5);
          return this.claim(at, real, d, progress, false);
        }
        return this.reject(at, Reason.DELETED, `md5 ${md5} was deleted from the catalog`, md5);
      default:
        return this.takeOverOrWait(at, real, d, existing, progress);
    }
  }

  /**
   * Whether this inbox file is the one the done claim's record was made from: by its identity,
   * or, when a copy finished the claim for another file's record (markDone with the record's
   * source, whose identity that copy could not know), by that record's source path.
   */
  private isRecordedFile(claim: Claim, at: Located): boolean {
    return claim.entry ? claim.entry === at.entryId : claim.source === at.ev.path;
  }

  private async takeOverOrWait(at: Located, real: string, d: FileDigest, existing: Claim, progress: () => void): Promise<Outcome> {
    const now = Date.now();
    if (this.held.has(d.md5)) {
      // This process is working on these bytes right now (another name, same content). Even if
      // the lease looks expired under load, taking over from ourselves would let two runs race
      // to finish and one copy would be removed instead of disposed of as a duplicate.
      this.metrics.claims.inc({ outcome: "in_flight_retry" });
      return { kind: "retry", why: "in-flight", md5: d.md5 };
    }
    // Our own claim that this process does not hold: left by an earlier run of this replica that crashed.
    if (existing.state === "claimed" && existing.owner === this.opts.owner) {
      if (await this.claims.resume(d.md5, this.opts.owner, now + this.opts.leaseMs, at.ev.path, at.entryId)) {
        this.metrics.claims.inc({ outcome: "takeover" });
        return this.run(at, real, d, progress);
      }
    }
    if (existing.state === "failed" || existing.leaseUntil < now) {
      if (await this.claims.takeover(d.md5, existing.leaseUntil, this.opts.owner, now + this.opts.leaseMs, at.ev.path, at.entryId)) {
        this.metrics.claims.inc({ outcome: "takeover" });
        return this.run(at, real, d, progress);
      }
    }
    // The same bytes are in flight elsewhere: never dispose of this copy while the original might still fail.
    this.metrics.claims.inc({ outcome: "in_flight_retry" });
    return { kind: "retry", why: "in-flight", md5: d.md5 };
  }

  /** Holds the claim (heartbeats) while the file goes through hasher, library and catalog. */
  private async run(at: Located, real: string, d: FileDigest, progress: () => void): Promise<Outcome> {
    const { md5 } = d;
    this.held.add(md5);
    let lost = false;
    const beat = setInterval(() => {
      progress();
      this.claims.heartbeat(md5, this.opts.owner, Date.now() + this.opts.leaseMs).then(
        (ok) => (lost ||= !ok),
        (err) => this.log.warn({ err, md5 }, "claim heartbeat failed"),
      );
    }, Math.max(50, Math.floor(this.opts.leaseMs / 3)));
    const release = () => this.claims.markFailed(md5, this.opts.owner).catch((err) => this.log.warn({ err, md5 }, "could not release claim"));
    try {
      const outcome = await this.hashAndFile(at, real, d);
      if (outcome.kind !== "filed") {
        await release();
        return outcome;
      }
      if (lost || !(await this.claims.markDone(md5, this.opts.owner, outcome.libraryPath, outcome.recordOf))) {
        // Another replica took the claim over; the next delivery sees its result.
        return { kind: "retry", why: "claim-lost", md5 };
      }
      // The record is another file's (an earlier run recorded it, then lost its claim before
      // marking it done): this copy is a duplicate of it, never removed as if it were filed.
      if (outcome.recordOf) return this.disposeDuplicate(at, md5);
      await this.removeEntry(at.entry);
      return { kind: "ingested", md5 };
    } catch (err) {
      await release();
      throw err;
    } finally {
      clearInterval(beat);
      this.held.delete(md5);
    }
  }

  /** `recordOf`: the source of the record already there, when it is another file's. */
  private async hashAndFile(at: Located, real: string, d: FileDigest): Promise<Outcome | { kind: "filed"; libraryPath: string; recordOf?: string }> {
    const name = path.basename(at.rel);
    let res: hasherV1.HashResponse;
    try {
      res = await this.hasher.hash(name, d.size, fileChunks(real, d.data));
    } catch (err) {
      const reason = reasonOf(err);
      const message = (err as { details?: string }).details ?? String(err);
      if (reason === Reason.TRUNCATED) return this.whileWritten(at, reason, message, d.md5);
      // Any other reason the hasher gives means "this file will never work": rejected, not retried.
      if (reason) return this.reject(at, reason, message, d.md5);
      if (isMissing(err)) return { kind: "vanished", md5: d.md5 };
      throw err;
    }
    if (res.hashes?.md5 !== d.md5) {
      // The file changed between the two reads (still being written): look again later.
      return { kind: "retry", why: "changed", md5: d.md5 };
    }
    const libraryPath = libraryRelPath(d.md5, libraryExt(res.info?.format ?? "", name));
    const created = await fileIntoLibrary(this.opts.library, libraryPath, real, d.data, d.size);
    const put = await this.putImage(d.md5, created ? path.join(this.opts.library, libraryPath) : undefined,
      catalogV1.PutImageRequest.fromPartial({
        image: {
          md5: d.md5,
          hashes: res.hashes,
          info: res.info,
          originalName: name,
          sourcePath: at.ev.path,
          libraryPath,
          ingestedUnixMs: Date.now(),
          thumbnailWidth: res.thumbnail?.width ?? 0,
          thumbnailHeight: res.thumbnail?.height ?? 0,
          thumbnailMime: res.thumbnail?.mime ?? "",
        },
        thumbnail: res.thumbnail?.data ?? Buffer.alloc(0),
      }),
    );
    return { kind: "filed", libraryPath, ...(!put.created && put.sourcePath !== at.ev.path ? { recordOf: put.sourcePath } : {}) };
  }

  /**
   * Records the image. When the catalog refused the record for sure (the token: dedup checks it
   * at start, but the catalog's tokens may change; or the request), the copy this attempt put
   * into the library goes again, so no library file is left without its record, also when the
   * file ends in rejected/. Not after a timeout or a cut connection: the record may exist then,
   * and the retry finishes the work. Nor when another replica took the claim over meanwhile.
   */
  private async putImage(md5: string, createdCopy: string | undefined, req: catalogV1.PutImageRequest): Promise<PutResult> {
    try {
      return await this.catalog.putImage(req);
    } catch (err) {
      const refused = [status.UNAUTHENTICATED, status.PERMISSION_DENIED, status.INVALID_ARGUMENT].includes((err as { code?: number }).code as status);
      if (createdCopy && refused && (await this.claims.heartbeat(md5, this.opts.owner, Date.now() + this.opts.leaseMs).catch(() => false))) {
        await unlink(createdCopy).catch(() => undefined);
      }
      throw err;
    }
  }

  private async disposeDuplicate(at: Located, md5: string): Promise<Outcome> {
    const policy = this.opts.duplicatesPolicy;
    const record = (disposition: catalogV1.Disposition, storedPath = "") =>
      this.catalog.recordDuplicate(catalogV1.Duplicate.fromPartial({ id: at.eventId, md5, sourcePath: at.ev.path, disposition, storedPath, atUnixMs: Date.now() }));
    try {
      if (policy === "move") {
        await moveNoClobber(at.entry, this.opts.duplicates, at.rel, { beforeRemove: (name) => record(catalogV1.Disposition.MOVED, name.split(path.sep).join("/")) });
      } else if (policy === "delete") {
        await record(catalogV1.Disposition.DELETED);
        await unlink(at.entry);
      } else {
        await record(catalogV1.Disposition.KEPT);
      }
    } catch (err) {
      if (isMissing(err)) return { kind: "vanished", md5 };
      throw err;
    }
    this.metrics.duplicates.inc({ policy });
    return { kind: "duplicate", md5, policy };
  }

  /** Moves the inbox entry to rejected/ with `<name>.reason.json` and records it. Never deletes. */
  private async reject(at: Located, reason: Reason, message: string, md5?: string): Promise<Outcome> {
    const time = new Date().toISOString();
    const name = reasonName(reason);
    try {
      await moveNoClobber(at.entry, this.opts.rejected, at.rel, {
        companion: ".reason.json",
        beforeRemove: async (stored) => {
          await writeJsonDurably(path.join(this.opts.rejected, stored + ".reason.json"), { reason: name, message, time, attempts: at.attempt.number, source: at.ev.path, inbox: at.inbox, ...(md5 ? { md5 } : {}) });
          await this.record(at, reason, message, stored.split(path.sep).join("/"), md5);
        },
      });
    } catch (err) {
      if (isMissing(err)) return { kind: "vanished", md5 };
      throw err;
    }
    this.metrics.rejected.inc({ reason: name });
    return { kind: "rejected", reason, message, md5 };
  }

  private async recordOnly(at: Located, reason: Reason, message: string): Promise<Outcome> {
    await this.record(at, reason, message, "");
    this.metrics.rejected.inc({ reason: reasonName(reason) });
    return { kind: "rejected", reason, message };
  }

  private record(at: Located, reason: Reason, message: string, storedPath: string, md5?: string): Promise<void> {
    return this.catalog.recordRejection(
      catalogV1.Rejection.fromPartial({ id: at.eventId, sourcePath: at.ev.path, reason: reasonName(reason), message, storedPath, atUnixMs: Date.now(), attempts: at.attempt.number, md5: md5 ?? "" }),
    );
  }

  private async removeEntry(entry: string): Promise<void> {
    await unlink(entry).catch((err) => (isMissing(err) ? undefined : Promise.reject(err)));
  }
}

