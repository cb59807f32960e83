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
import { HASHER_REJECTIONS, OutsideRootError, isInside, reasonOf, resolveInside, type Logger, type RejectionReason } from "@booru/runtime";
import type { Claim, ClaimsStore } from "@booru/claims";
import { digestFile, fileChunks, fileIntoLibrary, isMissing, libraryExt, libraryRelPath, moveNoClobber, writeJsonDurably, type FileDigest } from "./files.js";
import type { CatalogPort, HasherPort } from "./ports.js";
import type { DedupMetrics } from "./metrics.js";

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
  inFlightRetryMs: number;
}

export type Outcome =
  | { kind: "ingested"; md5: string; finished?: boolean }
  | { kind: "duplicate"; md5: string; policy: DuplicatesPolicy }
  | { kind: "rejected"; reason: string; message: string; md5?: string }
  | { kind: "vanished"; md5?: string }
  /** The file changed after the event was published; a newer event follows. */
  | { kind: "stale" }
  /** Try again later. `counts`: the attempt counts toward max-deliveries (unexpected errors do; waiting does not). */
  | { kind: "retry"; why: string; delayMs: number; counts: boolean; md5?: string };


interface Located {
  ev: ingestV1.FileDiscovered;
  inbox: string;
  rel: string;
  /** The entry in the inbox (a symlink stays a symlink): what is moved or removed. */
  entry: string;
  attempts: number;
  /** mtime of the inbox entry when processing started (0 until read). */
  mtimeMs: number;
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

  async process(ev: ingestV1.FileDiscovered, attempts: number, progress: () => void): Promise<Outcome> {
    const found = await this.locate(ev, attempts);
    if ("kind" in found) return found;
    const { at, real } = found;
    if (attempts > this.opts.maxDeliveries) return this.reject(at, "max-deliveries", `gave up after ${attempts - 1} deliveries`);
    let digest: FileDigest;
    try {
      digest = await digestFile(real, this.opts.keepBytes);
    } catch (err) {
      if (isMissing(err)) return { kind: "vanished" };
      throw err;
    }
    if (digest.size === 0) return this.reject(at, "corrupt", "empty file");
    return this.claim(at, real, digest, progress, true);
  }

  /** The event's file, resolved inside its inbox and unchanged since it settled; or why not. */
  private async locate(ev: ingestV1.FileDiscovered, attempts: number): Promise<Outcome | { at: Located; real: string }> {
    const inbox = this.opts.inboxes.find((i) => i === path.resolve(ev.inbox || "/nonexistent"));
    const rel = ev.path.split("/").filter(Boolean).join(path.sep);
    const eventId = createHash("sha1").update(`${ev.inbox}\0${ev.path}\0${ev.size}\0${ev.mtimeUnixMs}`).digest("hex");
    const at: Located = { ev, inbox: inbox ?? ev.inbox, rel, entry: "", attempts, mtimeMs: 0, eventId };
    if (!inbox || !rel || !isInside(inbox, path.resolve(inbox, rel))) {
      // Not under a folder of ours: record it, touch nothing.
      return this.recordOnly(at, "outside-inbox", `${ev.path} is not inside a configured inbox`);
    }
    at.entry = path.resolve(inbox, rel);
    let real: string;
    try {
      real = await resolveInside(inbox, rel);
    } catch (err) {
      if (isMissing(err)) return { kind: "vanished" };
      if (err instanceof OutsideRootError) return this.reject(at, "outside-inbox", err.message);
      throw err;
    }
    const [st, entrySt] = await Promise.all([lstat(real), lstat(at.entry)]).catch((err) => (isMissing(err) ? [] : Promise.reject(err)));
    if (!st || !entrySt) return { kind: "vanished" };
    at.mtimeMs = entrySt.mtimeMs;
    if (ev.size && (entrySt.size !== ev.size || Math.floor(entrySt.mtimeMs) !== ev.mtimeUnixMs)) {
      // Changed since it settled (still being written?): the watcher publishes it again once it settles.
      return { kind: "stale" };
    }
    if (!st.isFile()) return this.reject(at, "unsupported", "not a regular file");
    return { at, real };
  }

