import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { status } from "@grpc/grpc-js";
import { bearer, parseDuration, Reason, reasonName, reasonOf } from "@booru/runtime/client";
import { hasherV1 } from "@booru/proto";
import { callHash, createHasherClient } from "@booru/hasher/client";
import { cliErrorOf, parseCommand, printHelp } from "../client.js";
import { printable, safeJson } from "../format.js";
import { CliError, EXIT } from "../exit.js";

export const summary = "every hash of local images, animations, videos and archives, computed here (no server needed) or by a hasher (--server)";
const usage = "booru hash FILE... [--json] [--server HOST:PORT] [--token TOKEN] [--timeout 10m]";
const help = [
  "  --json               one JSON array on stdout: per file its kind, hashes and facts, or error and message",
  "  --server HOST:PORT   send the files to this hasher instead of hashing them here",
  "  --token TOKEN        bearer token for --server, with the hash (or write) scope (env BOORU_TOKEN)",
  "  --timeout DURATION   per file with --server (default 10m: a long video takes minutes)",
  "",
  "Exit 0 when every file hashed, 1 when one did not (its row says why: corrupt, truncated,",
  "unsupported, too-large, too-long, archive-bomb, not-found, ...).",
].join("\n");

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
  /** Animations and videos: 16 phash64 values of frames at evenly spaced times. */
  frameSignature?: string;
  kind?: string;
  width?: number;
  height?: number;
  format?: string;
  frames?: number;
  durationMs?: number;
  frameRate?: number;
  codec?: string;
  hasAudio?: boolean;
  entries?: number;
  error?: string;
  message?: string;
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals: files, help: wantsHelp } = parseCommand(args, { timeout: { type: "string" } }, { min: 1, max: Infinity, usage });
  if (wantsHelp) return printHelp(usage, summary, help, "");
  const json = Boolean(values.json);
  const server = values.server as string | undefined;
  const timeoutMs = parseDuration((values.timeout as string | undefined) ?? "10m");
  if (timeoutMs === undefined || timeoutMs <= 0) throw new CliError(`--timeout must be a duration such as 30s or 500ms, got ${JSON.stringify(values.timeout)}`, EXIT.USAGE);
  const token = ((values.token as string | undefined) || process.env.BOORU_TOKEN || "").trim() || undefined;
  const hashOne = server ? remoteHasher(server, timeoutMs, token) : hashHere;
  const rows: Row[] = [];
  for (const file of files) {
    const row = await hashOne(file).then(
      (res) => toRow(file, res),
      (err) => failedRow(file, err, server),
    );
    rows.push(row);
    if (!json) printHuman(row);
  }
  if (json) process.stdout.write(safeJson(rows, 2) + "\n");
  return rows.some((r) => r.error) ? EXIT.FAILURE : EXIT.OK;
}

function remoteHasher(target: string, timeoutMs: number, token: string | undefined) {
  const client = createHasherClient(target, { caFile: process.env.BOORU_TLS_CA || undefined });
  return async (file: string) => {
    const { size } = await stat(file);
    const chunks = createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>;
    return callHash(client, chunks, { fileName: file, size, thumbnail: { skip: true, maxSide: 0, format: 0, quality: 0 } }, timeoutMs, bearer(token));
  };
}

/** image | animation | video | archive */
export function kindLabel(kind: hasherV1.MediaKind | undefined): string {
  return kind === undefined || kind === hasherV1.MediaKind.UNSPECIFIED ? "image" : hasherV1.mediaKindToJSON(kind).replace(/^MEDIA_KIND_/, "").toLowerCase();
}

function toRow(file: string, res: hasherV1.HashResponse): Row {
  const h = res.hashes!;
  const i = res.info!;
  const timed = i.kind === hasherV1.MediaKind.ANIMATION || i.kind === hasherV1.MediaKind.VIDEO;
  return {
    file,
    kind: kindLabel(i.kind),
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
    ...(timed && { frames: i.frames, durationMs: i.durationMs, frameRate: Math.round(i.frameRate * 1000) / 1000, frameSignature: h.frameSignature }),
    ...(i.kind === hasherV1.MediaKind.VIDEO && { codec: i.codec, hasAudio: i.hasAudio }),
    ...(i.entries > 0 && { entries: i.entries }),
  };
}

/** "12.5 s, 300 frames at 24 fps, h264, audio" for what has a duration; "" for the rest. */
export function timing(r: { frames?: number; durationMs?: number; frameRate?: number; codec?: string; hasAudio?: boolean; entries?: number }): string {
  const parts: string[] = [];
  if (r.durationMs) parts.push(`${(r.durationMs / 1000).toFixed(r.durationMs < 10_000 ? 2 : 1)} s`);
  if (r.frames && r.frames > 1) parts.push(`${r.frames} frames${r.frameRate ? ` at ${Math.round(r.frameRate * 100) / 100} fps` : ""}`);
  if (r.codec) parts.push(r.codec);
  if (r.hasAudio) parts.push("audio");
  if (r.entries) parts.push(`${r.entries} entries`);
  return parts.join(", ");
}

/** What went wrong with one file; a problem with the server itself (unreachable, token) stops the run. */
function failedRow(file: string, err: unknown, server: string | undefined): Row {
  const e = err as { code?: unknown; details?: string; message?: string };
  const reason = reasonOf(err);
  if (reason) return { file, error: reasonName(reason), message: e.details ?? e.message };
  if (e.code === "ENOENT") return { file, error: "not-found", message: `no such file: ${file}` };
  if (e.code === "EISDIR" || e.code === "EACCES") return { file, error: reasonName(Reason.UNREADABLE), message: e.message };
  if (server && [status.UNAVAILABLE, status.UNAUTHENTICATED, status.PERMISSION_DENIED].includes(e.code as status)) throw cliErrorOf(err, server, "hasher");
  if (e.code === status.DEADLINE_EXCEEDED) return { file, error: "timeout", message: e.details ?? e.message };
  return { file, error: "error", message: e.details ?? e.message ?? String(err) };
}

function printHuman(r: Row): void {
  if (r.error) {
    process.stderr.write(printable(`${r.file}: ${r.error}: ${r.message ?? ""}`) + "\n");
    return;
  }
  const more = timing(r);
  const lines = [
    printable(`${r.file}  ${r.kind} ${r.width}x${r.height} ${r.format}${more ? `, ${more}` : ""}`),
    `  md5          ${r.md5}`,
    `  sha256       ${r.sha256}`,
    `  phash64      ${r.phash64}    dhash64 ${r.dhash64}    ahash64 ${r.ahash64}`,
    `  phash256     ${r.phash256}`,
    `  blockhash256 ${r.blockhash256}`,
    `  colorhash42  ${r.colorhash42}`,
    ...(r.frameSignature ? [`  frames       ${r.frameSignature}`] : []),
  ];
  process.stdout.write(lines.join("\n") + "\n");
}

/** Hashing in this process loads the hasher itself (sharp, the worker pool): only when asked to. */
async function hashHere(file: string): ReturnType<typeof import("@booru/hasher").hashLocalFile> {
  const { hashLocalFile } = await import("@booru/hasher");
  return hashLocalFile(file);
}
