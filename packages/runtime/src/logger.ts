import { Writable } from "node:stream";
import { pino, type Logger } from "pino";
import { printable } from "./text.js";

export type { Logger };
export type LogFormat = "json" | "pretty" | "auto";

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
const OMIT = new Set(["level", "time", "msg", "pid", "hostname", "service", "module"]);

/**
 * One readable line per record for people at a terminal: `12:00:01 INFO  [dedup] ingested md5=...`.
 * Made printable: a logged file name must not reach the terminal as escape sequences.
 */
export function prettyLine(json: string): string {
  try {
    const r = JSON.parse(json) as Record<string, unknown>;
    const time = String(r.time ?? "").slice(11, 19);
    const fields = Object.entries(r)
      .filter(([k]) => !OMIT.has(k))
      .map(([k, v]) => (k === "err" && v && typeof v === "object" ? `err=${JSON.stringify((v as { message?: string }).message)}` : `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`));
    const where = r.module ? `[${String(r.module)}] ` : "";
    return printable(`${time} ${(LEVELS[Number(r.level)] ?? "?").padEnd(5)} ${where}${String(r.msg ?? "")}${fields.length ? "  " + fields.join(" ") : ""}`) + "\n";
  } catch {
    return printable(json) + "\n";
  }
}

function prettyStream(): Writable {
  return new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split("\n")) if (line) process.stdout.write(prettyLine(line));
      cb();
    },
  });
}

/** JSON logs with the service name; errors go in as `{ err }` so pino serialises the stack. */
export function createLogger(service: string, level = process.env.BOORU_LOG_LEVEL ?? "info", format: LogFormat = "json"): Logger {
  const pretty = format === "pretty" || (format === "auto" && process.stdout.isTTY === true);
  const options = {
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Tokens must never reach a log line, whatever a caller passes in.
    redact: { paths: ["token", "*.token", "authorization", "*.authorization", "headers.authorization"], censor: "[redacted]" },
  };
  return pretty ? pino(options, prettyStream()) : pino(options);
}
