/** Runs the real `booru` binary (compiled dist/) as a subprocess, the way users and Kubernetes do. */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, waitForPort } from "./servers.js";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const BOORU_BIN = path.join(REPO, "packages/cli/bin/booru.js");

export interface BooruProcess {
  proc: ChildProcess;
  grpcPort: number;
  metricsPort: number;
  /** The web console's address (when the process runs the console). */
  webUrl: string;
  target: string;
  output(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Every `booru` this test process started. A failed test must not leave one running: it would
 * outlive the run with nobody reading its stdout (and block on its next log line).
 */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const p of live) p.kill("SIGKILL");
});

/**
 * Starts `booru <command> ...args` on free ports and waits until gRPC listens. `host` and
 * `port`: where gRPC listens (default 127.0.0.1 and a free port; 0.0.0.0 needs a tokens file).
 */
export async function startBooru(command: "run" | "up", args: string[], env: NodeJS.ProcessEnv, opts: { host?: string; port?: number } = {}): Promise<BooruProcess> {
  const grpcPort = opts.port ?? (await freePort());
  const metricsPort = await freePort();
  const webPort = await freePort();
  const proc = spawn(process.execPath, [BOORU_BIN, command, "--listen", `${opts.host ?? "127.0.0.1"}:${grpcPort}`, "--metrics-listen", `127.0.0.1:${metricsPort}`, "--web-listen", `127.0.0.1:${webPort}`, ...args], {
    env: { ...process.env, BOORU_LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout!.on("data", (b) => (out = (out + b).slice(-200_000)));
  proc.stderr!.on("data", (b) => (out = (out + b).slice(-200_000)));
  live.add(proc);
  const exited = new Promise<number | string>((resolve) =>
    proc.once("exit", (code, sig) => {
      live.delete(proc);
      resolve(code ?? sig ?? -1);
    }),
  );
  await waitForPort(grpcPort, 60_000, proc).catch((err) => {
    throw new Error(`${err.message}\n${out}`);
  });
  return { proc, grpcPort, metricsPort, webUrl: `http://127.0.0.1:${webPort}`, target: `127.0.0.1:${grpcPort}`, output: () => out, exited, kill: (s = "SIGTERM") => proc.kill(s) };
}

/** Runs `booru ...args` to completion; `as` runs it as another user (root may). */
export function runBooru(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000, as: { uid?: number; gid?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BOORU_BIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], ...as });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (b) => (stdout += b));
    proc.stderr.on("data", (b) => (stderr += b));
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`booru ${args.join(" ")} timed out\n${stdout}\n${stderr}`));
    }, timeoutMs);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
