/**
 * The dedup side of a deleted image (DESIGN.md "One writer per store"): the catalog deleted its
 * record and sent ImageDeleted; dedup, the owner of the claims and the library folder,
 * tombstones the md5 and disposes of the library file as the reason says. Idempotent: a
 * redelivery finds the claim tombstoned and the file gone, and does nothing more.
 */
import { rm, unlink } from "node:fs/promises";
import path from "node:path";
import { ingestV1 } from "@booru/proto";
import { OutsideRootError, resolveInside, type Logger, type WorkHandler } from "@booru/runtime";
import type { ClaimsStore } from "./claims/index.js";
import { commandHandler } from "./commands.js";
import { isMissing, moveNoClobber } from "./files.js";
import type { DuplicatesPolicy } from "./ingest.js";

export interface DeletionOptions {
  library: string;
  duplicates: string;
  duplicatesPolicy: DuplicatesPolicy;
}

/** What became of the library file. */
export type Disposal = "removed" | "moved" | "kept" | "gone" | "outside-library";

export class Deletions {
  constructor(
    private readonly opts: DeletionOptions,
    private readonly claims: ClaimsStore,
    private readonly log: Logger,
  ) {}

  /** Tombstone first, so the bytes cannot come back while the file is disposed of. */
  async apply(ev: ingestV1.ImageDeleted): Promise<Disposal> {
    await this.claims.tombstone(ev.md5, ev.sha256 || undefined);
    let file: string;
    try {
      file = await resolveInside(this.opts.library, ev.libraryPath);
    } catch (err) {
      if (isMissing(err)) return "gone";
      if (err instanceof OutsideRootError) return "outside-library";
      throw err;
    }
    if (ev.reason !== ingestV1.DeletionReason.NEAR_DUPLICATE) {
      await rm(file, { force: true });
      return "removed";
    }
    // A near-duplicate dropped in favour of keeper_md5: the duplicates policy, as for a copy in the inbox.
    if (this.opts.duplicatesPolicy === "keep") return "kept";
    if (this.opts.duplicatesPolicy === "delete") {
      await unlink(file).catch((err) => (isMissing(err) ? undefined : Promise.reject(err)));
      return "removed";
    }
    try {
      await moveNoClobber(file, this.opts.duplicates, path.basename(file));
    } catch (err) {
      if (isMissing(err)) return "gone";
      throw err;
    }
    return "moved";
  }

  /** The bus side: ack when done, a malformed message is dropped, anything else is retried with a growing delay. */
  handler(): WorkHandler {
    return commandHandler({
      what: "deletion",
      log: this.log,
      decode: (data) => {
        const ev = ingestV1.ImageDeleted.decode(data);
        if (!/^[0-9a-f]{32}$/.test(ev.md5)) throw new Error(`not an md5: ${JSON.stringify(ev.md5.slice(0, 64))}`);
        return ev;
      },
      apply: (ev) => this.apply(ev),
      name: (ev) => ({ md5: ev.md5 }),
      report: (ev, disposal) => {
        const line = { md5: ev.md5, libraryPath: ev.libraryPath, reason: ingestV1.deletionReasonToJSON(ev.reason), keeper: ev.keeperMd5 || undefined, file: disposal };
        if (disposal === "outside-library") this.log.error(line, "deleted image's library path is outside the library; file left alone");
        else this.log.info(line, "deleted image tombstoned");
      },
    });
  }
}
