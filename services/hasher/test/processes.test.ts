/**
 * No process accumulation, with the real hasher as its own process (`booru run
 * --target=hasher`, compiled CLI: `npx tsc -b` first): a kill -9 in the middle of a video leaves
 * no ffmpeg running, and the next start removes the temp file the killed one was writing.
 */
import { createReadStream, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { callHash, createHasherClient } from "@booru/hasher";
import { ENCODE, ffmpeg, haveFfmpeg, processesMentioning } from "../../../test/harness/media.js";
import { freePort } from "../../../test/harness/index.js";
import { BooruProcess } from "../../../test/integration/pipeline-support.js";

const ok = haveFfmpeg();
const dir = mkdtempSync(path.join(tmpdir(), "hasher-procs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!ok)("hasher processes", () => {
  it("kill -9 of the hasher mid-video: its ffmpeg dies with it, and the next start removes its temp files", async () => {
    // Long enough to decode that the kill lands while ffmpeg runs: 60 s of 640x480, one keyframe.
    const video = path.join(dir, "long.mp4");
    await ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=640x480:r=25", "-t", "60", ...ENCODE.mp4!, "-g", "2000", video]);
    const temp = path.join(dir, "temp");
    const port = await freePort();
    const env = { BOORU_DATA: path.join(dir, "data"), BOORU_HASHER_TEMP_DIR: temp, BOORU_METRICS_LISTEN: "127.0.0.1:0", BOORU_WEB_LISTEN: "127.0.0.1:0", BOORU_LOG_LEVEL: "info", BOORU_HASHER_WORKERS: "1" };
    const hasher = new BooruProcess("hasher", env, port);
    await hasher.start();
    const client = createHasherClient(`127.0.0.1:${port}`);
    try {
      const call = callHash(client, createReadStream(video) as AsyncIterable<Buffer>, { fileName: "long.mp4", size: statSync(video).size }, 120_000).catch((e: Error) => e);
      await expect.poll(() => processesMentioning(temp).length, { timeout: 60_000, interval: 20 }).toBeGreaterThan(0);
      const [owned] = readdirSync(path.join(temp, "booru-hasher"));
      expect(readdirSync(path.join(temp, "booru-hasher", owned!))).toHaveLength(1);
      await hasher.kill9();
      // Dies with its parent at once (pdeathsig), not at its next write to the closed pipe (a
      // frame every 3.75 s here) nor at the deadline it would otherwise have had.
      await expect.poll(() => processesMentioning(temp), { timeout: 1_000, interval: 20 }).toEqual([]);
      expect(await call).toBeInstanceOf(Error);
      expect(existsSync(path.join(temp, "booru-hasher", owned!))).toBe(true);

      const again = new BooruProcess("hasher", env, port);
      await again.start();
      try {
        // The port opens before the modules have started: wait for the hasher's start.
        await expect.poll(() => again.log.includes("hasher ready"), { timeout: 30_000 }).toBe(true);
        expect(existsSync(path.join(temp, "booru-hasher", owned!))).toBe(false);
        expect(again.log).toContain("removed the temp folders of hasher processes that are gone");
      } finally {
        await again.stop();
      }
    } finally {
      client.close();
      await hasher.stop();
    }
  }, 240_000);
});
