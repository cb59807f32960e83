import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { processesMentioning } from "../../../../test/harness/media.js";
import { startTimeOf, TempSpace } from "./temp.js";

const root = mkdtempSync(path.join(tmpdir(), "hasher-temp-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A process that has exited: its pid is not running any more. */
async function deadPid(): Promise<number> {
  const p = spawn("true");
  await new Promise((r) => p.once("exit", r));
  return p.pid!;
}

describe("TempSpace", () => {
  it.skipIf(process.platform !== "linux")("at start removes the folders of dead hashers and kills what still reads them; live ones are left alone", async () => {
    const base = path.join(root, "booru-hasher");
    mkdirSync(base, { recursive: true });
    const dead = path.join(base, `${await deadPid()}-12345`);
    mkdirSync(dead);
    writeFileSync(path.join(dead, "leftover"), "x");
    // An orphan still reading the dead hasher's file (as an ffmpeg would be).
    const orphan = spawn("tail", ["-f", path.join(dead, "leftover")], { stdio: "ignore" });
    const live = spawn("sleep", ["60"], { stdio: "ignore" });
    const liveDir = path.join(base, `${live.pid}-${startTimeOf(live.pid!)}`);
    // Same pid, another start time: a reused pid does not pass for the dead owner.
    const reused = path.join(base, `${live.pid}-1`);
    const foreign = path.join(base, "not-ours");
    for (const d of [liveDir, reused, foreign]) mkdirSync(d);
    try {
      const { space, removed } = await TempSpace.open(root);
      expect(removed.sort()).toEqual([dead, reused].sort());
      expect(existsSync(dead)).toBe(false);
      expect(existsSync(liveDir) && existsSync(foreign)).toBe(true);
      await expect.poll(() => orphan.exitCode !== null || orphan.signalCode !== null, { timeout: 5_000 }).toBe(true);
      expect(orphan.signalCode).toBe("SIGKILL");
      expect(live.exitCode).toBeNull();
      expect(path.basename(space.dir)).toBe(`${process.pid}-${startTimeOf(process.pid)}`);
      const p = await space.write(Buffer.from("bytes"));
      expect(path.dirname(p)).toBe(space.dir);
      await space.remove(p);
      expect(await space.files()).toEqual([]);
      expect(processesMentioning(dead)).toEqual([]);
    } finally {
      live.kill("SIGKILL");
      orphan.kill("SIGKILL");
    }
  });
});
