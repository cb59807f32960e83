/**
 * The dedup side of a person's decision about a rejected file (Catalog.RetryRejection or
 * DeleteRejection): dedup owns rejected/, so it moves the file back to the inbox or removes it,
 * with its `<name>.reason.json`. Idempotent: a repeat finds the file gone and does nothing.
 */
import { rm, utimes } from "node:fs/promises";
import path from "node:path";
import { ingestV1 } from "@booru/proto";
import { OutsideRootError, resolveInside, type Logger, type WorkHandler } from "@booru/runtime";
import { commandHandler } from "./commands.js";
import { isMissing, moveNoClobber } from "./files.js";

/** What became of the file: back in the inbox (its path there), removed, already gone, or refused. */
export type RejectedOutcome = { retried: string } | "deleted" | "gone" | "outside-rejected";

export class RejectedFiles {
  constructor(
    private readonly opts: { rejected: string; inbox: string },
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
    const placed = await moveNoClobber(file, this.opts.inbox, rel);
    await rm(reason, { force: true });
    return { retried: placed };
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

/** A relative path that stays inside its root (no `..`, not absolute), or undefined. */
function safeRelative(p: string): string | undefined {
  const norm = path.posix.normalize(p.replace(/\\/g, "/"));
  if (!norm || norm === "." || norm.startsWith("../") || norm === ".." || path.posix.isAbsolute(norm)) return undefined;
  return norm;
}
