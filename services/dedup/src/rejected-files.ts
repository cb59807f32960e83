/**
 * The dedup side of a person's decision about a rejected file (Catalog.RetryRejection or
 * DeleteRejection): dedup owns rejected/, so it moves the file back to the inbox it came from or
 * removes it, with its `<name>.reason.json`. Idempotent: a repeat finds the file gone and does nothing.
 */
import { open, realpath, rm, utimes } from "node:fs/promises";
import path from "node:path";
import { ingestV1 } from "@booru/proto";
import { OutsideRootError, resolveInside, type Logger, type WorkHandler } from "@booru/runtime";
import { commandHandler } from "./commands.js";
import { isMissing, moveNoClobber } from "./files.js";

/** What became of the file: back in an inbox (which, and its path there), removed, already gone, or refused. */
export type RejectedOutcome = { retried: string; inbox: string } | "deleted" | "gone" | "outside-rejected";

export class RejectedFiles {
  constructor(
    /** `inboxes`: as configured; the first takes a file whose own inbox is not known (or no longer configured). */
    private readonly opts: { rejected: string; inboxes: string[] },
    private readonly log: Logger,
  ) {}

  async apply(action: ingestV1.RejectedFileAction): Promise<RejectedOutcome> {
    let file: string;
    try {
      file = await resolveInside(this.opts.rejected, action.storedPath);
    } catch (err) {
      if (isMissing(err)) return "gone";
      if (err instanceof OutsideRootError) return "outside-rejected";
      throw err;
    }
    const reason = `${file}.reason.json`;
    if (action.kind === ingestV1.RejectedFileActionKind.DELETE) {
      await rm(file, { force: true });
      await rm(reason, { force: true });
      return "deleted";
    }
    // Modified now, before it reaches the inbox: a new message id, so the bus does not drop the
    // watcher's publish as a repeat of the first one.
    const now = new Date();
    await utimes(file, now, now);
    const rel = safeRelative(action.sourcePath) ?? path.basename(action.storedPath);
    const inbox = await this.inboxOf(reason);
    const placed = await moveNoClobber(file, inbox, rel);
    await rm(reason, { force: true });
    return { retried: placed, inbox };
  }

  /**
   * The inbox the file was rejected from, as its reason file says (dedup wrote it there), when
   * that is one of the configured inboxes (either spelling: as configured or resolved); else the first.
   */
  private async inboxOf(reasonFile: string): Promise<string> {
    const said = await inboxInReason(reasonFile);
    if (said) {
      for (const inbox of this.opts.inboxes) {
        if (path.resolve(inbox) === said || (await realpath(inbox).catch(() => undefined)) === said) return inbox;
      }
    }
    return this.opts.inboxes[0]!;
  }

  /** The bus side: ack when done, a malformed message is dropped, anything else is retried with a growing delay. */
  handler(): WorkHandler {
    return commandHandler({
      what: "rejected-file action",
      log: this.log,
      decode: (data) => {
        const action = ingestV1.RejectedFileAction.decode(data);
        if (!action.rejectionId || !action.storedPath || ![ingestV1.RejectedFileActionKind.RETRY, ingestV1.RejectedFileActionKind.DELETE].includes(action.kind)) throw new Error("incomplete rejected-file action");
        return action;
      },
      apply: (action) => this.apply(action),
      name: (action) => ({ rejection: action.rejectionId }),
      report: (action, outcome) => {
        const line = { rejection: action.rejectionId, storedPath: action.storedPath, action: ingestV1.rejectedFileActionKindToJSON(action.kind), outcome };
        if (outcome === "outside-rejected") this.log.error(line, "rejected file's path is outside rejected/; left alone");
        else this.log.info(line, "rejected file handled");
      },
    });
  }
}

/** The `inbox` a reason file names (absolute), if it can be read: at most 64 KiB of JSON. */
async function inboxInReason(file: string): Promise<string | undefined> {
  try {
    const fh = await open(file, "r");
    try {
      const buf = Buffer.alloc(64 * 1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      const inbox = (JSON.parse(buf.subarray(0, bytesRead).toString("utf8")) as { inbox?: unknown }).inbox;
      return typeof inbox === "string" && path.isAbsolute(inbox) ? path.resolve(inbox) : undefined;
    } finally {
      await fh.close();
    }
  } catch {
    return undefined; // missing, cut or hand-edited: the first inbox
  }
}

/** A relative path that stays inside its root (no `..`, not absolute), or undefined. */
function safeRelative(p: string): string | undefined {
  const norm = path.posix.normalize(p.replace(/\\/g, "/"));
  if (!norm || norm === "." || norm.startsWith("../") || norm === ".." || path.posix.isAbsolute(norm)) return undefined;
  return norm;
}
