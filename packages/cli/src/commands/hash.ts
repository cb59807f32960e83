import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { status } from "@grpc/grpc-js";
import { parseFlags, Reason, reasonName, reasonOf } from "@booru/runtime";
import type { hasherV1 } from "@booru/proto";
import { callHash, createHasherClient, hashLocalFile } from "@booru/hasher";
import { CliError, EXIT } from "../exit.js";

export const summary = "hash image files (locally, or --server ADDR): FILE... [--json] [--server ADDR] [--timeout 60s]";

const USAGE = "usage: booru hash FILE... [--json] [--server ADDR]";

interface Row {
  file: string;
  md5?: string;
  sha256?: string;
  phash64?: string;
  phash256?: string;
  dhash64?: string;
  ahash64?: string;
  blockhash256?: string;
  colorhash42?: string;
  width?: number;
  height?: number;
  format?: string;
  error?: string;
  message?: string;
}

export async function run(args: string[]): Promise<number> {
  const { files, json, server, timeoutMs } = parseArgs(args);
  const hashOne = server ? remoteHasher(server, timeoutMs) : (file: string) => hashLocalFile(file);
  const rows: Row[] = [];
  for (const file of files) {
    const row = await hashOne(file).then(
      (res) => toRow(file, res),
      (err) => failedRow(file, err, Boolean(server)),
    );
    rows.push(row);
    if (!json) printHuman(row);
  }
  if (json) process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
  return rows.some((r) => r.error) ? EXIT.FAILURE : EXIT.OK;
}

function parseArgs(args: string[]): { files: string[]; json: boolean; server?: string; timeoutMs: number } {
  if (args.includes("--help")) throw new CliError(USAGE, EXIT.OK);
  const files = args.filter((a, i) => !a.startsWith("--") && !["--server", "--timeout"].includes(args[i - 1] ?? ""));
  const flags = parseFlags(args.filter((a) => !files.includes(a)));
  for (const f of flags.keys()) if (!["--json", "--server", "--timeout"].includes(f)) throw new CliError(`unknown flag ${f}\n${USAGE}`, EXIT.USAGE);
  if (files.length === 0) throw new CliError(USAGE, EXIT.USAGE);
  const server = flags.get("--server");
  if (server === "true") throw new CliError("--server needs an address, e.g. --server 127.0.0.1:50051", EXIT.USAGE);
  const timeout = flags.get("--timeout") ?? "60s";
  const m = /^(\d+)(ms|s)?$/.exec(timeout);
  if (!m) throw new CliError(`invalid --timeout ${timeout}: expected e.g. 30s or 500ms`, EXIT.USAGE);
  return { files, json: flags.has("--json"), server, timeoutMs: Number(m[1]) * (m[2] === "ms" ? 1 : 1000) };
}

function remoteHasher(target: string, timeoutMs: number) {
  const client = createHasherClient(target);
  return async (file: string) => {
    const { size } = await stat(file);
    const chunks = createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>;
    return callHash(client, chunks, { fileName: file, size, thumbnail: { skip: true, maxSide: 0, format: 0, quality: 0 } }, timeoutMs);
  };
}

function toRow(file: string, res: hasherV1.HashResponse): Row {
  const h = res.hashes!;
  const i = res.info!;
  return {
    file,
    md5: h.md5,
    sha256: h.sha256,
    phash64: h.phash64,
    phash256: h.phash256,
    dhash64: h.dhash64,
    ahash64: h.ahash64,
    blockhash256: h.blockhash256,
    colorhash42: h.colorhash42,
    width: i.width,
    height: i.height,
    format: i.format,
  };
}

function failedRow(file: string, err: unknown, remote: boolean): Row {
  const e = err as { code?: unknown; details?: string; message?: string };
  const reason = reasonOf(err);
  if (reason) return { file, error: reasonName(reason), message: e.details ?? e.message };
  if (e.code === "ENOENT") return { file, error: "not-found", message: `no such file: ${file}` };
  if (e.code === "EISDIR" || e.code === "EACCES") return { file, error: reasonName(Reason.UNREADABLE), message: e.message };
  if (remote && e.code === status.UNAVAILABLE) throw new CliError(`hasher unavailable: ${e.details ?? e.message}`, EXIT.UNAVAILABLE);
  if (e.code === status.DEADLINE_EXCEEDED) return { file, error: "timeout", message: e.details ?? e.message };
  return { file, error: "error", message: e.details ?? e.message ?? String(err) };
}

function printHuman(r: Row): void {
  if (r.error) {
    process.stderr.write(`${r.file}: ${r.error}: ${r.message ?? ""}\n`);
    return;
  }
  const lines = [
    `${r.file}  ${r.width}x${r.height} ${r.format}`,
    `  md5          ${r.md5}`,
    `  sha256       ${r.sha256}`,
    `  phash64      ${r.phash64}    dhash64 ${r.dhash64}    ahash64 ${r.ahash64}`,
    `  phash256     ${r.phash256}`,
    `  blockhash256 ${r.blockhash256}`,
    `  colorhash42  ${r.colorhash42}`,
  ];
  process.stdout.write(lines.join("\n") + "\n");
}