  private async claim(at: Located, real: string, d: FileDigest, progress: () => void, mayReadmit: boolean): Promise<Outcome> {
    const { md5, sha256 } = d;
    const res = await this.claims.tryClaim({ md5, sha256, owner: this.opts.owner, leaseUntil: Date.now() + this.opts.leaseMs, source: at.ev.path });
    if (res.won) {
      this.metrics.claims.inc({ outcome: "won" });
      return this.run(at, real, d, progress);
    }
    const existing = res.existing;
    switch (existing.state) {
      case "done":
        if (existing.sha256 && existing.sha256 !== sha256) {
          this.metrics.claims.inc({ outcome: "collision" });
          return this.reject(at, "md5-collision", `md5 ${md5} is already held by other bytes (sha256 ${existing.sha256})`, md5);
        }
        if (existing.source === at.ev.path && at.mtimeMs <= existing.updatedAt && !this.held.has(md5)) {
          // An earlier attempt stopped after the claim was done (the file is older than the claim):
          // only the removal is left. The same bytes dropped again at that path later are a duplicate.
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
        return this.reject(at, "deleted", `md5 ${md5} was deleted from the catalog`, md5);
      default:
        return this.takeOverOrWait(at, real, d, existing, progress);
    }
  }

  private async takeOverOrWait(at: Located, real: string, d: FileDigest, existing: Claim, progress: () => void): Promise<Outcome> {
    const now = Date.now();
    if (this.held.has(d.md5)) {
      // This process is working on these bytes right now (another name, same content). Even if
      // the lease looks expired under load, taking over from ourselves would let two runs race
      // to finish and one copy would be removed instead of disposed of as a duplicate.
      this.metrics.claims.inc({ outcome: "in_flight_retry" });
      return { kind: "retry", why: "in-flight", delayMs: this.opts.inFlightRetryMs, counts: false, md5: d.md5 };
    }
    // Our own claim that this process does not hold: left by an earlier run of this replica that crashed.
    if (existing.state === "claimed" && existing.owner === this.opts.owner) {
      if (await this.claims.resume(d.md5, this.opts.owner, now + this.opts.leaseMs, at.ev.path)) {
        this.metrics.claims.inc({ outcome: "takeover" });
        return this.run(at, real, d, progress);
      }
    }
    if (existing.state === "failed" || existing.leaseUntil < now) {
      if (await this.claims.takeover(d.md5, existing.leaseUntil, this.opts.owner, now + this.opts.leaseMs, at.ev.path)) {
        this.metrics.claims.inc({ outcome: "takeover" });
        return this.run(at, real, d, progress);
      }
    }
    // The same bytes are in flight elsewhere: never dispose of this copy while the original might still fail.
    this.metrics.claims.inc({ outcome: "in_flight_retry" });
    const wait = Math.min(Math.max(existing.leaseUntil - now, 200), this.opts.inFlightRetryMs);
    return { kind: "retry", why: "in-flight", delayMs: wait, counts: false, md5: d.md5 };
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
      if (lost || !(await this.claims.markDone(md5, this.opts.owner, outcome.libraryPath))) {
        // Another replica took the claim over; the next delivery sees its result.
        return { kind: "retry", why: "claim-lost", delayMs: this.opts.inFlightRetryMs, counts: false, md5 };
      }
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

  private async hashAndFile(at: Located, real: string, d: FileDigest): Promise<Outcome | { kind: "filed"; libraryPath: string }> {
    const name = path.basename(at.rel);
    let res: hasherV1.HashResponse;
    try {
      res = await this.hasher.hash(name, d.size, fileChunks(real, d.data));
    } catch (err) {
      const reason = reasonOf(err);
      // Reason codes that mean "this file will never work": rejected, not retried.
      if (reason && HASHER_REJECTIONS.has(reason)) return this.reject(at, reason as RejectionReason, (err as { details?: string }).details ?? String(err), d.md5);
      if (isMissing(err)) return { kind: "vanished", md5: d.md5 };
      throw err;
    }
    if (res.hashes?.md5 !== d.md5) {
      // The file changed between the two reads (still being written): look again later.
      return { kind: "retry", why: "changed", delayMs: 2000, counts: true, md5: d.md5 };
    }
    const libraryPath = libraryRelPath(d.md5, libraryExt(res.info?.format ?? "", name));
    const created = await fileIntoLibrary(this.opts.library, libraryPath, real, d.data, d.size);
    await this.putImage(d.md5, created ? path.join(this.opts.library, libraryPath) : undefined, 
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
    return { kind: "filed", libraryPath };
  }

  /**
   * Records the image. When the catalog refused the record for sure (the token: dedup checks it
   * at start, but the catalog's tokens may change; or the request), the copy this attempt put
   * into the library goes again, so no library file is left without its record, also when the
   * file ends in rejected/. Not after a timeout or a cut connection: the record may exist then,
   * and the retry finishes the work. Nor when another replica took the claim over meanwhile.
   */
  private async putImage(md5: string, createdCopy: string | undefined, req: catalogV1.PutImageRequest): Promise<void> {
    try {
      await this.catalog.putImage(req);
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
  private async reject(at: Located, reason: RejectionReason, message: string, md5?: string): Promise<Outcome> {
    const time = new Date().toISOString();
    try {
      await moveNoClobber(at.entry, this.opts.rejected, at.rel, {
        companion: ".reason.json",
        beforeRemove: async (name) => {
          await writeJsonDurably(path.join(this.opts.rejected, name + ".reason.json"), { reason, message, time, attempts: at.attempts, source: at.ev.path, inbox: at.inbox, ...(md5 ? { md5 } : {}) });
          await this.record(at, reason, message, name.split(path.sep).join("/"), md5);
        },
      });
    } catch (err) {
      if (isMissing(err)) return { kind: "vanished", md5 };
      throw err;
    }
    this.metrics.rejected.inc({ reason });
    return { kind: "rejected", reason, message, md5 };
  }

  private async recordOnly(at: Located, reason: RejectionReason, message: string): Promise<Outcome> {
    await this.record(at, reason, message, "");
    this.metrics.rejected.inc({ reason });
    return { kind: "rejected", reason, message };
  }

  private record(at: Located, reason: RejectionReason, message: string, storedPath: string, md5?: string): Promise<void> {
    return this.catalog.recordRejection(
      catalogV1.Rejection.fromPartial({ id: at.eventId, sourcePath: at.ev.path, reason, message, storedPath, atUnixMs: Date.now(), attempts: at.attempts, md5: md5 ?? "" }),
    );
  }

  private async removeEntry(entry: string): Promise<void> {
    await unlink(entry).catch((err) => (isMissing(err) ? undefined : Promise.reject(err)));
  }
}

