import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { haveFfmpeg, processesMentioning } from "../../../../test/harness/media.js";
import { Tools, ToolFailed } from "./tools.js";

const ok = haveFfmpeg();
/** ffmpeg decoding an endless test pattern: runs until killed. */
const endless = (marker: string) => ["-hide_banner", "-loglevel", "error", "-nostats", "-nostdin", "-re", "-f", "lavfi", "-i", "testsrc2=s=320x240", "-metadata", `comment=${marker}`, "-f", "null", "-"];

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

  it.skipIf(process.platform !== "linux")("an ffmpeg that writes nothing still dies at once with a kill -9'd parent (pdeathsig)", async () => {
    expect(new Tools(1).find("setpriv")).toBeDefined();
    const marker = `orphan-${process.pid}-${Date.now()}`;
    // A parent process (the compiled Tools: run `npx tsc -b` first) running an endless ffmpeg with no output to fail on.
    const tools = fileURLToPath(new URL("../../dist/media/tools.js", import.meta.url));
    const script = `const { Tools } = await import(${JSON.stringify(tools)}); await new Tools(1).run("ffmpeg", ${JSON.stringify(endless(marker))}, { signal: new AbortController().signal });`;
    const parent = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "ignore" });
    try {
      await expect.poll(() => processesMentioning(marker).length, { timeout: 10_000 }).toBe(1);
      parent.kill("SIGKILL");
      await expect.poll(() => processesMentioning(marker), { timeout: 1_000, interval: 20 }).toEqual([]);
    } finally {
      parent.kill("SIGKILL");
      for (const pid of processesMentioning(marker)) process.kill(pid, "SIGKILL");
    }
  });
});
