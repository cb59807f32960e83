import { catalogV1 } from "@booru/proto";
import { parseCommand, printHelp, printList, withConnection } from "../client.js";
import { formatTime, intFlag, shortName } from "../format.js";
import { CliError, EXIT } from "../exit.js";

export const summary = "list the duplicates dedup found (and what it did with them), newest first";
const usage = "booru dupes [--md5 MD5] [--limit N] [--all] [--page-token T]";
const flags = [
  "  --md5 MD5            only duplicates of this image",
  "  --limit N            per page, 1..1000 (default 50)",
  "  --all                follow every page",
  "  --page-token T       continue where a previous listing stopped",
].join("\n");

const DISPOSITION: Record<number, string> = { 1: "moved", 2: "deleted", 3: "kept" };

export async function run(args: string[]): Promise<number> {
  const { values, help } = parseCommand(args, { md5: { type: "string" }, limit: { type: "string" }, all: { type: "boolean" }, "page-token": { type: "string" } }, { min: 0, max: 0, usage });
  if (help) return printHelp(usage, summary, flags);
  const md5 = ((values.md5 as string | undefined) ?? "").toLowerCase();
  if (md5 && !/^[0-9a-f]{32}$/.test(md5)) throw new CliError(`--md5 must be 32 hex digits, got ${JSON.stringify(values.md5)}`, EXIT.USAGE);
  const pageSize = intFlag(values.limit, "limit", 50, 1, 1000);
  return withConnection(values, (conn) =>
    printList(conn, values, {
      command: "booru dupes",
      fetch: async (pageToken) => {
        const res = await conn.call((c) => c.listDuplicates, { pageSize, pageToken, md5 });
        return { items: res.duplicates, next: res.nextPageToken };
      },
      key: "duplicates",
      toJSON: catalogV1.Duplicate.toJSON,
      headers: ["AT", "MD5", "DISPOSITION", "SOURCE", "STORED"],
      row: (d) => [formatTime(d.atUnixMs), d.md5, DISPOSITION[d.disposition] ?? "-", shortName(d.sourcePath, 50), d.storedPath || "-"],
      empty: "no duplicates",
    }),
  );
}
