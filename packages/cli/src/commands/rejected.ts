import { catalogV1 } from "@booru/proto";
import { parseReason, REASON_NAMES } from "@booru/runtime/client";
import { parseCommand, printHelp, printList, withConnection } from "../client.js";
import { formatTime, intFlag, shortName } from "../format.js";
import { CliError, EXIT } from "../exit.js";

export const summary = "list rejected files with their reason, newest first";
const usage = "booru rejected [--reason R] [--limit N] [--all] [--page-token T]";
const flags = [
  `  --reason R           only this reason: ${REASON_NAMES.join(", ")}`,
  "  --limit N            per page, 1..1000 (default 50)",
  "  --all                follow every page",
  "  --page-token T       continue where a previous listing stopped",
].join("\n");

export async function run(args: string[]): Promise<number> {
  const { values, help } = parseCommand(args, { reason: { type: "string" }, limit: { type: "string" }, all: { type: "boolean" }, "page-token": { type: "string" } }, { min: 0, max: 0, usage });
  if (help) return printHelp(usage, summary, flags);
  const pageSize = intFlag(values.limit, "limit", 50, 1, 1000);
  const reason = (values.reason as string | undefined) ?? "";
  if (reason && parseReason(reason) === undefined) throw new CliError(`--reason must be one of ${REASON_NAMES.join(", ")}, got ${JSON.stringify(reason)}`, EXIT.USAGE);
  return withConnection(values, (conn) =>
    printList(conn, values, {
      command: "booru rejected",
      fetch: async (pageToken) => {
        const res = await conn.call((c) => c.listRejections, { pageSize, pageToken, reason });
        return { items: res.rejections, next: res.nextPageToken };
      },
      key: "rejections",
      toJSON: catalogV1.Rejection.toJSON,
      headers: ["AT", "REASON", "SOURCE", "STORED", "MESSAGE"],
      row: (r) => [formatTime(r.atUnixMs), r.reason, shortName(r.sourcePath, 50), r.storedPath || "-", r.message],
      empty: "no rejected files",
    }),
  );
}
