import type { ServiceError } from "@grpc/grpc-js";
import { catalogV1 } from "@booru/proto";
import { bearer } from "@booru/runtime/client";
import { cliErrorOf, connect, parseCommand, printHelp, type Connection } from "../client.js";
import { formatTime, intFlag, printable, safeJson } from "../format.js";
import { CliError, EXIT } from "../exit.js";

export const summary = "live ingest progress from every catalog replica: counts and rate";
const usage = "booru watch [--count N]";
const flags = [
  "  --count N            stop after N events",
  "  (with --json: one JSON event per line, for piping into other tools)",
].join("\n");

const RATE_WINDOW_MS = 10_000;

class Progress {
  readonly counts = { ingested: 0, duplicates: 0, rejected: 0, deleted: 0 };
  private readonly recent: number[] = [];

  add(event: catalogV1.Event, now = Date.now()): void {
    if (event.ingested) {
      this.counts.ingested++;
      this.recent.push(now);
    } else if (event.duplicate) this.counts.duplicates++;
    else if (event.rejected) this.counts.rejected++;
    else if (event.deletedMd5) this.counts.deleted++;
  }

  /** Ingested per second over the last ten seconds. */
  rate(now = Date.now()): number {
    while (this.recent.length && this.recent[0]! < now - RATE_WINDOW_MS) this.recent.shift();
    return this.recent.length / (RATE_WINDOW_MS / 1000);
  }

  line(): string {
    const c = this.counts;
    return `ingested ${c.ingested}  duplicates ${c.duplicates}  rejected ${c.rejected}  deleted ${c.deleted}  |  ${this.rate().toFixed(1)} images/s`;
  }
}

/** One event for people; names are made printable (anyone who can drop a file chooses them). */
function describe(e: catalogV1.Event): string {
  if (e.ingested) return printable(`ingested   ${e.ingested.md5}  ${e.ingested.sourcePath}`);
  if (e.duplicate) return printable(`duplicate  ${e.duplicate.md5}  ${e.duplicate.sourcePath}`);
  if (e.rejected) return printable(`rejected   ${e.rejected.reason}  ${e.rejected.sourcePath}`);
  return printable(`deleted    ${e.deletedMd5 ?? ""}`);
}

export async function run(args: string[]): Promise<number> {
  const { values, help } = parseCommand(args, { count: { type: "string" } }, { min: 0, max: 0, usage });
  if (help) return printHelp(usage, summary, flags);
  const limit = intFlag(values.count, "count", 0, 1, Number.MAX_SAFE_INTEGER);
  const conn = connect(values);
  try {
    return await watch(conn, limit);
  } finally {
    conn.close();
  }
}

function watch(conn: Connection, limit: number): Promise<number> {
  const progress = new Progress();
  const tty = !conn.json && Boolean(process.stdout.isTTY);
  const stream = conn.client.watchEvents({}, bearer(conn.token));
  let seen = 0;
  let stopping = false;
  const redraw = () => process.stdout.write(`\r\x1b[2K${progress.line()}`);
  const ticker = tty ? setInterval(redraw, 1000) : undefined;

  return new Promise<number>((resolve, reject) => {
    let done = false;
    const finish = (result: () => void) => {
      if (done) return;
      done = true;
      clearInterval(ticker);
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      if (tty) process.stdout.write("\n");
      result();
    };
    const stop = () => {
      stopping = true;
      stream.cancel();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    stream.on("metadata", () => process.stderr.write(`watching ${conn.server} (Ctrl-C to stop)\n`));
    stream.on("data", (res: catalogV1.WatchEventsResponse) => {
      const event = res.event!;
      progress.add(event);
      if (conn.json) process.stdout.write(safeJson(catalogV1.Event.toJSON(event)) + "\n");
      else if (tty) redraw();
      else process.stdout.write(`${formatTime(event.atUnixMs)}  ${describe(event)}  [${progress.line()}]\n`);
      if (limit && ++seen >= limit) stop();
    });
    stream.on("error", (err: ServiceError) => {
      if (stopping) finish(() => resolve(EXIT.OK));
      else finish(() => reject(cliErrorOf(err, conn.server)));
    });
    stream.on("end", () => {
      if (stopping) finish(() => resolve(EXIT.OK));
      else finish(() => reject(new CliError(`the catalog at ${conn.server} closed the stream (shutting down?)`, EXIT.UNAVAILABLE)));
    });
  });
}
