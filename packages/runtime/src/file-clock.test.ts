import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { recordingLogger } from "./bus/bus.contract.js";
import { FileClock } from "./file-clock.js";

describe("FileClock", () => {
  it("reads the folder's own clock from a probe it removes again", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "clock-"));
    const clock = new FileClock(recordingLogger().log);
    const now = await clock.now(dir);
    expect(Math.abs(now - Date.now())).toBeLessThan(2_500);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("falls back to this machine's clock, once warned, when the folder cannot be written", async () => {
    const { log, records } = recordingLogger();
    const clock = new FileClock(log, 0);
    const missing = path.join(tmpdir(), "no-such-folder-for-the-clock");
    expect(Math.abs((await clock.now(missing)) - Date.now())).toBeLessThan(50);
    await clock.now(missing);
    expect(records.filter((r) => r.level === 40)).toHaveLength(1);
  });
});
