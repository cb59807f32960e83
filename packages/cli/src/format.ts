/** Output for people (tables, sizes, times) and for scripts (one JSON document). */
import { parseBytes, parseDuration, printable, safeJson } from "@booru/runtime/client";
import { CliError, EXIT } from "./exit.js";

export { printable, safeJson };

export function printJson(value: unknown): void {
  process.stdout.write(safeJson(value, 2) + "\n");
}

/** Columns padded to the widest cell; the last column is not padded. Cells are made printable. */
export function table(headers: string[], cells: string[][]): string {
  const rows = cells.map((r) => r.map(printable));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

export function printTable(headers: string[], rows: string[][], empty: string): void {
  process.stdout.write((rows.length ? table(headers, rows) : empty) + "\n");
}

/** Key/value lines for one record, made printable. */
export function printFields(fields: [string, string][]): void {
  const lines = fields.map(([k, v]) => [printable(k), printable(v)] as const);
  const width = Math.max(...lines.map(([k]) => k.length));
  process.stdout.write(lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n") + "\n");
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export function formatTime(ms: number): string {
  return ms ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z") : "-";
}

export function intFlag(value: string | boolean | undefined, name: string, def: number, min: number, max: number): number {
  if (value === undefined) return def;
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new CliError(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`, EXIT.USAGE);
  return n;
}

export function bytesFlag(value: string | boolean | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === "string" ? parseBytes(value) : undefined;
  if (n === undefined) throw new CliError(`--${name} must be a size such as 4096, 64KiB or 2MB, got ${JSON.stringify(value)}`, EXIT.USAGE);
  return n;
}

/** A point in time: an ISO date/time, or a duration meaning that long ago (30m, 2h). */
export function timeFlag(value: string | boolean | undefined, name: string, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") {
    const ago = parseDuration(value);
    if (ago !== undefined && /[a-z]$/.test(value)) return now - ago;
    const at = Date.parse(value);
    if (!Number.isNaN(at)) return at;
  }
  throw new CliError(`--${name} must be an ISO date/time (2024-05-01, 2024-05-01T12:00Z) or a duration ago (30m, 2h), got ${JSON.stringify(value)}`, EXIT.USAGE);
}

/** The end of a long name (the file name matters more than its folders), made printable first. */
export function shortName(name: string, max = 40): string {
  const s = printable(name);
  return s.length > max ? `…${s.slice(-(max - 1))}` : s;
}
