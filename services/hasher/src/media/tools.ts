/**
 * The one place ffmpeg and ffprobe run. Every run:
 * - has the file's deadline: when it fires, the whole process group is killed (SIGKILL) and
 *   the run is awaited until the kernel has reaped it, so nothing outlives the call;
 * - dies with the hasher: on Linux it starts under `setpriv --pdeathsig KILL` (util-linux), so a
 *   `kill -9` of the hasher kills its ffmpeg too; a reaper at start (temp.ts) covers the
 *   instant between fork and prctl;
 * - reads a temp file of ours or stdin, never a name a user chose; never reads the terminal;
 * - is one of at most `jobs` at a time, so a burst of videos does not oversubscribe the CPU.
 */
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { status } from "@grpc/grpc-js";
import { AppError } from "@booru/runtime";

export type Tool = "ffmpeg" | "ffprobe";

/** What ffmpeg reads: a file of ours, or bytes written to its stdin. */
export type ToolInput = { path: string } | { bytes: Buffer };

export interface RunOptions {
  /** The file's deadline (or a test's abort). */
  signal: AbortSignal;
  /** Written to stdin, which is then closed. */
  stdin?: Buffer;
  /** Each chunk of stdout as it comes; otherwise stdout is collected and returned. */
  onStdout?: (chunk: Buffer) => void;
  /** Collected stdout beyond this fails the run (a bound on what a hostile file can make us hold). */
  maxStdout?: number;
}

/** A run that exited non-zero: the tool's last words, for the reason message. */
export class ToolFailed extends Error {
  constructor(
    readonly tool: Tool,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${tool} failed (${exitCode ?? "killed"}): ${lastLine(stderr)}`);
    this.name = "ToolFailed";
  }
}

const lastLine = (s: string) => s.trim().split("\n").filter(Boolean).at(-1)?.slice(0, 300) ?? "no output";

/** Where a program is on PATH, or undefined. */
function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

const STDERR_KEEP = 8 * 1024;

export class Tools {
  private readonly paths = new Map<string, string | undefined>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** pids of the runs in progress (tests look at them). */
  readonly live = new Set<number>();

  constructor(private readonly jobs: number) {}

  /** The absolute path of a tool, or undefined when it is not installed. */
  find(tool: Tool | "setpriv"): string | undefined {
    if (!this.paths.has(tool)) this.paths.set(tool, which(tool));
    return this.paths.get(tool);
  }

  /** Runs the tool to completion; resolves with stdout (empty when streamed to onStdout). */
  async run(tool: Tool, args: string[], opts: RunOptions): Promise<Buffer> {
    const exe = this.find(tool);
    if (!exe) throw new AppError(status.FAILED_PRECONDITION, `${tool} is not installed: videos, APNG, BMP and JPEG XL need ffmpeg and ffprobe (Debian package ffmpeg)`);
    await this.slot(opts.signal);
    try {
      return await this.spawnOnce(exe, tool, args, opts);
    } finally {
      this.release();
    }
  }

  private spawnOnce(exe: string, tool: Tool, args: string[], opts: RunOptions): Promise<Buffer> {
    opts.signal.throwIfAborted();
    const setpriv = process.platform === "linux" ? this.find("setpriv") : undefined;
    const [cmd, argv] = setpriv ? [setpriv, ["--pdeathsig", "KILL", "--", exe, ...args]] : [exe, args];
    // detached: its own process group, so the kill reaches anything it starts.
    const child = spawn(cmd, argv, { detached: true, stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, AV_LOG_FORCE_NOCOLOR: "1" } });
    const pid = child.pid;
    if (pid) this.live.add(pid);
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = "";
    let overflow = false;
    const kill = () => {
      if (pid && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    };
    opts.signal.addEventListener("abort", kill, { once: true });
    child.stdout.on("data", (chunk: Buffer) => {
      if (opts.onStdout) return opts.onStdout(chunk);
      outBytes += chunk.length;
      if (opts.maxStdout !== undefined && outBytes > opts.maxStdout) {
        overflow = true;
        kill();
      } else out.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-STDERR_KEEP)));
    // The tool may stop reading early (a bad header): its stdin closing is not our error.
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.stdin);
    return new Promise<Buffer>((resolve, reject) => {
      child.once("error", (err) => reject(err));
      // "close": exited and every pipe drained, so the process is reaped.
      child.once("close", (code) => {
        opts.signal.removeEventListener("abort", kill);
        if (pid) this.live.delete(pid);
        if (opts.signal.aborted) return reject(opts.signal.reason ?? new AppError(status.DEADLINE_EXCEEDED, `${tool} ran past the deadline`));
        if (overflow) return reject(new ToolFailed(tool, code, `more than ${opts.maxStdout} bytes of output`));
        if (code !== 0) return reject(new ToolFailed(tool, code, stderr));
        resolve(Buffer.concat(out));
      });
    });
  }

  private async slot(signal: AbortSignal): Promise<void> {
    if (this.running < this.jobs) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(go);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal.reason);
      };
      const go = () => {
        signal.removeEventListener("abort", onAbort);
        this.running++;
        resolve();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(go);
    });
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }
}

/** `-i` and the stdin bytes for an input. */
export function inputArgs(input: ToolInput, demuxer?: string): { args: string[]; stdin?: Buffer } {
  const format = demuxer ? ["-f", demuxer] : [];
  if ("path" in input) return { args: [...format, "-i", input.path] };
  return { args: [...format, "-i", "pipe:0"], stdin: input.bytes };
}
