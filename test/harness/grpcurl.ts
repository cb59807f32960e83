/** grpcurl, the standard gRPC command-line client, built from the Go module proxy by scripts/build-grpcurl.sh. */
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { REPO } from "./booru.js";

/** The binary's path (built and cached on first use), or why there is none. */
export function findGrpcurl(): { bin?: string; problem?: string } {
  try {
    const bin = execFileSync("bash", [path.join(REPO, "scripts/build-grpcurl.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 900_000 }).trim();
    return { bin };
  } catch (err) {
    return { problem: `scripts/build-grpcurl.sh failed: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}` };
  }
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command line as a user types it (through bash), with `grpcurl` meaning the built binary. */
export function shell(bin: string, line: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<Result> {
  return new Promise((resolve) => {
    execFile("bash", ["-c", withBinary(bin, line)], { env: { ...process.env, ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts a long-running command line (a stream); the caller reads its output and stops it. */
export function shellBackground(bin: string, line: string, env: NodeJS.ProcessEnv = {}): { proc: ChildProcess; output(): string } {
  const proc = spawn("bash", ["-c", `exec ${withBinary(bin, line)}`], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (b) => (out += b));
  proc.stderr!.on("data", (b) => (out += b));
  return { proc, output: () => out };
}

const withBinary = (bin: string, line: string) => line.replace(/^grpcurl\b/, `'${bin}'`);
