import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { haveFfmpeg, processesMentioning } from "../../../../test/harness/media.js";
import { Tools, ToolFailed } from "./tools.js";

const ok = haveFfmpeg();
/** ffmpeg decoding an endless test pattern: runs until killed. */
const endless = (marker: string) => ["-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-f", "lavfi", "-i", "testsrc2=s=320x240", "-metadata", `comment=${marker}`, "-f", "null", "-"];

describe.skipIf(!ok)("Tools: every ffmpeg run ends with its deadline", () => {
  it("kills a run at its deadline, process group and all, and returns only once it is reaped", async () => {
    const tools = new Tools(2);
    const marker = `deadline-${process.pid}-${Date.now()}`;
    const started = Date.now();
    const run = tools.run("ffmpeg", endless(marker), { signal: AbortSignal.timeout(700) });
    await expect.poll(() => processesMentioning(marker).length, { timeout: 5_000 }).toBeGreaterThan(0);
    await expect(run).rejects.toMatchObject({ name: "TimeoutError" });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(processesMentioning(marker)).toEqual([]);
    expect(tools.live.size).toBe(0);
  });

  it("runs at most `jobs` at once; a queued run whose deadline passes never starts", async () => {
    const tools = new Tools(1);
    const marker = `jobs-${process.pid}-${Date.now()}`;
    const first = new AbortController();
    const running = tools.run("ffmpeg", endless(`${marker}-a`), { signal: first.signal });
    await expect.poll(() => processesMentioning(`${marker}-a`).length, { timeout: 5_000 }).toBe(1);
    const queued = tools.run("ffmpeg", endless(`${marker}-b`), { signal: AbortSignal.timeout(300) });
    await expect(queued).rejects.toMatchObject({ name: "TimeoutError" });
    expect(processesMentioning(`${marker}-b`)).toEqual([]);
    first.abort(new Error("done"));
    await expect(running).rejects.toThrow("done");
    expect(processesMentioning(marker)).toEqual([]);
  });

  it("reports a failed run with ffmpeg's own last words", async () => {
    const tools = new Tools(1);
    const err = await tools.run("ffprobe", ["-hide_banner", "-loglevel", "error", "-i", "/nonexistent/file.mp4"], { signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolFailed);
    expect((err as ToolFailed).message).toMatch(/No such file or directory/);
  });

  it("starts ffmpeg under setpriv --pdeathsig on Linux, so it dies with the hasher", () => {
    if (process.platform !== "linux") return;
    expect(new Tools(1).find("setpriv")).toBeDefined();
    expect(spawnSync("setpriv", ["--pdeathsig", "KILL", "--", "true"]).status).toBe(0);
  });
});
