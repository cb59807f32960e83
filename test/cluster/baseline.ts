/**
 * The baseline for the in-cluster throughput figure: the same files through `booru up` (one
 * process, in-process bus, SQLite) on the same machine, timed the same way.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startBooru } from "../harness/booru.js";
import { waitFor } from "../harness/files.js";
import { books, dropInto, settled, type Drop } from "./files.js";

export async function baselineUp(files: Drop[]): Promise<{ files: number; seconds: number }> {
  const data = mkdtempSync(path.join(os.tmpdir(), "booru-cluster-baseline-"));
  const inbox = path.join(data, "inbox");
  const app = await startBooru("up", ["--data", data], {});
  try {
    const started = Date.now();
    dropInto(inbox, files);
    await waitFor("booru up settled", async () => {
      const b = books(inbox, data);
      return settled(b) >= files.length && b.inbox.length === 0;
    }, 15 * 60_000, 500);
    return { files: files.length, seconds: (Date.now() - started) / 1000 };
  } finally {
    app.kill("SIGTERM");
    await app.exited;
    rmSync(data, { recursive: true, force: true });
  }
}
